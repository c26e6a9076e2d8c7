"""interval: literals, casts, parameters (psycopg's timedelta, text and binary; asyncpg),
columns, text and binary output, compared with PostgreSQL 15 on every backend; comparison
and arithmetic on sqlite (the backend's functions), refused with 0A000 on IRIS, which has
no interval type (docs/translation.md)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")
from psycopg.types.string import TextLoader  # noqa: E402

LITERALS = [
    "1 day", "-1 s", "1d 3h 4m 5s", "1 year 2 mons -3 days +04:05:06.7", "-1:2:3.4", "25 hours",
    "6 mons -6 days", "1993534:40:40.447", "41 days -990:00:00", "@ 1 hour ago", "P1Y2M3DT4H5M6S",
    "1.5 days", "0", "-999999999 days", "999999999 days 23:59:59.999999",
]
DELTAS = [dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(days=1, microseconds=1),
          dt.timedelta(days=-3, hours=4), dt.timedelta.max, dt.timedelta.min]


def values(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        text = c.cursor()
        text.adapters.register_loader("interval", TextLoader)
        for lit in LITERALS:
            # The server's own text, and psycopg's timedelta from text and from binary.
            row = text.execute(f"select '{lit}'::interval, interval '{lit}'").fetchone()
            out.append((lit, row, c.execute(f"select '{lit}'::interval").fetchone(),
                        c.cursor(binary=True).execute(f"select '{lit}'::interval").fetchone()))
        out.append(text.execute("select interval '2' hour, interval '3' day").fetchone())
        for d in DELTAS:
            for fmt in ("%s", "%t", "%b"):
                out.append((d, fmt, text.execute(f"select {fmt}::interval, {fmt}", (d, d)).fetchone()))
        with pytest.raises(psycopg.errors.InvalidDatetimeFormat):
            c.execute("select 'wat'::interval")
    return out


def test_values_like_postgresql(pg15, gateway_on):
    assert values(gateway_on) == values(pg15)


def columns(t, table) -> list:
    with psycopg.connect(t.dsn, autocommit=True) as c:
        c.execute(f"create table {table} (id int primary key, d interval)")
        for i, d in enumerate(DELTAS):
            c.execute(f"insert into {table} values (%s, %s)", (i, d))
        c.execute(f"insert into {table} values (100, '1 mon 2 days'), (101, null)")
        cur = c.cursor()
        cur.adapters.register_loader("interval", TextLoader)
        rows = cur.execute(f"select id, d from {table} order by id").fetchall()
        desc = [(d.name, d.type_code) for d in cur.description]
        typed = c.execute(f"select d from {table} where id = 2").fetchone()
        c.execute(f"drop table {table}")
    return [rows, desc, typed]


def test_columns_like_postgresql(pg15, gateway_on, table_name):
    assert columns(gateway_on, table_name) == columns(pg15, table_name)


def asyncpg_values(t) -> list:
    async def run():
        conn = await asyncpg.connect(t.dsn)
        try:
            return [
                await conn.fetchrow("select $1::interval, '1 year 2 mons 3 days 04:05:06'::interval", d)
                for d in DELTAS[:4]
            ]
        finally:
            await conn.close()

    return asyncio.run(run())


def test_asyncpg_like_postgresql(pg15, gateway_on):
    assert asyncpg_values(gateway_on) == asyncpg_values(pg15)


ARITHMETIC = [
    ("select '1 day'::interval = '24 hours'::interval, '1 mon'::interval = '30 days'::interval", None),
    ("select '-1 s'::interval = %s, '1 day'::interval > %s, '1 year'::interval < '13 mons'", (dt.timedelta(seconds=-1),) * 2),
    ("select '1 day'::interval + '1 hour'::interval, '1 day'::interval - '1 hour'::interval, -'1 mon'::interval", None),
    ("select '2 days 3 hours'::interval * 2.5, 3 * '1 mon'::interval, '1 day'::interval / 4", None),
    ("select '2000-01-31'::timestamp + '1 mon'::interval, '2000-03-31'::date - '1 mon 1 day'::interval", None),
    ("select 'epoch'::timestamp + '1d 3h 4m 5s'::interval = %s", (dt.datetime(1970, 1, 2, 3, 4, 5),)),
    ("select %s + %s * '1s'::interval", (dt.timedelta(days=1), 3)),
    ("select %s::timestamptz + '1 day'::interval", (dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc),)),
    ("select '9999-12-31 23:59:59'::timestamp + '1 s'::interval", None),
]


def arithmetic(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        c.execute("set time zone 'UTC'")
        for sql, params in ARITHMETIC:
            cur = c.cursor()
            for name in ("interval", "timestamp", "timestamptz"):
                cur.adapters.register_loader(name, TextLoader)
            cur.execute(sql, params)
            out.append((sql, [d.type_code for d in cur.description], cur.fetchall()))
    return out


def test_sqlite_arithmetic_like_postgresql(pg15, gateway):
    assert arithmetic(gateway) == arithmetic(pg15)


def test_iris_refuses_interval_operators(gateway_on):
    if gateway_on.name == "gateway":
        pytest.skip("sqlite computes them (test_sqlite_arithmetic_like_postgresql)")
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        for sql, params in ARITHMETIC:
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                c.execute(sql, params)


def test_other_interval_styles_are_refused(gateway):
    """Intervals are written in the postgres style only: another IntervalStyle is refused
    rather than reported (ParameterStatus) and ignored (pg8000 parses by the style)."""
    with psycopg.connect(gateway.dsn, autocommit=True) as c:
        for style in ("sql_standard", "postgres_verbose", "iso_8601"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                c.execute(f"set IntervalStyle to '{style}'")
        c.execute("set IntervalStyle to 'postgres'")
        assert c.info.parameter_status("IntervalStyle") == "postgres"
