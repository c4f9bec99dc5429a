#!/usr/bin/env bash
# An independent verifier of harim's privacy-event signatures for the tests: the Standard
# Webhooks reference library for Python (`standardwebhooks` from PyPI), installed once into the
# venv infra/smtp.sh makes. Prints, as its last line, the interpreter that can
# `from standardwebhooks.webhooks import Webhook`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

STANDARDWEBHOOKS_VERSION=1.3.0

python=$(infra/smtp.sh | tail -n1)
have() {
  "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('standardwebhooks') != '$STANDARDWEBHOOKS_VERSION')" 2>/dev/null
}
if ! have; then
  echo "infra/webhooks.sh: installing standardwebhooks $STANDARDWEBHOOKS_VERSION" >&2
  "$python" -m pip install --quiet "standardwebhooks==$STANDARDWEBHOOKS_VERSION" >&2
  have || { echo "infra/webhooks.sh: standardwebhooks did not install" >&2; exit 1; }
fi
echo "$python"
