"""statement_timeout and lock_timeout, on PostgreSQL 15 and the gateway (`target`): the
error (SQLSTATE and message), the session usable afterwards, a transaction block aborted
(25P02 next) as PostgreSQL does; the ways a timeout is set (SET, startup options, the
gateway's --statement-timeout and --role-settings); lock_timeout with two sessions."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

from test_cancel import SLOW  # noqa: E402

TIMEOUT = ("57014", "canceling statement due to statement timeout")
LOCK_TIMEOUT = ("55P03", "canceling statement due to lock timeout")


def state_and_message(err: psycopg.Error) -> tuple[str, str]:
    return err.sqlstate, err.diag.message_primary


def test_set_statement_timeout_cancels_and_session_goes_on(target):
    with psycopg.connect(target.dsn, autocommit=True) as c:
        c.execute("SET statement_timeout = '300ms'")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            c.execute(SLOW)
        assert state_and_message(info.value) == TIMEOUT
        assert time.monotonic() - started < 5
        assert c.execute("SELECT 1").fetchone() == (1,)
        # A statement shorter than the timeout is untouched; 0 turns it off.
        assert c.execute("SELECT count(*) FROM generate_series(1, 10)").fetchone() == (10,)
        c.execute("SET statement_timeout = 0")
        assert c.execute("SHOW statement_timeout").fetchone() == ("0",)


def test_statement_timeout_in_a_transaction_block_aborts_it(target, table_name):
    with psycopg.connect(target.dsn, options="-c statement_timeout=300") as c:
        c.execute(f"CREATE TABLE {table_name} (i int)")
        c.commit()
        c.execute(f"INSERT INTO {table_name} VALUES (1)")
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            c.execute(SLOW)
        assert state_and_message(info.value) == TIMEOUT
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            c.execute("SELECT 1")
        c.rollback()
        assert c.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
        c.rollback()
        c.execute(f"DROP TABLE {table_name}")
        c.commit()


def test_statement_timeout_extended_protocol_asyncpg(target):
    async def work():
        conn = await asyncpg.connect(target.dsn, server_settings={"statement_timeout": "300"})
        try:
            with pytest.raises(asyncpg.exceptions.QueryCanceledError) as info:
                await conn.fetchval(SLOW)
            assert (info.value.sqlstate, str(info.value)) == TIMEOUT
            assert await conn.fetchval("SELECT $1::int", 5) == 5
        finally:
            await conn.close()

    asyncio.run(work())


def test_statement_timeout_from_startup_options(target):
    with psycopg.connect(target.dsn, autocommit=True, options="-c statement_timeout=300") as c:
        assert c.execute("SHOW statement_timeout").fetchone()[0] in ("300", "300ms")
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            c.execute(SLOW)
        assert state_and_message(info.value) == TIMEOUT
        # RESET returns to the session's startup value, not the server's.
        c.execute("SET statement_timeout = 0")
        c.execute("RESET statement_timeout")
        assert c.execute("SHOW statement_timeout").fetchone()[0] in ("300", "300ms")


def test_bad_timeout_values_are_refused(target):
    with psycopg.connect(target.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
            c.execute("SET statement_timeout = 'soon'")
        assert info.value.diag.message_primary == 'invalid value for parameter "statement_timeout": "soon"'
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SET lock_timeout = '-1'")
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(target.dsn, options="-c statement_timeout=soon")
    assert 'invalid value for parameter "statement_timeout": "soon"' in str(info.value)


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql not installed")
def test_psql_statement_timeout(target):
    r = subprocess.run(
        ["psql", "-X", "-h", target.host, "-p", str(target.port), "-U", target.user, "-d", target.dbname,
         "-c", "SET statement_timeout = '200ms'", "-c", SLOW],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "ERROR:  canceling statement due to statement timeout" in r.stderr


def test_lock_timeout_two_sessions(target, table_name):
    with psycopg.connect(target.dsn, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v int)")
        setup.execute(f"INSERT INTO {table_name} VALUES (1, 0)")
    holder = psycopg.connect(target.dsn)
    try:
        holder.execute(f"UPDATE {table_name} SET v = 1 WHERE id = 1")
        with psycopg.connect(target.dsn, autocommit=True) as waiter:
            waiter.execute("SET lock_timeout = '300ms'")
            started = time.monotonic()
            with pytest.raises(psycopg.errors.LockNotAvailable) as info:
                waiter.execute(f"UPDATE {table_name} SET v = 2 WHERE id = 1")
            assert state_and_message(info.value) == LOCK_TIMEOUT
            assert 0.25 < time.monotonic() - started < 5
            holder.commit()
            # The lock is free again: the same statement goes through.
            waiter.execute(f"UPDATE {table_name} SET v = 2 WHERE id = 1")
            assert waiter.execute(f"SELECT v FROM {table_name}").fetchone() == (2,)
            waiter.execute(f"DROP TABLE {table_name}")
    finally:
        holder.close()


def test_lock_timeout_on_begin_sqlite(gateway, table_name):
    """The sqlite backend runs one transaction at a time: a second BEGIN waits for the
    first, and lock_timeout bounds that wait (PostgreSQL would wait at the conflicting row)."""
    holder = psycopg.connect(gateway.dsn)
    try:
        holder.execute(f"CREATE TABLE {table_name} (i int)")
        with psycopg.connect(gateway.dsn, options="-c lock_timeout=300") as waiter:
            with pytest.raises(psycopg.errors.LockNotAvailable) as info:
                waiter.execute(f"INSERT INTO {table_name} VALUES (1)")
            assert state_and_message(info.value) == LOCK_TIMEOUT
            waiter.rollback()
            holder.commit()
            waiter.execute(f"INSERT INTO {table_name} VALUES (1)")
            waiter.commit()
    finally:
        holder.close()


def test_server_and_role_defaults(gateway_factory, tmp_path):
    roles = tmp_path / "roles.ini"
    roles.write_text("[alice]\nstatement_timeout = 300ms\n\n[bob]\nstatement_timeout = 0\n")
    gw = gateway_factory("--statement-timeout", "2min", "--role-settings", str(roles))
    dsn = lambda user: f"postgresql://{user}@{gw.host}:{gw.port}/postgres"  # noqa: E731
    with psycopg.connect(dsn("postgres"), autocommit=True) as c:
        assert c.execute("SHOW statement_timeout").fetchone() == ("2min",)
    with psycopg.connect(dsn("bob"), autocommit=True) as c:
        assert c.execute("SHOW statement_timeout").fetchone() == ("0",)
    with psycopg.connect(dsn("alice"), autocommit=True) as c:
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            c.execute(SLOW)
        assert state_and_message(info.value) == TIMEOUT


def test_bad_configured_timeout_stops_the_server(tmp_path):
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "iris_pgwire.server", "--port", "0", "--backend", "sqlite",
         "--sqlite-path", str(tmp_path / "db.sqlite"), "--statement-timeout", "soon"],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert 'invalid value for parameter "statement_timeout": "soon"' in r.stderr


def test_timeout_values_round_like_postgres(target):
    """Fractions of the parameter's unit (ms) round to the nearest, ties to even."""
    with psycopg.connect(target.dsn, autocommit=True) as c:
        shown = []
        for value in ("1400us", "1600us", "2.5", "3.5", "0.4", "1.5s", "90s", "120000"):
            c.execute(f"SET statement_timeout = '{value}'")
            shown.append(c.execute("SHOW statement_timeout").fetchone()[0])
        assert shown == ["1ms", "2ms", "2ms", "4ms", "0", "1500ms", "90s", "2min"]
