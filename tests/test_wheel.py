"""The built abi3 wheel installs into a fresh venv and runs there.

Builds the wheel with maturin (dev profile, sharing target/ with the rest of the
suite), installs it with the `dbapi` extra (the real intersystems-irispython
driver from PyPI) into a new venv, and checks that the server starts on sqlite
and that `--backend dbapi` with no IRIS listening exits with one clear line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from helpers.net import free_port

ROOT = Path(__file__).resolve().parent.parent

# scripts/test.sh's per-test limit (--timeout=180) counts only the test bodies: the wheel
# build and the pip install in the fixture are bounded by their own subprocess timeouts, so
# a busy machine does not fail the tests at setup (as it did at load 16).
pytestmark = pytest.mark.timeout(func_only=True)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    maturin = shutil.which("maturin") or str(Path(sys.executable).parent / "maturin")
    if not Path(maturin).exists():
        pytest.skip("maturin is not installed (scripts/test.sh installs it)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [maturin, "build", "--profile", "dev", "--locked", "--quiet", "--out", str(out)],
        cwd=ROOT, check=True, timeout=900,
    )
    wheels = list(out.glob("iris_pgwire-*-abi3-*.whl"))
    assert len(wheels) == 1, f"expected one abi3 wheel, got {wheels}"
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"{wheels[0]}[dbapi]"],
        check=True, timeout=600,
    )
    return python


def test_wheel_serves_on_sqlite(wheel_venv, tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [str(wheel_venv), "-m", "iris_pgwire.server", "--port", str(port),
         "--sqlite-path", str(tmp_path / "db.sqlite")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        check = None
        for _ in range(50):
            check = subprocess.run(
                [str(wheel_venv), "-m", "iris_pgwire.server", "--check", "--port", str(port)],
                capture_output=True, text=True, timeout=30,
            )
            if check.returncode == 0:
                break
        assert check is not None and check.returncode == 0, check.stdout + check.stderr
        assert "ok" in check.stdout
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert "starting on the sqlite backend" in out.splitlines()[0]


def test_wheel_dbapi_without_iris_fails_clearly(wheel_venv, tmp_path):
    port = free_port()  # nothing listens there
    result = subprocess.run(
        [str(wheel_venv), "-m", "iris_pgwire.server", "--backend", "dbapi",
         "--iris-host", "127.0.0.1", "--iris-port", str(port), "--port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("iris-pgwire:")]
    assert len(errors) == 1, result.stderr
    assert f"127.0.0.1:{port}" in errors[0]
