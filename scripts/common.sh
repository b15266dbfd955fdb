# Shared set-up for scripts/serve and scripts/test: idempotent, safe to run often.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

# Debian packages, installed only when a command is missing.
ensure_debian() { # ensure_debian <command> <package>...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "==> installing $* (for $cmd)"
  if [ -z "${ROSTER_APT_UPDATED:-}" ]; then as_root apt-get update -qq; export ROSTER_APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_build_deps() {
  ensure_debian pg_config libpq-dev
  ensure_debian npm npm
  # htmx and its SSE extension come from the npm registry, pinned by package-lock.json.
  if [ ! -f node_modules/htmx.org/dist/htmx.min.js ] || [ ! -f node_modules/htmx-ext-sse/dist/sse.min.js ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  echo "==> starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  echo "PostgreSQL did not start" >&2
  return 1
}

# schemathesis (PyPI) in a virtual environment under target/, for the API's
# contract run (scripts/schemathesis); installed once, then reused.
ST_VENV=target/schemathesis-venv
ensure_schemathesis() {
  if [ -x "$ST_VENV/bin/st" ]; then return 0; fi
  ensure_debian pip3 python3-pip
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    ensure_debian_pkg python3-venv
  fi
  echo "==> installing schemathesis into $ST_VENV"
  python3 -m venv "$ST_VENV"
  "$ST_VENV/bin/pip" install -q 'schemathesis>=4,<5'
}

# A Debian package by name, when it is not installed yet.
ensure_debian_pkg() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  if [ -z "${ROSTER_APT_UPDATED:-}" ]; then as_root apt-get update -qq; export ROSTER_APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
