"""Small wrappers around the real clients (psql binary)."""

from __future__ import annotations

import os
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
