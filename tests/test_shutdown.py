"""Graceful shutdown on SIGTERM / SIGINT (`--shutdown-timeout`): the listener closes at
once, a statement that finishes within the timeout commits and returns its result, one
that does not is cancelled, open transactions are rolled back, every session ends with
FATAL 57P01 (PostgreSQL's wording) and the process exits 0."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time

import pytest

psycopg = pytest.importorskip("psycopg")

from helpers import wire  # noqa: E402
from helpers.net import port_accepts, wait_until  # noqa: E402
from test_cancel import SLOW  # noqa: E402

# About 2 s on sqlite (a recursive CTE counting to 3e6), written into a table.
WRITE_2S = ("INSERT INTO done (n) WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
            "WHERE n < 3000000) SELECT count(*) FROM c")
TERMINATED = "terminating connection due to administrator command"


def rows(gw, sql: str) -> list[tuple]:
    """Read the gateway's sqlite file directly, once the gateway is gone."""
    db = sqlite3.connect(gw.sqlite_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def in_thread(fn):
    """Run fn on a thread; returns a callable that joins it and gives its result or error."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # handed to the test thread
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join():
        t.join(60)
        assert not t.is_alive()
        return out

    return join


def exit_code(gw, within: float) -> int:
    gw.proc.wait(timeout=within)
    return gw.proc.returncode


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_running_statement_finishes_idle_transaction_rolls_back(gateway_factory, signum):
    gw = gateway_factory("--shutdown-timeout", "20")
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE done (n int)")
        c.execute("CREATE TABLE pending (n int)")
    runner = psycopg.connect(gw.dsn, autocommit=True)
    # A raw session, to read what the server sends while the client is idle.
    idle = wire.RawConn(gw.host, gw.port, timeout=20)
    try:
        idle.startup(user="postgres", database="postgres")
        ready = idle.send(wire.query("BEGIN; INSERT INTO pending VALUES (1)")) or idle.read_until(b"Z")
        assert ready[-1] == (b"Z", b"T")  # idle in transaction
        finished = in_thread(lambda: runner.execute(WRITE_2S).rowcount)
        time.sleep(0.5)
        signalled = time.monotonic()
        gw.proc.send_signal(signum)
        # New connections are refused at once (the statement still runs).
        assert wait_until(lambda: not port_accepts(gw.host, gw.port), 3)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(gw.dsn, connect_timeout=5)
        # The idle-in-transaction session was ended, its insert rolled back.
        err = wire.error_or_close(idle)
        assert err is not None and (err["S"], err["C"], err["M"]) == ("FATAL", "57P01", TERMINATED)
        # The running statement completes and its client gets the result.
        assert finished() == {"value": 1}
        # Then its session ends too (the FATAL it was sent may be lost to the reset the
        # client's next write provokes, as with PostgreSQL).
        with pytest.raises(psycopg.OperationalError):
            runner.execute("SELECT 1")
        assert exit_code(gw, 20) == 0
        assert time.monotonic() - signalled < 15
    finally:
        runner.close()
        idle.close()
    assert rows(gw, "SELECT n FROM done") == [(3000000,)]
    assert rows(gw, "SELECT n FROM pending") == []


def test_statement_past_the_timeout_is_cancelled_and_rolled_back(gateway_factory):
    gw = gateway_factory("--shutdown-timeout", "1")
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE kept (n int)")
        c.execute("INSERT INTO kept VALUES (1)")
    slow = psycopg.connect(gw.dsn)
    try:
        slow.execute("INSERT INTO kept VALUES (2)")
        cancelled = in_thread(lambda: slow.execute(SLOW))
        time.sleep(0.5)
        signalled = time.monotonic()
        gw.proc.send_signal(signal.SIGTERM)
        err = cancelled()["error"]
        waited = time.monotonic() - signalled
        assert isinstance(err, psycopg.errors.AdminShutdown), repr(err)
        assert err.diag.message_primary == TERMINATED
        # Cancelled once the timeout was up, not before.
        assert 0.9 < waited < 10
        assert exit_code(gw, 15) == 0
    finally:
        slow.close()
    # Committed rows stay; the open transaction's insert is gone.
    assert rows(gw, "SELECT n FROM kept") == [(1,)]
