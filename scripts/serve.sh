#!/usr/bin/env bash
# Builds the web app and serves it on http://127.0.0.1:8080 (installs missing tools first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh build
export PATH="$root/node_modules/.bin:$PATH"   # binaryen's wasm-opt, the one that reads current wasm
exec trunk serve --release "$@"
