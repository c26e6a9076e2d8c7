"""The IPM module as scripts/package-ipm.sh builds it, installed the way its Activate step does.

The script runs once per session for this machine's architecture (dev profile, to keep the
suite fast). IRIS_PGWIRE_IPM_OUT=dist/ipm checks a module built before instead, e.g. the
release build of both architectures (`scripts/package-ipm.sh`). A fresh venv stands in for IRIS's Python: Installer.PipCommand's
exact argument list (read from Installer.cls) installs the wheel into a directory standing in
for <install>/mgr/python, with every index unreachable; the gateway then starts from there
and psql talks to it. Uninstall's file list (Installer.RemoveWheel's rule) is compared with
what pip really wrote.
"""

from __future__ import annotations

import csv
import gzip
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.net import free_port
from test_ipm_structure import pip_command_template, pyproject_version

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "package-ipm.sh"
HOST = {"arm64": "aarch64"}.get(platform.machine(), platform.machine())
ELF_MACHINE = {"x86_64": 62, "aarch64": 183}
# The module build (`built`, minutes of cargo on a busy machine) and the venv install
# (`installed`) run in fixture setup, once per session; the per-test limit of
# scripts/test.sh (--timeout=180) counts only the test bodies here, and the fixtures are
# bounded by their own subprocess timeouts instead (1800 s for the build, 300 s for pip).
pytestmark = pytest.mark.timeout(func_only=True)
OFFLINE = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_CONFIG_FILE": os.devnull,
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}


@dataclass
class Built:
    dir: Path
    archive: Path
    wheels: list[Path]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    if os.environ.get("IRIS_PGWIRE_IPM_OUT"):
        out = Path(os.environ["IRIS_PGWIRE_IPM_OUT"]).resolve()
    else:
        out = tmp_path_factory.mktemp("ipm")
        subprocess.run([str(SCRIPT), "--out", str(out), "--arch", "host", "--profile", "dev"],
                       cwd=ROOT, check=True, timeout=1800)
    name = f"iris-pgwire-{pyproject_version()}"
    return Built(out / name, out / f"{name}.tgz", sorted((out / name / "wheels").glob("*.whl")))


def wheel_for(wheels: list[Path], arch: str) -> Path:
    """Installer.WheelFor's rule: the wheel whose name ends in _<arch>.whl."""
    found = [w for w in wheels if w.name.endswith(f"_{arch}.whl")]
    assert len(found) == 1, (arch, wheels)
    return found[0]


def test_module_layout(built):
    files = sorted(str(p.relative_to(built.dir)) for p in built.dir.rglob("*") if p.is_file())
    assert files == sorted(["module.xml", "README.md", "docs/iris.md",
                            "src/cls/IrisPGWire/Installer.cls", "src/cls/IrisPGWire/Notify.cls",
                            "src/cls/IrisPGWire/Service.cls",
                            "src/cls/IrisPGWire/StartTask.cls"]
                           + [f"wheels/{w.name}" for w in built.wheels])
    module = ET.parse(built.dir / "module.xml").getroot().find("./Document/Module")
    assert (built.dir / module.findtext("SourcesRoot") / "cls" / "IrisPGWire").is_dir()
    assert module.find("FileCopy").get("Name") == "/wheels/"
    assert (ROOT / "ipm" / "module.xml").read_bytes() == (built.dir / "module.xml").read_bytes()


def test_wheel_tags(built):
    archs = [re.search(r"manylinux_2_17_(\w+)\.whl$", w.name).group(1) for w in built.wheels]
    assert HOST in archs and set(archs) <= set(ELF_MACHINE) and len(set(archs)) == len(archs)
    version = pyproject_version()
    for whl, arch in zip(built.wheels, archs):
        assert whl.name == f"iris_pgwire-{version}-cp39-abi3-manylinux2014_{arch}.manylinux_2_17_{arch}.whl"
        with zipfile.ZipFile(whl) as z:
            meta = z.read(f"iris_pgwire-{version}.dist-info/WHEEL").decode()
            so = z.read("iris_pgwire/_core.abi3.so")
        assert {f"Tag: cp39-abi3-manylinux2014_{arch}", f"Tag: cp39-abi3-manylinux_2_17_{arch}"} \
            <= set(meta.splitlines())
        assert so[:4] == b"\x7fELF" and int.from_bytes(so[18:20], "little") == ELF_MACHINE[arch]
        report = subprocess.run([str(Path(sys.executable).parent / "auditwheel"), "show", str(whl)],
                                capture_output=True, text=True, check=True).stdout
        assert f'"manylinux_2_17_{arch}"' in " ".join(report.split())


def test_script_builds_both_architectures_where_it_can():
    out = subprocess.run([str(SCRIPT), "--print-archs"], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    installed = subprocess.run(["rustup", "target", "list", "--installed"], capture_output=True,
                               text=True).stdout.split() if shutil.which("rustup") else []
    want = ["x86_64"] + (["aarch64"] if "aarch64-unknown-linux-gnu" in installed else [])
    assert out == want


def test_archive_is_the_module_directory(built):
    with tarfile.open(built.archive) as tar:
        members = tar.getmembers()
    names = {m.name for m in members if m.isfile()}
    assert names == {str(p.relative_to(built.dir)) for p in built.dir.rglob("*") if p.is_file()}
    # What %IPM.Utils.FileBinaryTar reads: no pax headers, names in the 100-byte field.
    assert all(m.isfile() or m.isdir() for m in members)
    assert all(not m.pax_headers and len(m.name) < 100 and not m.name.startswith(("./", "/"))
               for m in members)
    assert "module.xml" in names
    assert ipm_tar_reader(built.archive) == {
        str(p.relative_to(built.dir)): p.stat().st_size for p in built.dir.rglob("*") if p.is_file()}


def ipm_tar_reader(archive: Path) -> dict[str, int]:
    """Files and sizes as IPM's reader sees them: a port of the header handling of
    %IPM.Utils.FileBinaryTar ExtractStream/ParseHeader (src/cls/IPM/Utils/FileBinaryTar.cls at
    helpers.ipm_schema.IPM_COMMIT): fields stripped of NUL and space, name = prefix_name (no
    slash between), "./" dropped, byte-sum checksum, GNU "L" long names, stop at an empty name."""
    data, pos, files, long_name = gzip.decompress(archive.read_bytes()), 0, {}, ""

    def field(header: bytes, start: int, length: int) -> str:
        return header[start:start + length].decode("latin-1").strip("\0 ")

    while pos + 512 <= len(data):
        header = data[pos:pos + 512]
        pos += 512
        name, prefix, flag = field(header, 0, 100), field(header, 345, 155), field(header, 156, 1) or "0"
        if name == "./":
            continue
        if name.startswith("./"):
            name = name[2:]
        if not name:
            break
        assert sum(header[:148] + b" " * 8 + header[156:]) == int(field(header, 148, 8), 8), name
        size = int(field(header, 124, 12), 8)
        body = data[pos:pos + size]
        pos += -(-size // 512) * 512
        if flag == "L":
            long_name = body.decode().strip("\0 ")
            continue
        full, long_name = long_name or prefix + name, ""
        assert flag in ("0", "5"), (full, flag)  # pax "x"/"g" entries would become files
        if flag == "0":
            files[full] = size
    return files


@dataclass
class Installed:
    python: Path
    target: Path
    files: set[str]


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> Installed:
    """A fresh venv runs Activate's pip command against the module's wheel folder, offline."""
    base = tmp_path_factory.mktemp("iris")
    venv.create(base / "venv", with_pip=True)
    python = base / "venv" / "bin" / "python"
    target = base / "mgr" / "python"
    wheels = built.dir / "wheels"
    values = {"python": str(python), "wheelDir": str(wheels) + "/", "target": str(target) + "/",
              "wheel": str(wheel_for(built.wheels, HOST))}
    command = [values.get(arg, arg) for arg in pip_command_template()]
    result = subprocess.run(command, env={**os.environ, **OFFLINE}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    files = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    return Installed(python, target, files)


def test_installed_gateway_serves_psql(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed.target)}  # as IRIS puts mgr/python on sys.path
    where = subprocess.run([str(installed.python), "-c", "import iris_pgwire; print(iris_pgwire.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(installed.target))
    port = free_port()
    server = subprocess.Popen([str(installed.python), "-m", "iris_pgwire.server", "--backend", "sqlite",
                               "--port", str(port), "--sqlite-path", str(tmp_path / "db.sqlite")],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        for _ in range(100):
            check = subprocess.run([str(installed.python), "-m", "iris_pgwire.server", "--check",
                                    "--port", str(port)], env=env, cwd=tmp_path, capture_output=True)
            if check.returncode == 0:
                break
        psql = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-At",
                               "-c", "select 40 + 2 as answer"], capture_output=True, text=True, timeout=30)
        assert psql.returncode == 0, psql.stderr
        assert psql.stdout.strip() == "42"
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert server.returncode == 0, out


def test_other_architecture_wheel_is_refused(built, installed, tmp_path):
    """Why Activate picks by architecture: pip refuses a wheel for another machine."""
    other = {"x86_64": "aarch64", "aarch64": "x86_64"}[HOST]
    candidates = [w for w in built.wheels if w.name.endswith(f"_{other}.whl")]
    if not candidates:
        # The session builds the host wheel only; rename a copy to the other tag.
        src = wheel_for(built.wheels, HOST)
        fake = tmp_path / src.name.replace(HOST, other)
        shutil.copy(src, fake)
        candidates = [fake]
    result = subprocess.run([str(installed.python), "-m", "pip", "install", "--no-index",
                             "--target", str(tmp_path / "t"), str(candidates[0])],
                            env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "is not a supported wheel on this platform" in result.stderr


def removal_list(target: Path, version: str) -> set[str]:
    """Installer.RemoveWheel's rule, applied to the RECORD pip wrote."""
    record = target / f"iris_pgwire-{version}.dist-info" / "RECORD"
    files = set()
    with record.open(newline="") as f:
        for row in csv.reader(f):
            path = row[0]
            if path.startswith("../../bin/"):
                path = "bin/" + path[len("../../bin/"):]
            if not path or ".." in path or path.startswith("/"):
                continue
            files.add(path)
    return files


def test_uninstall_removes_exactly_what_install_added(installed):
    installer = (ROOT / "ipm" / "src" / "cls" / "IrisPGWire" / "Installer.cls").read_text()
    assert 'if $extract(path, 1, 10) = "../../bin/" { set path = "bin/"_$extract(path, 11, *) }' in installer
    assert 'if (path = "") || (path [ "..") || ($extract(path) = "/") { continue }' in installer
    assert '$piece(stream.ReadLine(), ",", 1)' in installer
    rows = (installed.target / f"iris_pgwire-{pyproject_version()}.dist-info" / "RECORD").read_text()
    assert '"' not in rows, "RECORD paths are quoted: $PIECE on commas would break"
    assert removal_list(installed.target, pyproject_version()) == installed.files
    assert re.search(r"(?m)^\.\./\.\./bin/iris-pgwire,", rows), "pip --target records scripts as ../../bin/"
