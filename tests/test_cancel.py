"""Cancel requests, on PostgreSQL 15 and the gateway (`target`): a raw CancelRequest with
the session's key stops its running statement with 57014, a wrong key does nothing and
gets no answer, a late one does not touch the next statement; psycopg's conn.cancel(),
asyncpg's timeouts and psql's Ctrl-C (SIGINT) use the same path."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from helpers import wire

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

# Runs for many seconds on both servers (a recursive CTE counting to 1e8).
SLOW = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) SELECT count(*) FROM c"
# Well under a second, long enough to be running when a request arrives.
SHORT = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 300000) SELECT count(*) FROM c"


def session(target) -> tuple[wire.RawConn, int, bytes]:
    conn = wire.RawConn(target.host, target.port, timeout=30)
    msgs = conn.startup(user=target.user, database=target.dbname)
    key = next(body for tag, body in msgs if tag == b"K")
    return conn, struct.unpack("!i", key[:4])[0], key[4:]


def send_cancel(target, pid: int, secret: bytes) -> bytes:
    """Send a CancelRequest; returns what the server answered before closing (nothing)."""
    with socket.create_connection((target.host, target.port), timeout=10) as s:
        s.sendall(struct.pack("!ii", 16, wire.CANCEL_REQUEST) + struct.pack("!i", pid) + secret)
        return s.recv(100)


def run(conn: wire.RawConn, sql: str) -> list[tuple[bytes, bytes]]:
    conn.send(wire.query(sql))
    return conn.read_until(b"Z")


def error_of(msgs) -> dict[str, str] | None:
    return next((wire.error_fields(body) for tag, body in msgs if tag == b"E"), None)


def test_cancel_request_stops_the_running_statement(target):
    conn, pid, secret = session(target)
    try:
        conn.send(wire.query(SLOW))
        time.sleep(0.5)
        started = time.monotonic()
        assert send_cancel(target, pid, secret) == b""
        msgs = conn.read_until(b"Z")
        assert time.monotonic() - started < 10
        err = error_of(msgs)
        assert (err["C"], err["M"]) == ("57014", "canceling statement due to user request")
        assert run(conn, "SELECT 1")[-2:] == [(b"C", b"SELECT 1\0"), (b"Z", b"I")]
    finally:
        conn.close()


def test_wrong_key_does_nothing(target):
    conn, pid, secret = session(target)
    try:
        conn.send(wire.query(SHORT))
        assert send_cancel(target, pid, bytes(b ^ 0xFF for b in secret)) == b""
        assert send_cancel(target, pid + 7, secret) == b""
        msgs = conn.read_until(b"Z")
        assert error_of(msgs) is None
        assert (b"D", struct.pack("!hi", 1, 6) + b"300000") in msgs
    finally:
        conn.close()


def test_late_cancel_does_not_touch_the_next_statement(target):
    conn, pid, secret = session(target)
    try:
        assert error_of(run(conn, "SELECT 1")) is None
        send_cancel(target, pid, secret)
        time.sleep(0.3)
        assert error_of(run(conn, SHORT)) is None
    finally:
        conn.close()


def test_psycopg_conn_cancel(target):
    with psycopg.connect(target.dsn, autocommit=True) as c:
        timer = threading.Timer(0.5, c.cancel)
        timer.start()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled):
                c.execute(SLOW)
        finally:
            timer.cancel()
        assert c.execute("SELECT 2").fetchone() == (2,)


@pytest.mark.parametrize("statement", ["SELECT pg_sleep(10)", SLOW], ids=["pg_sleep", "backend"])
def test_pg_cancel_backend_cancels_a_running_statement(target, statement):
    """Another session of the same user cancels a statement while it runs: 57014 for it,
    and its session goes on."""
    with psycopg.connect(target.dsn, autocommit=True) as victim, \
            psycopg.connect(target.dsn, autocommit=True) as other:
        pid = victim.info.backend_pid
        outcome: dict = {}

        def run() -> None:
            started = time.monotonic()
            try:
                victim.execute(statement)
                outcome["sqlstate"] = None
            except psycopg.Error as e:
                outcome["sqlstate"] = e.sqlstate
            outcome["took"] = time.monotonic() - started

        worker = threading.Thread(target=run)
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                row = other.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
                if row == ("active", statement):
                    break
                time.sleep(0.02)
            else:
                pytest.fail(f"the statement never showed as running: {row}")
            time.sleep(0.3)  # well inside it
            assert other.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone() == (True,)
        finally:
            worker.join(30)
        assert outcome.get("sqlstate") == "57014", outcome
        assert outcome["took"] < 8
        assert victim.execute("SELECT 3").fetchone() == (3,)


def test_asyncpg_timeout_cancels(target):
    async def work():
        conn = await asyncpg.connect(target.dsn)
        try:
            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await conn.fetchval(SLOW, timeout=0.5)
            assert await conn.fetchval("SELECT 3") == 3
            assert time.monotonic() - started < 10
        finally:
            await conn.close()

    asyncio.run(work())


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql not installed")
def test_psql_ctrl_c(target):
    proc = subprocess.Popen(
        ["psql", "-X", "-h", target.host, "-p", str(target.port), "-U", target.user, "-d", target.dbname, "-c", SLOW],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, errs = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "canceling statement due to user request" in errs
