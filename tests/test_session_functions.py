"""Session functions the gateway answers itself take bound parameters as PostgreSQL's do:
`select set_config('TimeZone', %s, true)` (psycopg's own tests send it so) on PostgreSQL 15
and on every backend (`gateway_on`), with psycopg and asyncpg."""

from __future__ import annotations

import asyncio

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")


def set_config_psycopg(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        with c.transaction():
            out.append(c.execute("select set_config('TimeZone', %s, true)", ("Europe/Rome",)).fetchone())
            out.append(c.execute("show timezone").fetchone())
        out.append(c.execute("show timezone").fetchone() != ("Europe/Rome",))  # local: gone
        out.append(c.execute("select set_config('application_name', %s, false) as v", ("app1",)).fetchall())
        out.append(c.execute("show application_name").fetchone())
    return out


def test_set_config_with_a_parameter(pg15, gateway_on):
    expected = set_config_psycopg(pg15)
    assert expected == [("Europe/Rome",), ("Europe/Rome",), True, [("app1",)], ("app1",)]
    assert set_config_psycopg(gateway_on) == expected


def set_config_asyncpg(t):
    async def main():
        conn = await asyncpg.connect(host=t.host, port=t.port, user=t.user, database=t.dbname)
        try:
            value = await conn.fetchval("select set_config('application_name', $1, false)", "app2")
            return value, await conn.fetchval("select current_setting('application_name')")
        finally:
            await conn.close()

    return asyncio.run(asyncio.wait_for(main(), 20))


def test_set_config_with_a_parameter_asyncpg(pg15, gateway_on):
    assert set_config_asyncpg(pg15) == ("app2", "app2")
    assert set_config_asyncpg(gateway_on) == ("app2", "app2")


def transaction_characteristics(t, levels) -> list:
    """What `transaction_isolation` / `transaction_read_only` report inside transactions
    begun by psycopg with isolation_level / read_only set (BEGIN ISOLATION LEVEL ..,
    READ ONLY), after them, and after a new session default."""
    out = []
    with psycopg.connect(t.dsn) as c:
        for level in levels:
            c.isolation_level = level
            c.read_only = True
            out.append(c.execute("select current_setting('transaction_isolation'), "
                                 "current_setting('transaction_read_only')").fetchone())
            out.append(c.execute("show transaction_isolation").fetchone())
            c.rollback()
        c.isolation_level = c.read_only = None
        c.autocommit = True
        out.append(c.execute("show transaction_isolation").fetchone())
        c.execute("select set_config('default_transaction_read_only', 'on', false)")
        out.append(c.execute("show transaction_read_only").fetchone())
        with c.transaction():
            out.append(c.execute("show transaction_read_only").fetchone())
    return out


def test_transaction_characteristics_of_begin(pg15, gateway_on):
    # IRIS offers READ COMMITTED at most (stronger levels are refused, docs/iris.md).
    levels = [psycopg.IsolationLevel.READ_COMMITTED]
    if gateway_on.name == "gateway":
        levels += [psycopg.IsolationLevel.SERIALIZABLE, psycopg.IsolationLevel.REPEATABLE_READ]
    expected = transaction_characteristics(pg15, levels)
    assert expected[:2] == [("read committed", "on"), ("read committed",)]
    assert expected[-3:] == [("read committed",), ("on",), ("on",)]
    assert transaction_characteristics(gateway_on, levels) == expected


def settings_by_parameter(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        out.append(c.execute("select set_config(%s, %s, false)", ["application_name", "by-param"]).fetchone())
        out.append(c.execute("select current_setting(%s)", ["application_name"]).fetchone())
        with c.transaction():
            c.execute("set transaction read only")
            out.append(c.execute("select current_setting(%s)", ["transaction_read_only"]).fetchone())
        out.append(c.execute("select current_setting(%s)", [None]).fetchone())
        out.append(c.execute("select current_setting('transaction_deferrable'), "
                             "current_setting('default_transaction_deferrable')").fetchone())
    return out


def test_current_setting_and_set_config_take_parameters(pg15, gateway_on):
    """psycopg's own tests read settings with `current_setting(%s)`: the session's value,
    not the server's start-up one."""
    expected = settings_by_parameter(pg15)
    assert expected == [("by-param",), ("by-param",), ("on",), (None,), ("off", "off")]
    assert settings_by_parameter(gateway_on) == expected
