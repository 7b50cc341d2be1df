// Writes FILE.br (brotli, quality 11) and FILE.gz (gzip -9) beside each FILE given, for the server
// to send to browsers that accept them (tower-http's ServeDir picks the .br or .gz variant).
// Node's own zlib: no extra tool to install.
import { readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

for (const file of process.argv.slice(2)) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
  console.log(`${file}: ${raw.length} B, brotli ${br.length} B`);
}
