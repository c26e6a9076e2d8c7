#!/usr/bin/env bash
# Runs every test: installs what the tests need (scripts/install-deps.sh), runs the Rust
# unit tests, builds the extension into .venv once (debug profile, shares target/ with
# cargo test), then the pytest suite against the real server and a throwaway PostgreSQL 15.
# Usage: scripts/test.sh [--pytest-only] [pytest args...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VENV="${VENV:-$ROOT/.venv}"

run_cargo=1
if [ "${1:-}" = "--pytest-only" ]; then
    run_cargo=0
    shift
fi

./scripts/install-deps.sh

# The base image puts cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
# One interpreter for both builds, so pyo3's build script output stays cached.
export PYO3_PYTHON="$VENV/bin/python"
export CARGO_TERM_COLOR=never
# cargo test links libpython (no extension-module feature); the loader must find it.
LIBDIR="$(python -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')"
export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [ "$run_cargo" -eq 1 ]; then
    if cargo fmt --version >/dev/null 2>&1; then
        echo "== cargo fmt --check (rustfmt.toml)"
        cargo fmt --check
    fi
    # Property tests draw from a fixed seed so a run is reproducible; exploring new inputs is
    # `PROPTEST_RNG_SEED=<n> PROPTEST_CASES=50000 cargo test --release --test translate props`.
    export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261124}"
    echo "== cargo test"
    cargo test --locked
fi

echo "== maturin develop (build and install iris_pgwire into $VENV)"
maturin develop --locked --quiet

# The Rust clients of the compatibility matrix are one cargo project (tests/clients/rust),
# built once per machine into the client cache; a no-op once built.
CLIENT_CACHE="${IRIS_PGWIRE_CLIENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iris-pgwire/clients}"
if [ "${IRIS_PGWIRE_NO_CLIENTS:-0}" != 1 ]; then
    echo "== cargo build tests/clients/rust (tokio-postgres and sqlx clients)"
    cargo build --locked --quiet --manifest-path tests/clients/rust/Cargo.toml --target-dir "$CLIENT_CACHE/rust-target"
fi

echo "== pytest"
# Per-test timeout so a hung server fails one test instead of the whole run. The junit
# report feeds the client compatibility matrix (docs/clients.md, README), regenerated after
# a full run (scripts/client-matrix.py leaves it alone after a partial one).
report="$ROOT/target/pytest-junit.xml"
mkdir -p "$ROOT/target"
rc=0
# Paths given on the command line replace pyproject.toml's testpaths (tests/).
python -m pytest -ra --timeout=180 --junitxml="$report" -o junit_family=xunit1 "$@" || rc=$?
if [ "$#" -eq 0 ] && [ -f "$report" ]; then
    echo "== client matrix (scripts/client-matrix.py)"
    python scripts/client-matrix.py "$report" || rc=$((rc ? rc : 1))
fi
exit "$rc"
