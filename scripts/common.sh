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
