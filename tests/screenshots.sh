#!/usr/bin/env bash
# Regenerates the policy screenshots of docs/screenshots/: full pages of the example shops' policy
# pages (shop-fa, shop-ar, shop-sq; each shop on a server of its own whose operator and hosting
# match the example: the Saudi shop hosted in Saudi Arabia, the Albanian one in Germany), the
# platform policy for merchants (platform-fa, and platform-ar for a Saudi operator, dated Hijri
# with Gregorian), served by a real `harim serve` on the embedded SQLite default and taken by
# headless Chromium (consent-banner-* and privacy-requests-fa-* are written by the browser tests
# tests/tests/banner.rs and privacy_requests.rs). Fails unless the vendored fonts drew the Persian and Arabic text
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
