#!/usr/bin/env bash
# Makes a real SMTP server available to the mail tests: installs aiosmtpd (PyPI) into a venv of
# its own, once, and prints as its last line the venv's python interpreter. It does not start a
# server; a test starts one on a port of its choice and stops it itself:
#
#   "$python" -m aiosmtpd -n -l 127.0.0.1:<port> -c aiosmtpd.handlers.Mailbox <maildir>
#
# (-n: do not setuid to `nobody`, so it runs as any user; the Mailbox handler delivers every
# message into <maildir> as a Maildir, <maildir>/new/<file>). Idempotent: when the venv already
# has aiosmtpd $AIOSMTPD_VERSION it installs nothing. If `python3 -m venv` fails because Debian
# leaves ensurepip out, installs Debian's python3-venv (through sudo when not root) and retries.
#
# Loopback-only test infrastructure: the server accepts anything, without TLS or AUTH.
set -euo pipefail

AIOSMTPD_VERSION=1.4.6

dir=${HARIM_INFRA_DIR:-$HOME/.cache/harim-infra}
venv=$dir/smtp-venv
python=$venv/bin/python

say() { echo "infra/smtp.sh: $*" >&2; }
die() { say "$*"; exit 1; }

version_in_venv() { "$python" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null; }
installed() { # the venv's aiosmtpd, at the pinned version, answers
  [ -x "$python" ] && [ "$(version_in_venv)" = "$AIOSMTPD_VERSION" ] &&
    "$python" -m aiosmtpd --version >/dev/null 2>&1
}

if installed; then
  echo "$python"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH"
mkdir -p "$dir"

make_venv() { rm -rf "$venv" && python3 -m venv "$venv" >&2; }

# A venv without a working pip (a half-made one, or made by a python that lacked ensurepip) is
# made again.
if ! { [ -x "$python" ] && "$python" -m pip --version >/dev/null 2>&1; }; then
  say "creating the venv $venv"
  if ! make_venv; then
    say "python3 -m venv failed (Debian ships ensurepip separately): installing python3-venv"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    # python3-venv depends on the python3.X-venv of Debian's default python3; a python3 of
    # another minor version needs its own python3.X-venv, tried second.
    minor=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    $sudo apt-get update -q >&2
    $sudo apt-get install -y -q --no-install-recommends python3-venv >&2 ||
      die "apt-get install python3-venv failed"
    make_venv || {
      $sudo apt-get install -y -q --no-install-recommends "python$minor-venv" >&2 ||
        die "apt-get install python$minor-venv failed"
      make_venv
    } || die "python3 -m venv $venv still fails after installing python3-venv"
  fi
fi

say "installing aiosmtpd $AIOSMTPD_VERSION from PyPI into $venv"
"$python" -m pip install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" >&2 ||
  die "pip install aiosmtpd==$AIOSMTPD_VERSION failed"
installed || die "$python has no working aiosmtpd $AIOSMTPD_VERSION after the install"

echo "$python"
