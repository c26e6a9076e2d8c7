#!/usr/bin/env bash
# Builds the IPM (zpm) module of iris-pgwire with its own wheels, so that an IRIS host needs
# neither a Rust toolchain nor a package index:
#   OUT/iris-pgwire-<version>/      the module directory:  zpm "load OUT/iris-pgwire-<version>/"
#       module.xml  README.md  src/cls/IrisPGWire/*.cls  wheels/*.whl  docs/iris.md
#   OUT/iris-pgwire-<version>.tgz   the same files as the archive `zpm "load <file>.tgz"` and a
#                                   registry take (module.xml at the top, GNU tar, gzip)
# Wheels: abi3 (CPython >= 3.9), manylinux2014 (glibc 2.17), cross-linked with zig (the
# `ziglang` PyPI package) through `maturin --zig`; no container. Each is checked with
# `auditwheel show`.
#
# Usage: scripts/package-ipm.sh [--out DIR] [--arch all|host|x86_64|aarch64] [--profile release|dev]
#                               [--print-archs]
#   --out DIR       where to put the module (default: dist/ipm)
#   --arch          all (default): x86_64, plus aarch64 when the Rust target
#                   aarch64-unknown-linux-gnu is installed (the script tries `rustup target add`
#                   once; without it the module carries x86_64 only and says so);
#                   host: this machine's architecture only, built in cargo's default target
#                   directory (shared with `maturin develop` and `cargo test`, so a test run
#                   reuses their artifacts; zig links only what is not built yet there);
#                   the tag is checked the same way (what the test suite builds)
#   --profile       cargo profile of the extension (default release; dev for quick test builds)
#   --print-archs   print the architectures --arch would build, and exit
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
out="$ROOT/dist/ipm"
arch_mode="all"
profile="release"
print_archs=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --arch) arch_mode="$2"; shift 2 ;;
        --profile) profile="$2"; shift 2 ;;
        --print-archs) print_archs=1; shift ;;
        *) echo "package-ipm.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { echo "[package-ipm] $*" >&2; }
# shellcheck source=lib/progress.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/progress.sh"
die() { echo "package-ipm.sh: $*" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
# maturin looks for `zig`, else runs `python3 -m ziglang`: the venv's python3 must come first.
export PATH="$VENV/bin:$PATH"

host_arch="$(uname -m)"
case "$host_arch" in arm64) host_arch=aarch64 ;; esac

target_installed() {
    rustup target list --installed 2>/dev/null | grep -qx "$1-unknown-linux-gnu"
}

archs=()
own_target_dir=1
case "$arch_mode" in
    all)
        archs=(x86_64)
        if ! target_installed aarch64 && [ "$print_archs" -eq 0 ] && command -v rustup >/dev/null 2>&1; then
            log "rustup target add aarch64-unknown-linux-gnu"
            timeout 300 rustup target add aarch64-unknown-linux-gnu >&2 || log "could not add the aarch64 Rust target"
        fi
        if target_installed aarch64; then
            archs+=(aarch64)
        elif [ "$print_archs" -eq 0 ]; then
            log "WARNING: no aarch64 Rust std (rustup target add aarch64-unknown-linux-gnu failed):" \
                "the module carries the x86_64 wheel only"
        fi
        ;;
    host) archs=("$host_arch"); own_target_dir=0 ;;
    x86_64|aarch64) archs=("$arch_mode") ;;
    *) die "--arch must be all, host, x86_64 or aarch64" ;;
esac
if [ "$print_archs" -eq 1 ]; then
    echo "${archs[*]}"
    exit 0
fi

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -1)"
[ -n "$version" ] || die "no version in pyproject.toml"
grep -q "<Version>$version</Version>" ipm/module.xml || die "ipm/module.xml <Version> differs from pyproject.toml ($version)"

for tool in maturin auditwheel; do
    [ -x "$VENV/bin/$tool" ] || die "$VENV/bin/$tool missing: run scripts/install-deps.sh"
done
"$VENV/bin/python" -m ziglang version >/dev/null 2>&1 || die "the ziglang package is missing from $VENV: run scripts/install-deps.sh"

name="iris-pgwire-$version"
module="$out/$name"
wheels="$module/wheels"
rm -rf "$module" "$out/$name.tgz"
mkdir -p "$wheels"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

step=0
for arch in "${archs[@]}"; do
    step=$((step + 1))
    triple="$arch-unknown-linux-gnu"
    if [ "$own_target_dir" -eq 1 ]; then
        target_installed "$arch" || die "Rust target $triple is not installed (rustup target add $triple)"
    fi
    log "[$step/${#archs[@]}] building the $arch wheel ($profile profile)"
    start=$(date +%s)
    target_flag=(--target "$triple")
    [ "$own_target_dir" -eq 1 ] || target_flag=()
    progress_run "[package-ipm] [$step/${#archs[@]}] $arch wheel" \
        "$VENV/bin/maturin" build --locked --profile "$profile" --zig --compatibility manylinux2014 \
        "${target_flag[@]}" --out "$build/$arch" --quiet >&2
    whl=("$build/$arch"/iris_pgwire-"$version"-cp39-abi3-*_"$arch".whl)
    [ -f "${whl[0]}" ] || die "maturin produced no abi3 $arch wheel in $build/$arch"
    # auditwheel reads the ELF of either architecture; the tag it reports must be manylinux_2_17.
    report="$("$VENV/bin/auditwheel" show "${whl[0]}")"
    echo "$report" | grep -q "\"manylinux_2_17_$arch\"" || { echo "$report" >&2; die "$arch wheel is not manylinux2014"; }
    cp "${whl[0]}" "$wheels/"
    log "$(basename "${whl[0]}"): $(du -k "${whl[0]}" | cut -f1) KiB, $(( $(date +%s) - start )) s"
done

mkdir -p "$module/src/cls/IrisPGWire" "$module/docs"
cp ipm/module.xml ipm/README.md "$module/"
cp ipm/src/cls/IrisPGWire/*.cls "$module/src/cls/IrisPGWire/"
cp docs/iris.md "$module/docs/"

# IPM's own tar reader (%IPM.Utils.FileBinaryTar) understands ustar headers and GNU long-name
# records, not pax headers: hence GNU format, members named without "./".
(cd "$module" && tar --format=gnu --owner=0 --group=0 --numeric-owner --sort=name \
    -czf "../$name.tgz" module.xml README.md src wheels docs)
log "module directory: $module"
log "module archive:   $out/$name.tgz ($(du -k "$out/$name.tgz" | cut -f1) KiB)"
