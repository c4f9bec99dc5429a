#!/usr/bin/env bash
# Installs headless Chromium and Arabic-script fonts (Debian) for the harim-policy
# rendering test (crates/harim-policy/tests/chromium.rs). Idempotent: does nothing
# when chromium and the Noto Arabic fonts are already present.
set -euo pipefail

need=0
command -v chromium >/dev/null 2>&1 || need=1
[ -e /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || need=1
if [ "$need" -eq 0 ]; then
  echo "chromium.sh: chromium and fonts-noto-core already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core
echo "chromium.sh: installed $(chromium --version 2>/dev/null || echo chromium)"
