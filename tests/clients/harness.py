"""Running a client that is not Python: a small program per client (tests/clients/<lang>/)
does every step of the matrix against one server and prints one JSON object

    {"step name": {"ok": true, "value": ...} | {"ok": false, "error": "...", "sqlstate": "..."}}

and the test file asserts on each step in its own test, so one gap (say the catalog) fails
one test, not the file. The program runs once per target; the steps' results are cached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLIENTS_DIR = Path(__file__).resolve().parent
# Toolchain caches (npm installs, cargo target, Go build cache), per machine so that a
# fresh clone (CI) reuses them: the slow builds happen once. scripts/install-deps.sh and
# scripts/test.sh use the same default.
CACHE = Path(os.environ.get("IRIS_PGWIRE_CLIENT_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "iris-pgwire" / "clients")

# The table every program creates, fills and reads back, one column per common type, and
# the value each column holds. Programs bind these as parameters in the client's own types.
TYPES_TABLE_DDL = (
    "create table {t} (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, "
    "f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, "
    "ts timestamp, tz timestamptz, u uuid, j jsonb)"
)


# Every server of the matrix requires SCRAM-SHA-256 from the test user on TCP, and every
# client logs in with user and password under its default auth settings. ASCII: the gateway
# does no SASLprep (docs/security.md); a quote and a space check the clients' escaping.
PASSWORD = "matrix 'S3cret"
SCRAM_HBA = ("host all all 127.0.0.1/32 scram-sha-256", "host all all ::1/128 scram-sha-256")


def scram_args(directory: Path, user: str) -> tuple[str, ...]:
    """Gateway flags that require `user` to prove PASSWORD: a users file and access rules."""
    users, hba = directory / "users", directory / "hba.conf"
    subprocess.run([sys.executable, "-m", "iris_pgwire.users", "add", user, "--password-stdin",
                    "--file", str(users)], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True, timeout=60)
    hba.write_text("\n".join(SCRAM_HBA) + "\n")
    return ("--hba-file", str(hba), "--users-file", str(users))


def need(exe: str, package: str) -> str:
    path = shutil.which(exe)
    if not path:
        pytest.fail(f"{exe} not installed: scripts/install-deps.sh installs {package}")
    return path


PGJDBC_JAR = "/usr/share/java/postgresql.jar"  # Debian's libpostgresql-jdbc-java


def compile_java(out: Path, source: str) -> Path:
    """Compiles tests/clients/java/<source> against pgjdbc into out; returns out."""
    javac = need("javac", "default-jdk-headless")
    subprocess.run([javac, "-d", str(out), "-cp", PGJDBC_JAR, str(CLIENTS_DIR / "java" / source)],
                   check=True, capture_output=True, timeout=300)
    return out


def env_for(target=None, **extra: str) -> dict:
    """The environment of a client process; with a target, its password in PGPASSWORD (how
    psql, pgbench and pgcli take one in a script). Programs get theirs in argv instead."""
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    env.pop("PGPASSWORD", None)
    if target is not None and target.password is not None:
        env["PGPASSWORD"] = target.password
    env.update(extra)
    return env


def run_program(cmd: list[str], target, table: str, *, timeout: float = 120,
                cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run one client program: argv gets host, port, user, dbname, a fresh table name and
    the password (empty: none), which the program passes to its driver."""
    args = [*cmd, target.host, str(target.port), target.user, target.dbname, table, target.password or ""]
    t0 = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          stdin=subprocess.DEVNULL, env=env or env_for())
    elapsed = time.monotonic() - t0
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        steps = json.loads(last)
    except json.JSONDecodeError:
        # The program died (a driver that throws outside any step): every step fails
        # with what it printed.
        steps = {"_fatal": f"{' '.join(args[:-1])} exited {proc.returncode} after {elapsed:.1f}s "
                           f"without JSON:\nstdout:\n{proc.stdout[-3000:]}"}
    steps["_stderr"] = proc.stderr[-4000:]
    return steps


class Steps:
    """One program run's results, keyed by step."""

    def __init__(self, results: dict) -> None:
        self.results = results

    def ok(self, name: str):
        r = self.results.get(name)
        assert r is not None, (f"step {name!r} did not run: {self.results.get('_fatal', '')}\n"
                               f"stderr:\n{self.results['_stderr']}")
        assert r["ok"], f"step {name!r} failed: {r.get('sqlstate')} {r.get('error')}"
        return r.get("value")


class ProgramCache:
    """Runs a client program at most once per target in a session."""

    def __init__(self) -> None:
        self._runs: dict[tuple, object] = {}

    def get(self, key: tuple, run):
        """run() once per key; a dict of steps comes back as Steps, anything else as is."""
        if key not in self._runs:
            result = run()
            self._runs[key] = Steps(result) if isinstance(result, dict) else result
        return self._runs[key]


def tool_version(*cmd: str) -> str:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def deb_version(package: str) -> str:
    return tool_version("dpkg-query", "-W", "-f=${Version}", package)


def xfail_on_gateway(request: pytest.FixtureRequest, target, reason: str) -> None:
    """A gap of the gateway that another issue closes: strict, so the test flips visibly
    (XPASS fails the run) the day the feature lands. PostgreSQL 15 must pass."""
    if target.is_gateway:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))




def xfail_on_iris(request: pytest.FixtureRequest, target, reason: str) -> None:
    """A step IRIS itself cannot do (reason: the IRIS limit and what the user writes
    instead), on the IRIS doubles' targets; strict, like xfail_on_gateway."""
    if target.is_iris:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def assert_same(got, want) -> None:
    """Equal as JSON text: in Python 1 == True, and a bool must not pass as an int."""
    got_text, want_text = json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)
    assert got_text == want_text, f"got {got_text[:1500]}\nwant {want_text[:1500]}"


def tool_python(venv: str) -> str:
    """The interpreter of a tool's own venv (tests/clients/venvs/<venv>.txt, installed by
    scripts/install-deps.sh into the client cache)."""
    python = CACHE / f"venv-{venv}" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} missing: scripts/install-deps.sh installs tests/clients/venvs/{venv}.txt")
    return str(python)


def tool_package_version(venv: str, package: str) -> str:
    """A package's version in a tool's venv, from its installed metadata."""
    site = CACHE / f"venv-{venv}" / "lib"
    name = package.replace("-", "_").lower()
    for dist in site.glob(f"python3*/site-packages/*.dist-info"):
        if dist.name.lower().startswith(name + "-"):
            return dist.name[len(name) + 1:].removesuffix(".dist-info")
    return "not installed"


IRIS_BACKENDS = ("embedded", "dbapi")
ALL_GATEWAYS = ("gateway",) + IRIS_BACKENDS
# A gap that an emulation of issue 24 closes, landing in parallel with the tests that show
# it: not strict, so the day it lands the test passes without editing this file (the
# matrix then counts it as passed); make it strict or delete it once it has landed.
PENDING = "pending emulation (issue 24): "


def mark_gaps(request: pytest.FixtureRequest, target, gaps: list[tuple[tuple[str, ...], str]]) -> None:
    """Known gaps of one test: (targets, reason) pairs, targets among gateway (sqlite),
    embedded, dbapi. A reason starting "IRIS:" is a limit of IRIS itself and says what to
    write instead; "gateway gap:" a gateway bug with its issue; both strict. PENDING ones
    are not strict."""
    for targets, reason in gaps:
        if target.name in targets:
            request.applymarker(pytest.mark.xfail(strict=not reason.startswith(PENDING), reason=reason))
# Gaps on the IRIS doubles that issue 24's emulations close (shared by the client files).
IRIS_IDENTITY_PK = PENDING + ("an IDENTITY column with a table-level PRIMARY KEY (SERIAL .., PRIMARY KEY (id), "
                              "as SQLAlchemy, Alembic and Django write it) on the IRIS double, which IRIS accepts")
# Gaps on the IRIS doubles left after issue 24's emulations landed (strict: the day one is
# closed its tests pass and the marker must go).
IRIS_QUOTED_IDENTITY_PK = ("gateway gap (issue 24): the IRIS double refuses an IDENTITY column whose name is "
                           "quoted with a table-level key on it (\"id\" INTEGER IDENTITY, .., PRIMARY KEY (\"id\"): "
                           "'more than one primary key'), which IRIS accepts; every later step reads that table")
IRIS_INSERT_MANY = ("gateway gap (issue 24): SQLAlchemy's insertmanyvalues INSERT .. SELECT .. FROM (VALUES ..) "
                    "ORDER BY sen_counter RETURNING is refused on IRIS (0A000 VALUES in FROM); later steps read "
                    "what it wrote")
IRIS_NO_ARRAYS = ("IRIS: no array column type (0A000): store the elements in a child table, or as JSON "
                  "text in a VARCHAR column")


def mark_iris_gaps(request: pytest.FixtureRequest, gaps: dict[str, str]) -> None:
    """For an autouse fixture of a client file: the test (by function name) is a known gap
    on the IRIS doubles, with that reason (see mark_gaps)."""
    reason = gaps.get(request.node.originalname)
    if reason and "target" in request.fixturenames:
        mark_gaps(request, request.getfixturevalue("target"), [(IRIS_BACKENDS, reason)])
