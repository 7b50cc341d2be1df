#!/usr/bin/env bash
# Builds what `make run` serves and `make test` tests: the release server binary and the release
# site under target/site, laid out exactly as cargo-leptos lays it out (pkg/leadwire.js,
# pkg/leadwire.wasm, pkg/leadwire.css, public/ at the root).
#
# Why not `cargo leptos build --release`: compiling cargo-leptos itself takes ~15 minutes on two
# cores, and all a release needs is cargo, wasm-bindgen and wasm-opt. `cargo leptos watch` stays the
# development loop (`make dev`) and produces the same layout.
#
# Why binaryen 132 from npm: Debian's binaryen 108 `wasm-opt` breaks this bundle at start-up
# (`WebAssembly.Table.set(): ... function-typed object must be null`), whatever the flags.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

site=target/site
pkg="$site/pkg"
wasm_in=target/wasm32-unknown-unknown/wasm-release/leadwire.wasm
wasm_opt=tools/node_modules/binaryen/bin/wasm-opt

# Leptos reads this at compile time to name the bundle (`leadwire.wasm`, not `leadwire_bg.wasm`);
# cargo-leptos sets it too, so both builds expect the same file names.
export LEPTOS_OUTPUT_NAME=leadwire

# The server and the WASM client are independent builds with separate output folders; building
# them side by side overlaps their long single-threaded tails (the last crate, the WASM LTO).
say "compiling the release server and the release WASM client"
cargo build --release --features ssr --bin leadwire &
server_build=$!
wasm_status=0
cargo build --lib --target wasm32-unknown-unknown --profile wasm-release \
  --no-default-features --features hydrate || wasm_status=$?
server_status=0
wait "$server_build" || server_status=$?
if [ "$server_status" -ne 0 ] || [ "$wasm_status" -ne 0 ]; then
  echo "build-release: cargo failed (server: $server_status, wasm: $wasm_status)" >&2
  exit 1
fi

mkdir -p "$pkg"
# Skip wasm-bindgen and wasm-opt (~2 minutes) when the shipped bundle was made from this very
# build: the stamp records the hashes of the compiler's output and of the bundle made from it, so
# a bundle that `cargo leptos watch` overwrote since is rebuilt too.
stamp="$pkg/.release-stamp"
want_stamp="$(sha256sum "$wasm_in" | cut -d' ' -f1)"
have_stamp=""
if [ -f "$pkg/leadwire.wasm" ] && [ -f "$pkg/leadwire.js" ] && [ -f "$stamp" ]; then
  have_stamp="$(sha256sum "$pkg/leadwire.wasm" | cut -d' ' -f1)"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp $have_stamp" ]; then
  say "WASM bundle is up to date"
else
  say "wasm-bindgen"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name leadwire "$wasm_in"
  say "wasm-opt -Oz (binaryen $("$wasm_opt" --version | awk '{print $3}'))"
  "$wasm_opt" -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    -o "$work/leadwire.wasm" "$work/leadwire_bg.wasm"
  # Swap in the new pair together: a running server never serves a JS file for another WASM.
  cp "$work/leadwire.js" "$pkg/leadwire.js.new"
  cp "$work/leadwire.wasm" "$pkg/leadwire.wasm.new"
  mv -f "$pkg/leadwire.wasm.new" "$pkg/leadwire.wasm"
  mv -f "$pkg/leadwire.js.new" "$pkg/leadwire.js"
  echo "$want_stamp $(sha256sum "$pkg/leadwire.wasm" | cut -d' ' -f1)" >"$stamp"
fi

# Stylesheet and static files: plain copies (style/main.css is plain CSS on purpose).
cp -p style/main.css "$pkg/leadwire.css"
cp -R public/. "$site/"

# Content-hashed names for the JS and WASM (the server caches those as immutable, and finds the
# names in pkg/hash.txt, which Leptos's hydration scripts read), and brotli and gzip copies of
# everything the browser downloads from pkg/. The plain names stay for `cargo leptos watch`.
say "hashed names and precompressed copies"
js_hash=$(sha256sum "$pkg/leadwire.js" | cut -c1-16)
wasm_hash=$(sha256sum "$pkg/leadwire.wasm" | cut -c1-16)
js="$pkg/leadwire.$js_hash.js"
wasm="$pkg/leadwire.$wasm_hash.wasm"
# Earlier builds' hashed files go; a name that is a content hash never needs redoing, so brotli
# (~6 s for the WASM) runs only for what changed.
for old in "$pkg"/leadwire.*.js* "$pkg"/leadwire.*.wasm*; do
  case "$old" in "$js"*|"$wasm"*) ;; *) rm -f "$old" ;; esac
done
compress=()
for file in "$js" "$wasm"; do
  [ -f "$file.br" ] && [ -f "$file.gz" ] || compress+=("$file")
done
[ -f "$js" ] || cp "$pkg/leadwire.js" "$js"
[ -f "$wasm" ] || cp "$pkg/leadwire.wasm" "$wasm"
# The stylesheet keeps its name (revalidated on use): recompress when it changed.
[ "$pkg/leadwire.css.br" -nt "$pkg/leadwire.css" ] || compress+=("$pkg/leadwire.css")
if [ ${#compress[@]} -gt 0 ]; then
  node scripts/precompress.mjs "${compress[@]}" >/dev/null
fi
printf 'js: %s\nwasm: %s\n' "$js_hash" "$wasm_hash" >"$pkg/hash.txt"

raw=$(stat -c %s "$pkg/leadwire.wasm")
gz=$(stat -c %s "$wasm.gz")
br=$(stat -c %s "$wasm.br")
say "release site ready in $site: leadwire.wasm $((raw / 1024)) KiB, $((gz / 1024)) KiB gzip -9, $((br / 1024)) KiB brotli"
