#!/usr/bin/env bash
# Runs every test: the native suite (engine unit tests, doc tests, scenario and CLI tests),
# then the browser tests against a release build of the app in headless Chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh test
export PATH="$root/node_modules/.bin:$PATH"

echo "== native tests"
cargo test --workspace --locked

echo "== web app build"
trunk build --release

echo "== browser tests (headless Chromium)"
OUTAGE_LAB_BIN="$root/target/debug/outage-lab" node --test tests/browser/
