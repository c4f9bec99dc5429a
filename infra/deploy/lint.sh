#!/usr/bin/env bash
# Lints the deployment recipe in infra/deploy/ offline, without root and without building
# anything:
#   - harim.service: `systemd-analyze verify` on a copy whose ExecStart is /bin/true (the real
#     binary need not be installed here); any complaint about the unit fails, including an
#     unknown directive, which systemd-analyze only warns about. Skipped, with a message, when
#     systemd-analyze is not installed.
#   - Containerfile: multi-stage (at least two FROM), final stage based on distroless or
#     scratch, a final USER that is not root, no RUN in the final stage.
#   - harim.toml: every key is in KEYS in crates/harim/src/config.rs, and each value has the
#     TOML type of that key's field in the Raw struct there.
#   - The files agree with each other and with the code: the flags in ExecStart and CMD are
#     flags of `harim serve` (crates/harim/src/cli.rs), pkcs11_pin_file is the path of the
#     unit's LoadCredential, data_dir is its StateDirectory, and TimeoutStopSec is longer than
#     request_timeout_secs.
# Exits non-zero, naming each failure, if any check fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
unit=$here/harim.service
containerfile=$here/Containerfile
toml=$here/harim.toml
config_rs=$root/crates/harim/src/config.rs
cli_rs=$root/crates/harim/src/cli.rs

failures=0
ok() { echo "ok    $*"; }
fail() {
  echo "FAIL  $*" >&2
  failures=$((failures + 1))
}
skip() { echo "skip  $*"; }

for f in "$unit" "$containerfile" "$toml" "$config_rs" "$cli_rs"; do
  [ -f "$f" ] || { echo "FAIL  missing $f" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/harim-deploy-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- harim.service ---------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  # Same file name (the unit name), ExecStart pointed at a binary that exists everywhere.
  sed 's|^ExecStart=/usr/local/bin/harim |ExecStart=/bin/true |' "$unit" >"$tmp/harim.service"
  if ! grep -q '^ExecStart=/bin/true ' "$tmp/harim.service"; then
    fail "harim.service: no 'ExecStart=/usr/local/bin/harim ...' line to test with /bin/true"
  else
    # --recursive-errors=no: a broken unrelated unit on this machine must not fail the lint.
    set +e
    out=$(cd "$tmp" && systemd-analyze verify --man=no --generators=no \
      --recursive-errors=no ./harim.service 2>&1)
    rc=$?
    set -e
    # Every line about our unit counts; lines about other units are shown, not counted.
    ours=$(printf '%s\n' "$out" | grep -E 'harim\.service' || true)
    others=$(printf '%s\n' "$out" | grep -vE 'harim\.service' | grep -v '^$' || true)
    [ -z "$others" ] || printf 'note  systemd-analyze about other units:\n%s\n' "$others"
    if [ "$rc" -ne 0 ] || [ -n "$ours" ]; then
      fail "harim.service: systemd-analyze verify (exit $rc):"
      printf '%s\n' "${ours:-$out}" | sed 's/^/      /' >&2
    else
      ok "harim.service: systemd-analyze verify ($(systemd-analyze --version | head -1))"
    fi
  fi
else
  skip "harim.service: systemd-analyze is not installed; the unit was not verified"
fi

# --- Containerfile ---------------------------------------------------------------------------
# One instruction per line: comments dropped (also inside a continued instruction, as the
# builders do), continuation lines joined.
awk '
  /^[[:space:]]*#/ { next }
  { line = (cont ? line " " : "") $0 }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); cont = 1; next }
  { cont = 0; if (line ~ /[^[:space:]]/) print line; line = "" }
' "$containerfile" | sed 's/^[[:space:]]*//' >"$tmp/instructions"

from_count=$(grep -ciE '^FROM[[:space:]]' "$tmp/instructions" || true)
if [ "$from_count" -lt 2 ]; then
  fail "Containerfile: $from_count FROM line(s); a multi-stage build needs at least two"
else
  ok "Containerfile: multi-stage ($from_count FROM lines)"
fi

if [ "$from_count" -ge 1 ]; then
  last_from=$(grep -niE '^FROM[[:space:]]' "$tmp/instructions" | tail -1 | cut -d: -f1)
  # The image is the first word after FROM that is not an option (--platform=...).
  base=$(sed -n "${last_from}p" "$tmp/instructions" |
    awk '{ for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; exit } }')
  case "$base" in
    scratch | */distroless/*) ok "Containerfile: final stage is based on $base" ;;
    *) fail "Containerfile: final stage is based on '$base', not distroless or scratch" ;;
  esac

  tail -n +"$last_from" "$tmp/instructions" >"$tmp/final"
  if grep -qiE '^RUN([[:space:]]|$)' "$tmp/final"; then
    fail "Containerfile: the final stage has RUN (it must not need a shell):"
    grep -iE '^RUN([[:space:]]|$)' "$tmp/final" | sed 's/^/      /' >&2
  else
    ok "Containerfile: no RUN in the final stage"
  fi

  user=$({ grep -iE '^USER[[:space:]]' "$tmp/final" || true; } | tail -1 | awk '{ print $2 }')
  case "${user%%:*}" in
    "") fail "Containerfile: the final stage sets no USER" ;;
    root | 0) fail "Containerfile: the final stage runs as '$user' (root)" ;;
    *) ok "Containerfile: the final stage runs as $user" ;;
  esac
fi

# --- harim.toml and the files against each other and the code --------------------------------
py=""
for candidate in python3 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import tomllib' 2>/dev/null; then
    py=$candidate
    break
  fi
done
if [ -z "$py" ]; then
  fail "harim.toml: no python3 with tomllib (Python 3.11 or later) to parse it"
else
  "$py" - "$toml" "$config_rs" "$unit" "$containerfile" "$cli_rs" <<'PY' || failures=$((failures + 1))
import json, re, sys, tomllib

toml_path, config_rs, unit_path, containerfile, main_rs = sys.argv[1:]
failed = False

def ok(msg):
    print(f"ok    {msg}")

def fail(msg):
    global failed
    failed = True
    print(f"FAIL  {msg}", file=sys.stderr)

with open(toml_path, "rb") as f:
    try:
        conf = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        fail(f"harim.toml: not valid TOML: {e}")
        sys.exit(1)

src = open(config_rs, encoding="utf-8").read()
m = re.search(r"pub const KEYS: &\[&str\] = &\[(.*?)\];", src, re.S)
if not m:
    fail(f"{config_rs}: no `pub const KEYS: &[&str] = &[...];` to read the keys from")
    sys.exit(1)
keys = re.findall(r'"([a-z0-9_]+)"', m.group(1))

# `[platform]` is the one table: the operator's facts (PlatformSection in config.rs).
TABLES = {"platform"}
unknown = sorted(set(conf) - set(keys) - TABLES)
if unknown:
    fail(f"harim.toml: keys not in KEYS of crates/harim/src/config.rs: {', '.join(unknown)}")
else:
    ok(f"harim.toml: {len(conf)} keys, all in KEYS ({len(keys)} keys)")

# The type each key must have, from the Raw struct (deny_unknown_fields, so serde refuses the
# rest at start-up).
m = re.search(r"struct Raw \{(.*?)\n\}", src, re.S)
fields = dict(re.findall(r"^\s*(\w+):\s*([^,\n]+),", m.group(1), re.M)) if m else {}
limits = {"u32": 2**32 - 1, "u64": 2**64 - 1, "usize": 2**64 - 1}
bad = []
for key, value in conf.items():
    if key not in keys:
        continue
    ty = fields.get(key)
    if ty is None:
        bad.append(f"{key} (in KEYS but not a field of Raw)")
        continue
    inner = re.fullmatch(r"Option<(.+)>", ty)
    ty = inner.group(1) if inner else ty
    if ty in ("String", "PathBuf"):
        good = isinstance(value, str)
    elif ty == "bool":
        good = isinstance(value, bool)
    elif ty in limits:
        good = type(value) is int and 0 <= value <= limits[ty]
    else:
        bad.append(f"{key} (lint.sh does not know the Rust type {ty})")
        continue
    if not good:
        bad.append(f"{key} = {value!r} (Raw says {ty})")
m = re.search(r"struct PlatformSection \{(.*?)\n\}", src, re.S)
platform_fields = dict(re.findall(r"^\s*(\w+):\s*([^,\n]+),", m.group(1), re.M)) if m else {}
if "platform" in conf:
    section = conf["platform"]
    if not isinstance(section, dict):
        bad.append("platform (must be a table)")
    else:
        extra = sorted(set(section) - set(platform_fields))
        if extra:
            bad.append(f"[platform] keys not in PlatformSection: {', '.join(extra)}")
        required = [k for k, t in platform_fields.items() if not t.startswith(("Option<", "Vec<"))]
        missing = [k for k in required if k not in section]
        if missing:
            bad.append(f"[platform] lacks {', '.join(missing)}")
else:
    fail("harim.toml: no [platform] section (production states the operator's facts)")
if bad:
    fail("harim.toml: values of the wrong type: " + "; ".join(bad))
else:
    ok("harim.toml: every value has its field's type in Raw")

# The unit, as key -> list of values (a directive may repeat).
unit = {}
for line in open(unit_path, encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith(("#", ";", "[")) and "=" in line:
        k, v = line.split("=", 1)
        unit.setdefault(k.strip(), []).append(v.strip())

# Flags passed to `harim serve`: flags of the Serve variant, or global flags of Cli.
main = open(main_rs, encoding="utf-8").read()
arg_fields = re.findall(r"#\[arg\((long[^\n]*)\)\]\s*\n\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:", main)
global_flags = {f.replace("_", "-") for attrs, f in arg_fields if "global = true" in attrs}
serve = re.search(r"\n    Serve \{(.*?)\n    \},", main, re.S)
serve_flags = set()
if serve:
    serve_flags = {f.replace("_", "-") for _, f in
                   re.findall(r"#\[arg\((long[^\n]*)\)\]\s*\n\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:", serve.group(1))}
else:
    fail("crates/harim/src/cli.rs: no `Serve { ... }` subcommand found")
allowed = serve_flags | global_flags

def check_args(where, args):
    if not args or args[0] != "serve":
        fail(f"{where}: runs {args[:1]}, not the serve subcommand")
        return
    flags = [a.split("=", 1)[0][2:] for a in args[1:] if a.startswith("--")]
    wrong = [f"--{f}" for f in flags if f not in allowed]
    if wrong:
        fail(f"{where}: {', '.join(wrong)} not a flag of `harim serve` "
             f"(it has: {', '.join('--' + f for f in sorted(allowed))})")
    else:
        ok(f"{where}: serve {' '.join(args[1:])} uses real flags")

exec_start = (unit.get("ExecStart") or [""])[-1].split()
if not exec_start or exec_start[0] != "/usr/local/bin/harim":
    fail(f"harim.service: ExecStart is not /usr/local/bin/harim: {' '.join(exec_start)}")
else:
    check_args("harim.service ExecStart", exec_start[1:])

instructions = open(containerfile, encoding="utf-8").read()
cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", instructions, re.M | re.I)
entry = re.findall(r"^ENTRYPOINT\s+(\[.*\])\s*$", instructions, re.M | re.I)
if not cmd or not entry:
    fail("Containerfile: needs ENTRYPOINT and CMD in exec (JSON array) form")
else:
    if json.loads(entry[-1]) != ["/usr/local/bin/harim"]:
        fail(f"Containerfile: ENTRYPOINT is {entry[-1]}, not [\"/usr/local/bin/harim\"]")
    check_args("Containerfile CMD", json.loads(cmd[-1]))

# The PIN path harim reads is where systemd puts the credential.
creds = [v.split(":", 1)[0] for v in unit.get("LoadCredential", [])]
pin = conf.get("pkcs11_pin_file")
want = [f"/run/credentials/harim.service/{c}" for c in creds]
if pin is not None and pin not in want:
    fail(f"harim.toml: pkcs11_pin_file = {pin!r} is not a LoadCredential= path of the unit "
         f"({', '.join(want) or 'none'})")
elif pin is not None:
    ok("harim.toml: pkcs11_pin_file is the unit's LoadCredential")

# data_dir must be writable under ProtectSystem=strict: the StateDirectory.
state = [f"/var/lib/{d}" for v in unit.get("StateDirectory", []) for d in v.split()]
if conf.get("data_dir") not in state:
    fail(f"harim.toml: data_dir = {conf.get('data_dir')!r} is not a StateDirectory of the "
         f"unit ({', '.join(state) or 'none'}); ProtectSystem=strict makes it read-only")
else:
    ok("harim.toml: data_dir is the unit's StateDirectory")

# The drain after SIGTERM lasts up to request_timeout_secs: systemd must wait longer.
stop = (unit.get("TimeoutStopSec") or [""])[-1]
m = re.fullmatch(r"(\d+)s?", stop)
timeout = conf.get("request_timeout_secs", 30)
if not m:
    fail(f"harim.service: TimeoutStopSec={stop!r} is not a number of seconds")
elif int(m.group(1)) <= timeout:
    fail(f"harim.service: TimeoutStopSec={stop} is not longer than request_timeout_secs = "
         f"{timeout}, so systemd may kill harim mid-drain")
else:
    ok(f"harim.service: TimeoutStopSec={stop} > request_timeout_secs = {timeout}")

sys.exit(1 if failed else 0)
PY
fi

if [ "$failures" -ne 0 ]; then
  echo "infra/deploy/lint.sh: $failures check group(s) failed" >&2
  exit 1
fi
echo "infra/deploy/lint.sh: all checks passed"
