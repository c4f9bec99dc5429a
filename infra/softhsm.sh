#!/usr/bin/env bash
# Makes sure a SoftHSM2 token labelled `harim` exists for the PKCS#11 tests and prints the
# `export NAME=value` lines they read (`eval "$(infra/softhsm.sh)"`). Installs Debian's softhsm2
# once if it is missing. The token lives in a directory of its own (a fresh one per call unless
# HARIM_SOFTHSM_DIR names one), named by SOFTHSM2_CONF, so nothing of the system's SoftHSM
# configuration is touched and every run starts from an empty token.
#
# Loopback-only test infrastructure: the PINs below are fixed and public on purpose.
set -euo pipefail

LABEL=harim
PIN=1234
SO_PIN=5678
MODULE=/usr/lib/softhsm/libsofthsm2.so

say() { echo "infra/softhsm.sh: $*" >&2; }

if [ ! -e "$MODULE" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
  say "installing softhsm2 (Debian) once"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -q softhsm2 >&2 || { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q softhsm2 >&2; }
fi

dir=${HARIM_SOFTHSM_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/harim-softhsm.XXXXXX")}
mkdir -p "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF=$dir/softhsm2.conf
if ! softhsm2-util --show-slots 2>/dev/null | grep -q "Label:[[:space:]]*$LABEL\b"; then
  softhsm2-util --init-token --free --label "$LABEL" --pin "$PIN" --so-pin "$SO_PIN" >&2
fi
echo "export SOFTHSM2_CONF=$dir/softhsm2.conf"
echo "export HARIM_TEST_PKCS11_MODULE=$MODULE"
echo "export HARIM_TEST_PKCS11_TOKEN=$LABEL"
echo "export HARIM_TEST_PKCS11_PIN=$PIN"
