#!/usr/bin/env bash
# Runs an aarch64 wheel on an x86_64 machine: Debian's arm64 CPython 3.11 and glibc under
# qemu-user, the gateway on the sqlite backend, psql connecting to it. A release check for
# the wheel scripts/package-ipm.sh cross-builds (not part of scripts/test.sh: the aarch64
# build takes minutes).
# Usage: scripts/smoke-aarch64-wheel.sh [WHEEL]   (default: the one in dist/ipm/*/wheels/)
# Needs root for apt-get (qemu-user-static); the arm64 packages are only downloaded and
# unpacked into $CACHE (default /tmp/iris-pgwire-arm64), with apt lists of their own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wheel="${1:-$(ls "$ROOT"/dist/ipm/*/wheels/*_aarch64.whl 2>/dev/null | head -1)}"
[ -f "$wheel" ] || { echo "smoke-aarch64-wheel.sh: no aarch64 wheel (run scripts/package-ipm.sh)" >&2; exit 1; }
CACHE="${CACHE:-/tmp/iris-pgwire-arm64}"
log() { echo "[smoke-aarch64] $*" >&2; }

command -v qemu-aarch64-static >/dev/null 2>&1 || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
command -v psql >/dev/null 2>&1 || "$ROOT/scripts/install-deps.sh" --client-only --no-venv

sysroot="$CACHE/root"
if [ ! -x "$sysroot/usr/bin/python3.11" ]; then
    apt=(-o APT::Architecture=arm64 -o "APT::Architectures::=arm64" -o "Dir::State::Lists=$CACHE/lists"
         -o "Dir::Cache=$CACHE/cache" -o Dir::State::Status=/dev/null)
    mkdir -p "$CACHE/lists/partial" "$CACHE/cache/archives/partial" "$CACHE/debs" "$sysroot"
    log "downloading Debian's arm64 python3.11 into $CACHE"
    apt-get "${apt[@]}" update -qq
    (cd "$CACHE/debs" && apt-get "${apt[@]}" download -qq libc6 libgcc-s1 zlib1g libexpat1 libssl3 \
        libffi8 libsqlite3-0 libbz2-1.0 liblzma5 libuuid1 libcrypt1 libtirpc3 libnsl2 media-types \
        libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1 \
        libncursesw6 libtinfo6 libreadline8 libdb5.3 \
        python3.11-minimal libpython3.11-minimal libpython3.11-stdlib 2>/dev/null)
    for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
fi

work="$(mktemp -d)"
server=""
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
python3 -m zipfile -e "$wheel" "$work/site"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PYTHONPATH="$work/site" qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/python3.11" \
    -m iris_pgwire.server --backend sqlite --port "$port" --sqlite-path "$work/db.sqlite" \
    >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
    psql -h 127.0.0.1 -p "$port" -U postgres -Atq -c "select 1" >/dev/null 2>&1 && break
    sleep 1
done
out="$(psql -h 127.0.0.1 -p "$port" -U postgres -At -v ON_ERROR_STOP=1 \
    -c "create table t (a int, b text)" -c "insert into t values (1, 'aarch64')" -c "select * from t")" \
    || { cat "$work/server.log" >&2; exit 1; }
head -2 "$work/server.log" >&2
[ "$(echo "$out" | tail -1)" = "1|aarch64" ] || { echo "unexpected psql output: $out" >&2; exit 1; }
log "ok: $(basename "$wheel") served psql under qemu-aarch64 (Debian arm64 CPython 3.11)"
