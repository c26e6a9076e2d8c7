#!/usr/bin/env bash
# Benchmarks (not tests): installs PostgreSQL 15 and PgBouncer if missing, builds the
# release extension into .venv-bench and prints the execution-path table
# (bench/execution_bench.py; arguments go to it, e.g. --write docs/performance.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VENV="${VENV:-$ROOT/.venv-bench}"
./scripts/install-deps.sh --bench

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
export PYO3_PYTHON="$VENV/bin/python"
# Its own target dir: the tests' debug build in target/ stays warm.
export CARGO_TARGET_DIR="$ROOT/target-bench"
# A wheel installed into the bench venv (not an editable install, which would share
# python/iris_pgwire/_core*.so with the tests' debug build).
echo "== maturin build --release"
rm -rf "$CARGO_TARGET_DIR/wheels"
maturin build --release --locked --quiet -o "$CARGO_TARGET_DIR/wheels"
python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$CARGO_TARGET_DIR"/wheels/iris_pgwire-*.whl
exec python bench/execution_bench.py "$@"
