"""Small wrappers around the real clients (the psql and pgbench binaries)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class PsqlResult:
    returncode: int
    stdout: str
    stderr: str


def psql(target, *args: str, timeout: float = 60) -> PsqlResult:
    """Run psql against `target` with no psqlrc, unaligned tuples-only output and
    ON_ERROR_STOP, verbose errors (so stderr carries the SQLSTATE)."""
    exe = shutil.which("psql")
    assert exe, "psql not installed (scripts/install-deps.sh installs postgresql-client-15)"
    cmd = [
        exe, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
        "-h", target.host, "-p", str(target.port), "-U", target.user, "-d", target.dbname,
        *args,
    ]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "iris-pgwire-tests"}
    env.pop("PGPASSWORD", None)
    if getattr(target, "password", None) is not None:
        env["PGPASSWORD"] = target.password
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)
    return PsqlResult(proc.returncode, proc.stdout, proc.stderr)


#: pgbench's TPC-B-like transaction on pgbench_accounts alone, as a custom script.
PGBENCH_UPDATE_SELECT = """\\set aid random(1, {accounts})
\\set delta random(-100, 100)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
END;
"""


def pgbench(target, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run pgbench 15 against `target` (its password, if any, in PGPASSWORD)."""
    exe = shutil.which("pgbench")
    assert exe, "pgbench not installed (scripts/install-deps.sh installs postgresql-client-15)"
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    env.pop("PGPASSWORD", None)
    if getattr(target, "password", None) is not None:
        env["PGPASSWORD"] = target.password
    return subprocess.run([exe, "-h", target.host, "-p", str(target.port), "-U", target.user, *args,
                           target.dbname], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def pgbench_processed(r: subprocess.CompletedProcess) -> tuple[int, int]:
    """(transactions processed, transactions asked for) of a pgbench run that succeeded
    with no failed transaction."""
    assert r.returncode == 0, r.stderr
    m = re.search(r"number of transactions actually processed: (\d+)/(\d+)", r.stdout)
    assert m, r.stdout
    assert "number of failed transactions: 0" in r.stdout, r.stdout
    return int(m.group(1)), int(m.group(2))
