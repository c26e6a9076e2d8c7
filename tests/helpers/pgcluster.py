"""A throwaway PostgreSQL 15 cluster: the reference the gateway is compared against.

PostgreSQL refuses to run as root, so when the tests run as root every server command
runs as the `postgres` OS user (runuser) in a temp directory owned by that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from helpers.net import free_port

PG_MAJOR = "15"


def find_bindir() -> Path:
    """initdb/pg_ctl live in /usr/lib/postgresql/15/bin on Debian, not on PATH."""
    candidates = []
    if os.environ.get("PG15_BINDIR"):
        candidates.append(Path(os.environ["PG15_BINDIR"]))
    candidates.append(Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"))
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise RuntimeError(
        f"PostgreSQL {PG_MAJOR} server binaries not found (looked in {candidates}); "
        "run scripts/install-deps.sh"
    )


class PgCluster:
    """initdb + pg_ctl start on a free port; `stop()` removes everything."""

    def __init__(self, max_connections: int = 50, hba: tuple[str, ...] = ()) -> None:
        """`hba`: pg_hba.conf lines for TCP clients (default: initdb's trust for all); the
        socket stays trusted for `set_password`."""
        self.max_connections = max_connections
        self.hba = hba
        self.bindir = find_bindir()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user = "postgres"
        self._as_root = os.geteuid() == 0
        self.tmp = Path(tempfile.mkdtemp(prefix="iris-pgwire-pg15-"))
        self.data = self.tmp / "data"
        self.sockdir = self.tmp / "sock"
        self.logfile = self.tmp / "postgres.log"
        self.sockdir.mkdir()
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            for p in (self.tmp, self.sockdir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        os.chmod(self.tmp, 0o700)
        self.started = False

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=self.tmp, timeout=120
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                + self.log()
            )
        return proc

    def start(self) -> None:
        # initdb's default superuser is the OS user (postgres when run via runuser).
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )
        if self.hba:
            hba = ["local all all trust", *self.hba]
            (self.data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
        opts = (
            f"-p {self.port} -k {self.sockdir} -c listen_addresses={self.host} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={self.max_connections} -c TimeZone=UTC "
            # PostgreSQL 15's default, stated: set_password stores a SCRAM verifier.
            "-c password_encryption=scram-sha-256"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile),
            "-o", opts, "-w", "-t", "60", "start",
        )
        self.started = True

    def set_password(self, password: str) -> None:
        """Give the superuser a password (over the trusted socket)."""
        literal = "'" + password.replace("'", "''") + "'"
        self._run(
            str(self.bindir / "psql"), "-X", "-q", "-h", str(self.sockdir), "-p", str(self.port),
            "-U", self.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-c", f'alter role "{self.user}" password {literal}',
        )

    def log(self) -> str:
        try:
            return "--- postgres log ---\n" + self.logfile.read_text(errors="replace")
        except OSError:
            return "(no postgres log)"

    def stop(self) -> None:
        try:
            if self.started and (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                    "-w", "stop", check=False,
                )
        finally:
            self.started = False
            shutil.rmtree(self.tmp, ignore_errors=True)
