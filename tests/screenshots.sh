#!/usr/bin/env bash
# Regenerates docs/screenshots/{shop-fa,shop-ar,shop-sq,platform-fa}.png: full-page screenshots of
# the example shops' public policy pages (and the platform policy, skipped with a message while
# GET /privacy answers 404), served by a real `harim serve` on the embedded SQLite default and
# taken by headless Chromium. Fails unless the vendored fonts drew the Persian and Arabic text
# (tests/screenshots.mjs says how that is checked).
#
#   tests/screenshots.sh            # from the repository root
#
# Needs: Debian's chromium (infra/chromium.sh installs it), node and npm (playwright-core is
# installed once into ${HARIM_SCREENSHOTS_NODE_DIR:-~/.cache/harim-screenshots}; it drives the
# installed Chromium and downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."

infra/chromium.sh >/dev/null
node_dir="${HARIM_SCREENSHOTS_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/harim-screenshots}"
if [ ! -d "$node_dir/node_modules/playwright-core" ]; then
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --no-save playwright-core@1.65.1 >&2
fi

cargo build -q -p harim --bin harim -p harim-e2e --bin screenshots
target="${CARGO_TARGET_DIR:-target}/debug"
"$target/screenshots" --harim "$target/harim" --out docs/screenshots \
  --script tests/screenshots.mjs --node-path "$node_dir/node_modules"
