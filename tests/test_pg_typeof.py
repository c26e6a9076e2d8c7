"""pg_typeof(expr), answered by the gateway from its type inference and the statement's
parameter types: regtype text and OIDs, casts to text/oid/regtype, comparisons with type
names, columns; compared with PostgreSQL 15 on every backend (sqlite, IRIS doubles)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")

LITERALS = [
    "select pg_typeof(1), pg_typeof(1.5), pg_typeof(3000000000), pg_typeof('x'), pg_typeof(null)",
    "select pg_typeof(now()), pg_typeof('2000-01-01'::date), pg_typeof('1 day'::interval), pg_typeof(true)",
    "select pg_typeof(1::int2 + 1), pg_typeof(2.5::float8 * 2), pg_typeof('a' || 'b'), pg_typeof(count(*))",
    "select pg_typeof(1)::text, pg_typeof(1)::oid, pg_typeof(1) = '23', pg_typeof(1) <> 'text'::regtype",
    "select pg_typeof(1.5)::regtype = 'numeric'::regtype, pg_typeof(pg_typeof(1))",
]
PARAMS = [1, 3000000000, Decimal("1.5"), 1.5, True, dt.date(2000, 1, 2), dt.datetime(2000, 1, 2, 3),
          dt.datetime(2000, 1, 2, tzinfo=dt.timezone.utc), dt.timedelta(days=1), b"\x01"]


def results(t, table) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for sql in LITERALS:
            cur = c.execute(sql)
            out.append((sql, [d.type_code for d in cur.description], cur.fetchall()))
        for p in PARAMS:
            for fmt in ("%s", "%t", "%b"):
                cur = c.execute(
                    f"select pg_typeof({fmt}), pg_typeof({fmt})::text, pg_typeof({fmt})::regtype = %s::regtype",
                    (p, p, p, "text"),
                )
                out.append((repr(p), fmt, [d.type_code for d in cur.description], cur.fetchall()))
        c.execute(f"create table {table} (a int, b varchar(10), c numeric(10, 2), d date)")
        c.execute(f"insert into {table} values (1, 'x', 1.5, '2000-01-01')")
        cur = c.execute(f"select pg_typeof(a), pg_typeof(b), pg_typeof(c), pg_typeof(d), pg_typeof(a + 1) from {table}")
        out.append(cur.fetchall())
        c.execute(f"drop table {table}")
        with pytest.raises(psycopg.errors.UndefinedObject):
            c.execute("select pg_typeof(1) = 'nosuchtype'::regtype")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            c.execute("select pg_typeof(1) = 'integer'")
    return out


def test_pg_typeof_like_postgresql(pg15, gateway_on, table_name):
    assert results(gateway_on, table_name) == results(pg15, table_name)
