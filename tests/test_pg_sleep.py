"""pg_sleep, pg_sleep_for, pg_sleep_until: answered by the gateway on every backend (sqlite
and the IRIS doubles, `gateway_on`), compared with PostgreSQL 15: a void column named after
the function, one row with an empty value (NULL for a NULL argument), and a sleep that
statement_timeout and CancelRequest interrupt with PostgreSQL's 57014 messages."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

VOID = 2278


def sleeps_psycopg(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for sql, args in [
            ("select pg_sleep(0.05)", None),
            ("select pg_sleep(%s)", (0.05,)),
            ("select pg_sleep_for('50 milliseconds')", None),
            ("select pg_sleep_for(interval '10 ms') as f", None),
            ("select pg_sleep_for(%s)", (dt.timedelta(milliseconds=50),)),
            ("select pg_sleep_until(%s)", (dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=50),)),
            ("select pg_sleep(null)", None),
            ("select pg_sleep(-1), pg_sleep(0) as b", None),
        ]:
            started = time.monotonic()
            cur = c.execute(sql, args)
            elapsed = time.monotonic() - started
            out.append((sql, [(d.name, d.type_code) for d in cur.description], cur.fetchall(),
                        cur.statusmessage, "50" not in sql or elapsed >= 0.04))
        with c.cursor(binary=True) as cur:
            cur.execute("select pg_sleep(%s)", (0.01,))
            out.append(("binary", [(d.name, d.type_code) for d in cur.description], cur.fetchall()))
        with pytest.raises(psycopg.Error) as err:
            c.execute("select pg_sleep('soon')")
        out.append((err.value.sqlstate, err.value.diag.message_primary))
        # With other session functions in a FROM-less select list.
        cur = c.execute("select pg_sleep(0), pg_backend_pid() as pid")
        (void, pid), = cur.fetchall()
        out.append(([(d.name, d.type_code) for d in cur.description], void, isinstance(pid, int)))
    return out


def test_sleeps_are_void_like_postgresql(pg15, gateway_on):
    expected = sleeps_psycopg(pg15)
    assert expected[0][1:] == ([("pg_sleep", VOID)], [("",)], "SELECT 1", True)
    assert sleeps_psycopg(gateway_on) == expected


def sleeps_asyncpg(t):
    async def main():
        conn = await asyncpg.connect(host=t.host, port=t.port, user=t.user, database=t.dbname)
        try:
            started = time.monotonic()
            values = [await conn.fetchval("select pg_sleep(0.05)"),
                      await conn.fetchval("select pg_sleep($1)", 0.05),
                      await conn.fetchval("select pg_sleep_for($1)", dt.timedelta(milliseconds=1)),
                      await conn.fetchval("select pg_sleep_until($1)", dt.datetime.now(dt.timezone.utc)),
                      await conn.execute("select pg_sleep(0)")]
            return values, time.monotonic() - started >= 0.1
        finally:
            await conn.close()

    return asyncio.run(asyncio.wait_for(main(), 20))


def test_sleeps_with_asyncpg(pg15, gateway_on):
    assert sleeps_asyncpg(pg15) == ([None, None, None, None, "SELECT 1"], True)
    assert sleeps_asyncpg(gateway_on) == sleeps_asyncpg(pg15)


def interrupted(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        c.execute("set statement_timeout = 100")
        for sql in ["select pg_sleep(30)", "select pg_sleep_for('30 seconds')", "select pg_sleep('Infinity')"]:
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled) as err:
                c.execute(sql)
            out.append((err.value.sqlstate, err.value.diag.message_primary, time.monotonic() - started < 5))
        c.execute("set statement_timeout = 0")
        # CancelRequest (psycopg's conn.cancel()), in the simple and the extended protocol.
        for sql, args in [("select pg_sleep(30)", None), ("select pg_sleep(%s)", (30,))]:
            threading.Timer(0.3, c.cancel).start()
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled) as err:
                c.execute(sql, args)
            out.append((err.value.sqlstate, err.value.diag.message_primary, time.monotonic() - started < 5))
        assert c.execute("select 1").fetchone() == (1,)
        # Inside a transaction block: the block is failed until ROLLBACK, as in PostgreSQL.
        c.execute("begin")
        threading.Timer(0.3, c.cancel).start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            c.execute("select pg_sleep(30)")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            c.execute("select 1")
        c.execute("rollback")

    async def with_asyncpg():
        conn = await asyncpg.connect(host=t.host, port=t.port, user=t.user, database=t.dbname)
        try:
            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await conn.fetchval("select pg_sleep(30)", timeout=0.2)
            return await conn.fetchval("select 1"), time.monotonic() - started < 5
        finally:
            await conn.close()

    out.append(asyncio.run(asyncio.wait_for(with_asyncpg(), 20)))
    return out


def test_timeout_and_cancel_interrupt_sleeps(pg15, gateway_on):
    expected = interrupted(pg15)
    timeout = ("57014", "canceling statement due to statement timeout", True)
    user = ("57014", "canceling statement due to user request", True)
    assert expected == [timeout, timeout, timeout, user, user, (1, True)]
    assert interrupted(gateway_on) == expected
