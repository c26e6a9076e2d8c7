"""Advisory locks (pg_advisory_lock, pg_advisory_xact_lock, the try forms, pg_advisory_unlock
and _unlock_all): held by the gateway for its sessions on every backend (sqlite and the IRIS
doubles, `gateway_on`), compared with PostgreSQL 15: result types and values, re-entrant
session-level holds, transaction-level holds released at COMMIT / ROLLBACK / the end of an
implicit transaction, a waiter that gets the lock when its holder commits, a wait ended by
statement_timeout (57014), a deadlock (40P01), the lock released when its session ends, and
LangChain's `SELECT pg_advisory_xact_lock(..); CREATE EXTENSION IF NOT EXISTS vector;`."""

from __future__ import annotations

import threading
import time

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")

VOID, BOOL = 2278, 16
KEY = 424242


def types_and_values(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as a, psycopg.connect(t.dsn, autocommit=True) as b:
        for sql, args in [
            ("select pg_advisory_lock(%s)", (KEY,)),
            ("select pg_advisory_lock(%s::bigint) as again", (KEY,)),
            ("select pg_try_advisory_lock(1, 2), pg_try_advisory_xact_lock(3)", None),
        ]:
            cur = a.execute(sql, args)
            out.append((sql, [(d.name, d.type_code) for d in cur.description], cur.fetchall(), cur.statusmessage))
        # Held twice by a: b cannot take it until a unlocked twice.
        out.append(b.execute("select pg_try_advisory_lock(%s)", (KEY,)).fetchone())
        out.append(a.execute("select pg_advisory_unlock(%s)", (KEY,)).fetchone())
        out.append(b.execute("select pg_try_advisory_lock(%s)", (KEY,)).fetchone())
        out.append(a.execute("select pg_advisory_unlock(%s)", (KEY,)).fetchone())
        out.append(b.execute("select pg_try_advisory_lock(%s)", (KEY,)).fetchone())
        # Not held by a: false and a WARNING.
        notices = []
        a.add_notice_handler(lambda d: notices.append((d.severity, d.sqlstate, d.message_primary)))
        out.append(a.execute("select pg_advisory_unlock(%s)", (KEY,)).fetchone())
        out.append(notices)
        # The (int, int) key space is not the bigint one; a's xact lock on 3 ended with its statement.
        out.append(b.execute("select pg_try_advisory_lock(0, 2), pg_try_advisory_xact_lock(3)").fetchone())
        out.append(b.execute("select pg_try_advisory_lock(1, 2)").fetchone())
        a.execute("select pg_advisory_unlock_all()")
        out.append(b.execute("select pg_try_advisory_lock(1, 2)").fetchone())
        with pytest.raises(psycopg.Error) as err:
            a.execute("select pg_advisory_lock('x')")
        out.append(err.value.sqlstate)
    return out


def test_results_like_postgresql(pg15, gateway_on):
    expected = types_and_values(pg15)
    assert expected[0][1:] == ([("pg_advisory_lock", VOID)], [("",)], "SELECT 1")
    assert expected[2][1] == [("pg_try_advisory_lock", BOOL), ("pg_try_advisory_xact_lock", BOOL)]
    assert types_and_values(gateway_on) == expected


def eventually(probe, seconds: float = 3.0):
    """probe() until it gives (True,), at most `seconds`; its last value."""
    deadline = time.monotonic() + seconds
    while True:
        got = probe()
        if got == (True,) or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def transaction_holds(t) -> list:
    out = []
    with psycopg.connect(t.dsn) as a, psycopg.connect(t.dsn, autocommit=True) as b:
        a.execute("select pg_advisory_xact_lock(%s)", (KEY,))
        out.append(b.execute("select pg_try_advisory_lock(%s)", (KEY,)).fetchone())
        a.rollback()
        out.append(b.execute("select pg_try_advisory_xact_lock(%s)", (KEY,)).fetchone())
        a.execute("select pg_advisory_xact_lock(%s)", (KEY,))
        # b waits for a's transaction to end, then has the lock.
        waited = {}

        def wait():
            started = time.monotonic()
            with psycopg.connect(t.dsn, autocommit=True) as c:
                c.execute("select pg_advisory_lock(%s)", (KEY,))
                waited["s"] = time.monotonic() - started
                waited["held"] = b.execute("select pg_try_advisory_lock(%s)", (KEY,)).fetchone()

        th = threading.Thread(target=wait)
        th.start()
        time.sleep(0.5)
        out.append("s" in waited)
        a.commit()
        th.join(10)
        out.append((waited.get("s", 0) >= 0.4, waited.get("held")))
        # The waiter's session ended, and its lock with it (the server notices the
        # disconnection on its own time).
        out.append(eventually(lambda: b.execute("select pg_try_advisory_xact_lock(%s)", (KEY,)).fetchone()))
        # A wait ended by statement_timeout.
        a.execute("select pg_advisory_lock(%s)", (KEY + 1,))
        a.commit()
        b.execute("set statement_timeout = 200")
        with pytest.raises(psycopg.Error) as err:
            b.execute("select pg_advisory_lock(%s)", (KEY + 1,))
        out.append((err.value.sqlstate, err.value.diag.message_primary))
        b.execute("set statement_timeout = 0")
        # LangChain's statement, in a transaction of its own (SQLAlchemy's).
        with psycopg.connect(t.dsn) as c:
            c.execute("SELECT pg_advisory_xact_lock(1573678846307946496);CREATE EXTENSION IF NOT EXISTS vector;")
            out.append(b.execute("select pg_try_advisory_lock(1573678846307946496)").fetchone())
            c.commit()
        out.append(b.execute("select pg_try_advisory_xact_lock(1573678846307946496)").fetchone())
    return out


def test_transaction_holds_and_waits_like_postgresql(pg15, gateway_on):
    expected = transaction_holds(pg15)
    assert expected[2:4] == [False, (True, (False,))]
    assert transaction_holds(gateway_on) == expected


def deadlock(t) -> list:
    """Two sessions each wait for the other's lock: one of them gets 40P01 (and lets its
    locks go, which lets the other through). Session-level locks in autocommit: the sqlite
    backend runs one transaction at a time, so two open transactions would not get there."""
    results = []

    def wait(conn, key):
        try:
            conn.execute(f"select pg_advisory_lock({key})")
            results.append("ok")
        except psycopg.Error as e:
            results.append(e.sqlstate)
            conn.execute("select pg_advisory_unlock_all()")

    with psycopg.connect(t.dsn, autocommit=True) as a, psycopg.connect(t.dsn, autocommit=True) as b:
        a.execute("select pg_advisory_lock(1)")
        b.execute("select pg_advisory_lock(2)")
        threads = [threading.Thread(target=wait, args=(b, 1)), threading.Thread(target=wait, args=(a, 2))]
        for th in threads:
            th.start()
            time.sleep(0.3)
        for th in threads:
            th.join(10)
    return sorted(results)


def test_deadlock_is_40p01(pg15, gateway_on):
    # PostgreSQL 15 finds it after deadlock_timeout (1 s), the gateway when the wait starts.
    assert deadlock(pg15) == ["40P01", "ok"]
    assert deadlock(gateway_on) == ["40P01", "ok"]
