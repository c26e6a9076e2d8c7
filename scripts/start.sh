#!/usr/bin/env bash
# Builds and installs iris-pgwire into .venv (pip runs maturin, release wheel) and starts
# the server in the foreground on the built-in sqlite backend. Extra arguments go to the
# server, e.g. scripts/start.sh --port 5433. Ctrl-C (or SIGTERM) stops it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VENV="${VENV:-$ROOT/.venv}"

# psql, so the server can be tried at once; no PostgreSQL server, no test requirements.
./scripts/install-deps.sh --client-only --no-test-reqs

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

echo "== pip install $ROOT (maturin builds the extension; the first build takes a few minutes)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$ROOT"

echo "== python -m iris_pgwire.server $*"
exec "$VENV/bin/python" -m iris_pgwire.server "$@"
