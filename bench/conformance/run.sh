#!/usr/bin/env bash
# Conformance run: psycopg's, pg8000's and node-postgres's own test suites, unchanged,
# against PostgreSQL 15 and the gateway on sqlite, embedded and dbapi (IRIS doubles);
# writes docs/conformance.md. Not part of scripts/test.sh (it takes tens of minutes).
#
# Installs what it needs: scripts/install-deps.sh (PostgreSQL 15, node, .venv), the
# extension into .venv (maturin develop), and into the conformance cache
# ($IRIS_PGWIRE_CONFORMANCE_CACHE, default ~/.cache/iris-pgwire/conformance) a venv with
# bench/conformance/requirements.txt and node-postgres from bench/conformance/node.
# Usage: bench/conformance/run.sh [--suites a,b] [--targets postgres15,sqlite,...] [--report-only]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export VENV="${VENV:-$ROOT/.venv}"
CACHE="${IRIS_PGWIRE_CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iris-pgwire/conformance}"
HERE="$ROOT/bench/conformance"

./scripts/install-deps.sh

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
export PYO3_PYTHON="$VENV/bin/python"
echo "== maturin develop (iris_pgwire into $VENV)"
maturin develop --locked --quiet

mkdir -p "$CACHE"
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }

reqs="$HERE/requirements.txt"
if [ "$(cat "$CACHE/venv/.stamp" 2>/dev/null)" != "$(stamp "$reqs")" ]; then
    echo "== conformance venv ($CACHE/venv)"
    rm -rf "$CACHE/venv"
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
    stamp "$reqs" > "$CACHE/venv/.stamp"
fi

lock="$HERE/node/package-lock.json"
if [ "$(cat "$CACHE/node/.stamp" 2>/dev/null)" != "$(stamp "$lock")" ]; then
    echo "== npm ci (bench/conformance/node) into $CACHE/node"
    rm -rf "$CACHE/node"
    mkdir -p "$CACHE/node"
    cp "$HERE/node/package.json" "$lock" "$CACHE/node/"
    (cd "$CACHE/node" && npm ci --no-audit --no-fund --loglevel=error --cache "$CACHE/.npm" >/dev/null)
    stamp "$lock" > "$CACHE/node/.stamp"
fi

exec "$VENV/bin/python" "$HERE/run.py" --cache "$CACHE" "$@"
