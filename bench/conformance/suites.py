"""The drivers' own test suites: where each comes from, how it is run against one server,
and how its per-test outcomes are read back.

Each suite runs unchanged; only its own configuration (DSN option, PG* environment
variables) points it at a server. `run()` returns {test id: (outcome, message)} with
outcome one of passed / failed / skipped; a test that errors in set-up or tear-down is
failed. A suite killed by its time limit keeps the outcomes it printed before."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "suites"

Outcomes = dict[str, tuple[str, str]]


@dataclass
class Server:
    """Where a suite connects: PostgreSQL 15 or a gateway. `None` in place of a Server is
    the offline run (no server), which finds the tests that never touch one."""

    name: str
    host: str
    port: int
    user: str = "postgres"
    dbname: str = "postgres"


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_logged(argv, env, cwd, log: Path, limit: float) -> tuple[str, int | None]:
    """Run to completion or `limit` seconds (then kill the process group); returns the
    output (also written to `log`) and the exit code (None: killed at the limit)."""
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        killed = False
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            killed = True
            os.killpg(proc.pid, 9)
            proc.wait()
    return log.read_text(errors="replace"), None if killed else proc.returncode


# `path::name[params] PASSED   [ 12%]` (pytest -v); the status is the last such word.
_VERBOSE = re.compile(r"^(\S+::.+?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: |$)")
# `FAILED path::name - message` / `ERROR path::name - message` (pytest -rfE)
_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+::.+?)(?: - (.*))?$")
_RANK = {"passed": 0, "skipped": 0, "failed": 1}


def parse_pytest(output: str) -> Outcomes:
    results: Outcomes = {}
    messages: dict[str, str] = {}
    for line in output.splitlines():
        m = _VERBOSE.match(line)
        if m:
            tid, status = m.group(1), m.group(2)
            outcome = {"PASSED": "passed", "XPASS": "passed", "SKIPPED": "skipped",
                       "XFAIL": "skipped"}.get(status, "failed")
            old = results.get(tid)
            if old is None or _RANK[outcome] > _RANK[old[0]]:
                results[tid] = (outcome, "")
            continue
        m = _SUMMARY.match(line)
        if m and m.group(2) in results:
            messages[m.group(2)] = (m.group(3) or "")[:300]
    return {tid: (o, messages.get(tid, "")) for tid, (o, _) in results.items()}


class PytestSuite:
    name = ""
    version = ""
    origin = ""
    per_test_timeout = 20
    limit = 1500  # seconds for one run of the whole suite

    def __init__(self, cache: Path, python: Path) -> None:
        self.cache = cache
        self.python = python

    def workdir(self) -> Path:
        raise NotImplementedError

    def args(self, server: Server | None) -> list[str]:
        raise NotImplementedError

    def env(self, server: Server | None) -> dict[str, str | None]:
        """Variables to set (None: to remove) for a run against `server`."""
        return {}

    def run(self, server: Server | None, out: Path) -> Outcomes:
        work = self.workdir()
        label = server.name if server else "offline"
        argv = [str(self.python), "-m", "pytest", "-v", "-rfE", "--tb=line", "-p", "no:randomly",
                f"--timeout={self.per_test_timeout}", "-o", f"cache_dir={out / ('cache-' + self.name + '-' + label)}",
                *self.args(server)]
        # COLUMNS: pytest cuts the summary's failure messages to the terminal's width.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "1000", **self.env(server)}
        for var in ("PYTHONPATH", "VIRTUAL_ENV", *(k for k, v in env.items() if v is None)):
            env.pop(var, None)
        text, rc = run_logged(argv, env, work, out / f"{self.name}-{label}.log", self.limit)
        results = parse_pytest(text)
        if rc is None:
            print(f"  {self.name} on {label}: stopped after {self.limit} s; {len(results)} outcomes kept")
        return results


class Psycopg(PytestSuite):
    """psycopg 3's tests/ at tag 3.3.4 (the newest tag in the snapshot the copy was taken
    from; the driver itself is 3.3.9), vendored with its LICENSE.txt (LGPL-3.0): PyPI's
    sdist carries no tests. crdb/ and scripts/ left out (CockroachDB, benchmarks).

    Run: the sync tests. The *_async.py files are generated from their sync twins
    (psycopg's tools/async_to_sync.py) and send the server the same statements; with
    them the suite alone takes over an hour per server on a busy 2-core machine. pool/
    needs psycopg_pool (not installed); the `slow`, `timing` and `flakey` markers are
    the suite's own for tests that take long or flap on a busy machine."""

    name = "psycopg"
    version = "3.3.9 (tests of 3.3.4)"
    origin = "vendored: bench/conformance/suites/psycopg (tag 3.3.4, commit 83f11036)"
    deselect = "not slow and not timing and not flakey"

    def workdir(self) -> Path:
        work = self.cache / "suites" / "psycopg"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(VENDORED / "psycopg", work)
        return work

    def args(self, server: Server | None) -> list[str]:
        dsn = [] if server is None else [
            "--test-dsn", f"host={server.host} port={server.port} user={server.user} dbname={server.dbname}"]
        return ["tests", "-m", self.deselect, "--ignore=tests/pool", "--ignore-glob=*_async.py", *dsn]

    def env(self, server: Server | None) -> dict[str, str | None]:
        # Offline: no DSN at all, so the tests that need one skip themselves.
        return {"PSYCOPG_TEST_DSN": None} if server is None else {}


class Pg8000(PytestSuite):
    """pg8000's test/ from its PyPI sdist (the pinned version, checked by sha256)."""

    name = "pg8000"
    version = "1.31.6"
    origin = "PyPI sdist pg8000-1.31.6.tar.gz (sha256 553b2402...), fetched at run time"
    sha256 = "553b240256d4b2d8f0ad2af28d07df1f9980247f74ac98d2c2b573762ec1ff1b"
    # Timings, not behaviour; they need pytest-benchmark.
    ignore = ("test/dbapi/test_benchmarks.py", "test/legacy/test_benchmarks.py",
              "test/native/test_benchmarks.py")

    def workdir(self) -> Path:
        dl = self.cache / "downloads"
        sdist = dl / f"pg8000-{self.version}.tar.gz"
        if not sdist.exists() or hashlib.sha256(sdist.read_bytes()).hexdigest() != self.sha256:
            dl.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(self.python), "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
                            "--no-deps", "--dest", str(dl), f"pg8000=={self.version}"], check=True)
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise RuntimeError(f"{sdist}: sha256 {digest}, expected {self.sha256}")
        root = self.cache / "suites"
        work = root / f"pg8000-{self.version}"
        if work.exists():
            shutil.rmtree(work)
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdist) as tar:
            tar.extractall(root, filter="data")
        # The tests import `test.utils`; the installed pg8000 is the one under test, not src/.
        shutil.rmtree(work / "src")
        return work

    def args(self, server: Server | None) -> list[str]:
        return ["test", *(f"--ignore={p}" for p in self.ignore)]

    def env(self, server: Server | None) -> dict[str, str]:
        # pg8000's conftest reads PGHOST/PGPORT/PGPASSWORD; user is always "postgres".
        if server is None:
            return {"PGHOST": "127.0.0.1", "PGPORT": str(closed_port())}
        return {"PGHOST": server.host, "PGPORT": str(server.port), "PGPASSWORD": "pw"}


class NodePostgres:
    """node-postgres (pg)'s packages/pg/test/integration, vendored with its LICENSE (MIT)
    from commit c9e57617 (pg 8.23.0 + fixes; npm's pg package carries no tests), run
    against npm's pg 8.23.1 as `make test-integration` runs it: each *-tests.js file is a
    process of its own (`node file`), configured by PG* variables, and passes when it exits 0
    (the suite's runner exits at a file's first failing test)."""

    name = "node-postgres"
    version = "8.23.1"
    origin = "vendored: bench/conformance/suites/node-postgres (commit c9e57617); pg from npm"
    per_file_timeout = 60

    def __init__(self, cache: Path, node_modules: Path) -> None:
        self.cache = cache
        self.node_modules = node_modules

    def workdir(self) -> Path:
        """The test directory beside pg's lib/ (the tests require('../lib')), inside the
        npm install so that lib's own dependencies resolve."""
        work = self.node_modules.parent / "pg-under-test"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(self.node_modules / "pg", work)
        shutil.copytree(VENDORED / "node-postgres" / "test", work / "test")
        return work

    def run(self, server: Server | None, out: Path) -> Outcomes:
        if server is None:  # every integration test connects
            return {}
        work = self.workdir()
        env = {**os.environ, "PGHOST": server.host, "PGPORT": str(server.port), "PGUSER": server.user,
               "PGDATABASE": server.dbname, "PGPASSWORD": "", "PGSSLMODE": "disable"}
        results: Outcomes = {}
        logdir = out / f"{self.name}-{server.name}"
        logdir.mkdir(parents=True, exist_ok=True)
        files = sorted(p.relative_to(work).as_posix() for p in (work / "test" / "integration").rglob("*-tests.js"))
        for rel in files:
            start = time.monotonic()
            text, rc = run_logged(["node", rel], env, work, logdir / (rel.replace("/", "_") + ".log"),
                                  self.per_file_timeout)
            message = "" if rc == 0 else _node_failure(text, rc, time.monotonic() - start)
            results[rel] = ("passed" if rc == 0 else "failed", message)
        return results


def _node_failure(text: str, rc: int | None, seconds: float) -> str:
    if rc is None:
        return f"no exit within {seconds:.0f} s"
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if "FAILED!" in l or l.startswith(("Error", "AssertionError", "Message:")):
            return " ".join(lines[i:i + 3])[:300]
    return " ".join(lines[-3:])[:300]
