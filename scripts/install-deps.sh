#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently and quietly:
#   - PostgreSQL 15 server + client (psql for the tests, pg15 as the differential reference),
#   - a Python venv (.venv, or $VENV) with the pinned test requirements,
#   - the clients of the compatibility matrix (tests/clients/): Debian packages, npm
#     packages into ~/.cache/iris-pgwire/clients, once per machine (IRIS_PGWIRE_CLIENT_CACHE
#     moves it; IRIS_PGWIRE_NO_CLIENTS=1 skips the clients).
# Usage: scripts/install-deps.sh [--client-only] [--no-venv] [--no-test-reqs] [--bench]
#   --client-only   psql only, no PostgreSQL server (scripts/start.sh)
#   --no-venv       skip the venv
#   --no-test-reqs  create the venv but do not install requirements-test.txt
#   --bench         also PgBouncer, the benchmarks' reference pooler (scripts/bench.sh)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
client_only=0
want_venv=1
want_reqs=1
want_bench=0
for arg in "$@"; do
    case "$arg" in
        --client-only) client_only=1 ;;
        --no-venv) want_venv=0 ;;
        --no-test-reqs) want_reqs=0 ;;
        --bench) want_bench=1 ;;
        *) echo "install-deps.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

log() { echo "[install-deps] $*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && SUDO="sudo"
fi

apt_updated=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps.sh: apt-get not found; install these by hand: $*" >&2
        exit 1
    fi
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pkgs=()
# A C linker for cargo (the Rust toolchain alone does not bring one).
command -v cc >/dev/null 2>&1 || pkgs+=(gcc libc6-dev)
# PostgreSQL 15: psql always; the server unless --client-only.
command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client-15)
if [ "$client_only" -eq 0 ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    pkgs+=(postgresql-15)
fi
if [ "$want_bench" -eq 1 ] && ! command -v pgbouncer >/dev/null 2>&1; then
    pkgs+=(pgbouncer)
fi
# The clients of the compatibility matrix (tests/clients/, docs/clients.md), from Debian's
# archive, in the same apt-get call. Each is checked by its package, so a machine that has
# them pays nothing.
if [ "$client_only" -eq 0 ] && [ "$want_bench" -eq 0 ] && [ "${IRIS_PGWIRE_NO_CLIENTS:-0}" != 1 ]; then
    deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed'; }
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
    command -v javac >/dev/null 2>&1 || pkgs+=(default-jdk-headless)
    command -v go >/dev/null 2>&1 || pkgs+=(golang-go)
    command -v pgbench >/dev/null 2>&1 || pkgs+=(postgresql-client-15)
    for p in libpostgresql-jdbc-java golang-github-jackc-pgx-v4-dev ruby-pg php-cli php-pgsql \
        libdbd-pg-perl odbc-postgresql unixodbc pgcli; do
        deb_installed "$p" || pkgs+=("$p")
    done
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
    apt_install "${pkgs[@]}"
fi

# pgvector for the PostgreSQL 15 reference (the vector tools of tests/clients/): Debian
# bookworm has no postgresql-15-pgvector, so Debian's own source package (trixie's pgvector,
# fetched with apt-get source from the Debian archive) is built against bookworm's
# postgresql-server-dev-15, without -march=native so the build runs on any x86-64.
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
if [ "$client_only" -eq 0 ] && [ "$want_bench" -eq 0 ] && [ "${IRIS_PGWIRE_NO_CLIENTS:-0}" != 1 ] \
    && [ ! -f /usr/share/postgresql/15/extension/vector.control ]; then
    [ -x "$PG_CONFIG" ] || apt_install postgresql-server-dev-15
    log "building pgvector 0.8.0 (Debian source package) for PostgreSQL 15"
    src="$(mktemp -d)" && chmod 755 "$src"  # readable by apt's _apt user
    printf 'deb-src http://deb.debian.org/debian trixie main\n' >"$src/sources.list"
    mkdir -p "$src/lists/partial"
    aptsrc=(-o Dir::Etc::sourcelist="$src/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$src/lists")
    (cd "$src" && apt-get "${aptsrc[@]}" update -qq && apt-get "${aptsrc[@]}" source --download-only -qq pgvector=0.8.0-1 >/dev/null \
        && tar xzf pgvector_0.8.0.orig.tar.gz && cd pgvector-0.8.0 \
        && make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null 2>&1 \
        && $SUDO make -s install PG_CONFIG="$PG_CONFIG" >/dev/null)
    rm -rf "$src"
fi

if [ "$want_venv" -eq 1 ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating venv $VENV"
        if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
            # Debian's own python3 ships venv separately.
            rm -rf "$VENV"
            apt_install python3-venv
            "$PYTHON" -m venv "$VENV"
        fi
    fi
    # Reinstall only when the pinned list changed.
    stamp="$VENV/.requirements-test.sha256"
    want="$(sha256sum "$ROOT/requirements-test.txt" | cut -d' ' -f1)"
    if [ "$want_reqs" -eq 1 ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; }; then
        log "pip install -r requirements-test.txt"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-test.txt"
        echo "$want" >"$stamp"
    fi
fi
# The Node clients (tests/clients/node/package-lock.json) into the client cache, with npm's
# own cache beside them; reinstalled only when the lock file changed.
if [ "$client_only" -eq 0 ] && [ "$want_bench" -eq 0 ] && [ "${IRIS_PGWIRE_NO_CLIENTS:-0}" != 1 ]; then
    node_dir="${IRIS_PGWIRE_CLIENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iris-pgwire/clients}/node"
    lock="$ROOT/tests/clients/node/package-lock.json"
    stamp="$node_dir/.package-lock.sha256"
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        log "npm ci (tests/clients/node) into $node_dir"
        mkdir -p "$node_dir"
        cp "$ROOT/tests/clients/node/package.json" "$lock" "$node_dir/"
        # No install scripts: none of the clients needs one, and @prisma/engines' postinstall
        # would fetch engine binaries from Prisma's own host (the client needs none of them).
        (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --cache "$node_dir/.npm" >/dev/null)
        echo "$want" >"$stamp"
    fi
    # Python tools whose pins conflict with the test venv's (tests/clients/venvs/NAME.txt says
    # why), each in a venv of its own in the client cache, reinstalled when its list changed.
    for reqs in "$ROOT"/tests/clients/venvs/*.txt; do
        name="$(basename "$reqs" .txt)"
        tool_venv="$(dirname "$node_dir")/venv-$name"
        stamp="$tool_venv/.requirements.sha256"
        want="$(sha256sum "$reqs" | cut -d' ' -f1)"
        if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
            log "pip install -r tests/clients/venvs/$name.txt into $tool_venv"
            [ -x "$tool_venv/bin/python" ] || "$PYTHON" -m venv "$tool_venv"
            "$tool_venv/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
            echo "$want" >"$stamp"
        fi
    done
fi
log "ok"
