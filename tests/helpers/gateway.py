"""The real iris-pgwire server as a subprocess (python -m iris_pgwire.server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import shutil
from pathlib import Path

import pytest

from helpers.net import free_port, port_accepts, wait_until

READY_LINE = "iris-pgwire listening on"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


class GatewayProcess:
    """One server on a free port with its own sqlite file; `stop()` sends SIGTERM."""

    def __init__(self, extra_args: tuple[str, ...] = (), env: dict | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="iris-pgwire-gw-"))
        self.sqlite_path = self.tmp / "db.sqlite"
        self.logfile = self.tmp / "server.log"
        self.args = [
            sys.executable, "-m", "iris_pgwire.server",
            "--host", self.host, "--port", str(self.port),
            "--backend", "sqlite", "--sqlite-path", str(self.sqlite_path),
            "--log-level", os.environ.get("IRIS_PGWIRE_TEST_LOG_LEVEL", "info"),
            *extra_args,
        ]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> "GatewayProcess":
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, cwd=self.tmp,
            )

        def ready() -> bool:
            return self.proc.poll() is not None or (
                READY_LINE in self.log() and port_accepts(self.host, self.port)
            )

        if not wait_until(ready, START_TIMEOUT) or self.proc.poll() is not None:
            code = self.proc.poll()
            self.kill()
            raise RuntimeError(
                f"gateway did not become ready (exit code {code}); "
                f"command: {' '.join(self.args)}\n--- server log ---\n{self.log()}"
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def stop_checked(gw: GatewayProcess) -> None:
    code = gw.stop()
    log = gw.log()
    gw.cleanup()
    if code != 0:
        pytest.fail(
            f"gateway did not exit cleanly on SIGTERM within a few seconds "
            f"(exit code {code}; None = had to be killed)\n--- server log ---\n{log}"
        )
