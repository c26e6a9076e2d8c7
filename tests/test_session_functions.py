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
