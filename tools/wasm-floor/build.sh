#!/usr/bin/env bash
# The size floor of a Leptos client: builds one of the small crates beside this script the way
# scripts/build-release.sh builds Leadwire's bundle (same Leptos versions — the app's Cargo.lock —,
# the same `wasm-release` profile, `--cfg erase_components`, wasm-bindgen, then binaryen's
# `wasm-opt -Oz`) and prints its size: WASM bytes, gzip -9, brotli (quality 11, as
# scripts/precompress.mjs compresses).
#
#   tools/wasm-floor/build.sh counter|router|data|islands-counter|islands-data
#
# What each crate holds and the figures of 2026-12-07 are in README.md beside this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
crate=${1:?"usage: $0 counter|router|data|islands-counter|islands-data"}
[ -f "$here/$crate/Cargo.toml" ] || { echo "no crate $crate in $here" >&2; exit 2; }
wasm_opt=$root/tools/node_modules/binaryen/bin/wasm-opt
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/wasm-floor}
export RUSTFLAGS="--cfg erase_components"
export LEPTOS_OUTPUT_NAME=$crate
cd "$here/$crate"
# The app's versions: its lock file, trimmed by cargo to what this crate uses.
cp "$root/Cargo.lock" Cargo.lock
trap 'rm -f "$here/$crate/Cargo.lock"' EXIT
cargo build --lib --target wasm32-unknown-unknown --profile wasm-release \
  --no-default-features --features hydrate
out=$CARGO_TARGET_DIR/site/$crate
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$crate" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/${crate//-/_}.wasm"
"$wasm_opt" -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  -o "$out/$crate.wasm" "$out/${crate}_bg.wasm"
gzipped=$(gzip -9 -c "$out/$crate.wasm" | wc -c)
node -e '
  const z = require("zlib"), f = require("fs"), [wasm, name, gzipped] = process.argv.slice(1);
  const raw = f.readFileSync(wasm);
  const br = z.brotliCompressSync(raw, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } });
  const kib = (n) => (n / 1024).toFixed(1) + " KiB";
  console.log(`${name}: ${kib(raw.length)} of WASM, ${kib(Number(gzipped))} gzip -9, ${kib(br.length)} brotli`);
' "$out/$crate.wasm" "$crate" "$gzipped"
