#!/usr/bin/env bash
# Installs what building, serving and testing Outage Lab needs, and nothing that is already there.
# Idempotent: on a machine that has everything it returns in a few seconds.
#   scripts/setup.sh build   -> wasm32 target, trunk, wasm-bindgen-cli, npm packages (wasm-opt)
#   scripts/setup.sh test    -> the above plus Chromium and ChromeDriver from apt
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-build}

say() { printf '[setup] %s\n' "$*"; }

# 1. The wasm32 target (RUSTUP_AUTO_INSTALL=0 on these machines: add it explicitly).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. trunk, pinned (0.22 needs a newer rustc than 1.95).
if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (a few minutes on a cold machine)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

# 3. wasm-bindgen-cli, the exact version Cargo.lock pins (installed without --locked: its own
#    lockfile asks for a crate version the registry lacks).
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 4. npm packages (binaryen's wasm-opt for release builds, playwright-core for browser tests).
if [ ! -x "$here/node_modules/.bin/wasm-opt" ] || [ ! -d "$here/node_modules/playwright-core" ] \
   || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  say "installing npm packages"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# 5. Crates, fetched once: trunk builds offline (so it can never download tools).
if ! cargo fetch --locked --quiet 2>/dev/null; then
  say "fetching crates"
  cargo fetch --locked
fi

# 6. Chromium and ChromeDriver, for the browser tests only.
if [ "$mode" = test ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "installing chromium and chromium-driver from apt"
    export DEBIAN_FRONTEND=noninteractive
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi
fi
say "tools ready"
