"""Differential type tests: the same statements on PostgreSQL 15 and on the gateway
(sqlite backend), compared value by value.

For every type of issue 4:
- literals inserted as SQL text, read back as raw text over the simple protocol
  (the exact bytes of each server's text output);
- Python values inserted as parameters and read back with psycopg in text mode
  (`%t` parameters, text results) and binary mode (`%b`, binary results), and with
  asyncpg (binary both ways);
- the column's type OID from Describe of a prepared SELECT on the empty table.

Not compared, because sqlite cannot store it (unit tests in src/types cover the
codecs): negative zero (sqlite keeps REAL -0.0 as 0). Array columns are stored as
PostgreSQL array text by the sqlite translator. pgvector is not installed in the
PostgreSQL under test, so `vector` is checked on the gateway alone against pgvector's documented formats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import uuid
from decimal import Decimal

import asyncpg
import psycopg
import pytest
from psycopg.types.json import Json, Jsonb

UTC = dt.timezone.utc
PLUS_0530 = dt.timezone(dt.timedelta(hours=5, minutes=30))

# (column type, SQL literals, Python values). The literals exercise the gateway's
# result encoding from what sqlite stored; the values its parameter decoding too.
CASES = [
    ("boolean", ["true", "false", "t", "0"], [True, False]),
    ("smallint", ["0", "-32768", "32767"], [0, -32768, 32767]),
    ("integer", ["-2147483648", "2147483647", "7"], [-2147483648, 2147483647, 7]),
    ("bigint", ["-9223372036854775808", "9223372036854775807"], [-(2**63), 2**63 - 1]),
    ("real", ["1.5", "0.1", "-2.25", "1e6", "Infinity", "-Infinity", "NaN", "3.4028235e38"],
     [1.5, 0.1, -2.25, math.inf, -math.inf, math.nan]),
    ("double precision",
     ["0.1", "1e20", "1.5e-7", "Infinity", "-Infinity", "NaN", "5e-324", "1.7976931348623157e308", "123456.789"],
     [0.1, 1e20, 1.5e-7, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]),
    ("numeric", ["1.5", "-12345.678", "0", "100", "NaN", "Infinity", "-Infinity", "1.50", "0.000",
                 "123456789012345678901234567890.123456789", "-1e-20", "9e30"],
     [Decimal("1.5"), Decimal("-12345.678"), Decimal("0"), Decimal("NaN"), Decimal("Infinity"), Decimal("100"),
      Decimal("1.500"), Decimal("-98765432109876543210.0123456789"), Decimal("1E+25"), Decimal("0.00")]),
    ("numeric(12,3)", ["1.5", "-2.0005", "12345.6789", "0", "NaN"],
     [Decimal("1.5"), Decimal("2.0004"), Decimal("-0.0004"), Decimal("123456789.123")]),
    ("text", ["", "héllo", "a''b\"c\\d", "🎉 emoji", "NULL"], ["", "héllo", "a'b\"c\\d", "line\nbreak", "🎉"]),
    ("varchar(20)", ["abc", ""], ["abc", ""]),
    ("char(5)", ["abcde", "ab", "", "é"], ["abcde", "ab", "", "x y"]),
    ("bytea", ["\\x", "\\x00ff80", "\\xdeadbeef"], [b"", b"\x00\xff\x80", bytes(range(256))]),
    ("date", ["2024-01-02", "1999-12-31", "0044-03-15 BC", "4714-11-24 BC", "infinity", "-infinity", "5874897-12-31"],
     [dt.date(2024, 1, 2), dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
    ("time", ["00:00:00", "12:34:56.789", "23:59:59.999999", "24:00:00"],
     [dt.time(12, 34, 56, 789000), dt.time(0, 0), dt.time(23, 59, 59, 999999)]),
    ("timetz", ["12:34:56+05:30", "00:00:00-08", "01:02:03.5+00"],
     [dt.time(1, 2, 3, tzinfo=PLUS_0530), dt.time(23, 0, tzinfo=UTC)]),
    ("timestamp",
     ["2024-01-02 03:04:05.123456", "2024-01-02T03:04:05", "infinity", "-infinity", "0044-03-15 12:00:00 BC",
      "294276-12-31 23:59:59.999999", "2000-01-01 00:00:00.5"],
     [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]),
    ("timestamptz",
     ["2024-01-02 03:04:05.123456+02", "2024-07-01 12:00:00Z", "infinity", "-infinity",
      "2024-01-02 03:04:05 America/New_York", "1900-01-01 00:00:00+00"],
     [dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), dt.datetime(2024, 7, 1, 12, tzinfo=PLUS_0530)]),
    ("interval",
     ["1 year 2 mons 3 days 04:05:06.789", "-1 days +02:00:00", "00:00:00", "@ 1 hour ago", "P1Y2M", "1.5 days",
      "100 hours"],
     [dt.timedelta(days=3, seconds=4), dt.timedelta(0), dt.timedelta(days=-1, seconds=7200),
      dt.timedelta(microseconds=1)]),
    ("uuid", ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12}"],
     [uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]),
    ("json", ['{"b": 1, "a": [1, 2.50]}', "[]", '"x"', "null"], [{"a": 1, "b": [True, None]}, [1, "x"]]),
    ("jsonb", ['{"b": 1, "a": [1, 2.50], "a": 3}', "[]", '"x"', "null", '{"aa":1,"b":{}}'],
     [{"b": [1, 2], "a": None}, "str", 1.5]),
    ("oid", ["0", "4294967295"], []),
    ("name", ["abc", "pg_class"], ["abc"]),
    ("integer[]", ["{1,2,3}", "{}", "{NULL,-5}", "{ 7 , 8 }"], [[1, 2, 3], [], [None, -5]]),
    ("bigint[]", ["{9223372036854775807}"], [[-(2**63), 0]]),
    ("text[]", ['{a,"b c",""}', '{NULL,"NULL","x\\"y"}', "{}"], [["a", "", "b c", None, "NULL", 'q"\\'], []]),
    ("numeric[]", ["{1.50,NaN,-0.001}"], [[Decimal("1.50"), Decimal("12345678901234567890.5"), None]]),
    ("double precision[]", ["{1.5,Infinity,-1e300}"], [[1.5, math.inf, 0.1]]),
    ("boolean[]", ["{t,f,NULL}"], [[True, False, None]]),
    ("date[]", ["{2024-01-02,infinity}"], [[dt.date(2024, 1, 2), dt.date(1999, 12, 31)]]),
    ("timestamptz[]", ['{"2024-01-02 03:04:05+02",-infinity}'], [[dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)]]),
    ("varchar(10)[]", ['{abc,"d e"}'], [["abc", "d e"]]),
    ("uuid[]", ["{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"], [[uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]]),
    ("smallint[]", ["{1,-32768}"], [[1, -32768, None]]),
    ("real[]", ["{1.5,NaN}"], [[1.5, -2.25]]),
    ("bytea[]", ['{"\\\\x00ff",NULL}'], [[b"\x00\xff", b"", None]]),
    ("time[]", ['{12:34:56.5,"24:00:00"}'], [[dt.time(12, 34, 56, 500000), dt.time(0, 0)]]),
    ("timestamp[]", ['{"2024-01-02 03:04:05",infinity}'], [[dt.datetime(2024, 1, 2, 3, 4, 5)]]),
    ("interval[]", ['{"1 day 02:00:00","-1 mons"}'], [[dt.timedelta(days=1, hours=2), dt.timedelta(0)]]),
    ("char(3)[]", ['{a,bcd}'], [["a", "bcd"]]),
]

IDS = [c[0].replace("(", "_").replace(",", "_").replace(")", "").replace(" ", "_").replace("[]", "_array") for c in CASES]


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'" if "''" not in s else "'" + s + "'"


def _norm(v):
    """Python values compared across servers: NaN equal to itself, -0.0 kept apart."""
    if isinstance(v, float):
        return ("nan",) if math.isnan(v) else (v, math.copysign(1, v))
    if isinstance(v, Decimal) and v.is_nan():
        return ("Decimal-NaN",)
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def _wrap(pg_type: str, v):
    """psycopg needs json values wrapped to pick the json/jsonb dumpers."""
    if pg_type == "json":
        return Json(v)
    if pg_type == "jsonb":
        return Jsonb(v)
    return v


def _raw_text(target, table: str, pg_type: str, literals: list[str]):
    """Insert literals; return (describe OID on the empty table, each row's raw text)."""
    with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
        c.execute("set time zone 'UTC'")
        c.execute(f"create table {table} (id integer primary key, v {pg_type})")
        try:
            cur = c.cursor()
            cur.execute(f"select v from {table}", prepare=True)
            oid = cur.description[0].type_code
            for i, lit in enumerate(literals):
                c.execute(f"insert into {table} (id, v) values ({i}, {_literal(lit)})")
            c.execute(f"insert into {table} (id, v) values ({len(literals)}, null)")
            res = c.pgconn.exec_(f"select v from {table} order by id".encode())
            assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
            texts = [res.get_value(r, 0) for r in range(res.ntuples)]
            res_oid = (res.ftype(0), res.fmod(0))
        finally:
            c.execute(f"drop table {table}")
    return oid, res_oid, texts


def _psycopg_values(target, table: str, pg_type: str, values: list, binary: bool):
    ph = "%b" if binary else "%t"
    with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
        c.execute("set time zone 'UTC'")
        c.execute(f"create table {table} (id integer primary key, v {pg_type})")
        try:
            with c.cursor(binary=binary) as cur:
                for i, v in enumerate(values + [None]):
                    cur.execute(f"insert into {table} (id, v) values ({ph}, {ph})", (i, _wrap(pg_type, v)))
                cur.execute(f"select v from {table} order by id")
                return [_norm(r[0]) for r in cur.fetchall()]
        finally:
            c.execute(f"drop table {table}")


def _asyncpg_values(target, table: str, pg_type: str, values: list):
    async def run():
        conn = await asyncpg.connect(target.dsn, timeout=10)
        try:
            await conn.execute("set time zone 'UTC'")
            await conn.execute(f"create table {table} (id integer primary key, v {pg_type})")
            try:
                for i, v in enumerate(values + [None]):
                    if pg_type in ("json", "jsonb") and v is not None:
                        v = __import__("json").dumps(v)
                    await conn.execute(f"insert into {table} (id, v) values ($1, $2)", i, v)
                rows = await conn.fetch(f"select v from {table} order by id")
                return [_norm(r[0]) for r in rows]
            finally:
                await conn.execute(f"drop table {table}")
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.mark.parametrize("pg_type,literals,values", CASES, ids=IDS)
def test_text_output_and_describe(pg15, gateway, table_name, pg_type, literals, values):
    want = _raw_text(pg15, table_name, pg_type, literals)
    got = _raw_text(gateway, table_name, pg_type, literals)
    assert got[0] == want[0], f"Describe OID of {pg_type} on an empty table"
    assert got[1] == want[1], f"RowDescription (OID, typmod) of {pg_type}"
    assert got[2] == want[2]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("pg_type,literals,values", [c for c in CASES if c[2]], ids=[i for i, c in zip(IDS, CASES) if c[2]])
def test_psycopg_round_trip(pg15, gateway, table_name, pg_type, literals, values, binary):
    want = _psycopg_values(pg15, table_name, pg_type, values, binary)
    got = _psycopg_values(gateway, table_name, pg_type, values, binary)
    assert got == want


@pytest.mark.parametrize("pg_type,literals,values", [c for c in CASES if c[2]], ids=[i for i, c in zip(IDS, CASES) if c[2]])
def test_asyncpg_round_trip(pg15, gateway, table_name, pg_type, literals, values):
    want = _asyncpg_values(pg15, table_name, pg_type, values)
    got = _asyncpg_values(gateway, table_name, pg_type, values)
    assert got == want


def test_numeric_compares_and_orders_as_numbers(pg15, gateway, table_name):
    """Exact numerics are stored as text on sqlite: comparisons, ORDER BY, MIN/MAX,
    DISTINCT and UNIQUE must still treat them as numbers ('1.50' = '1.5' < '10')."""
    queries = [
        "select v from {t} order by v, id",
        "select v from {t} order by v desc, id",
        "select id from {t} where v = 1.5 order by id",
        "select id from {t} where v = '1.50' order by id",
        "select id from {t} where v > 2 and v < 1e30 order by id",
        "select id from {t} where v in (10, -3) order by id",
        "select min(v), max(v) from {t} where v <> 'NaN'",
        "select count(distinct v) from {t}",
    ]

    def run(target):
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            c.execute(f"create table {table_name} (id integer primary key, v numeric, u numeric unique)")
            try:
                rows = ["1.5", "10", "9.99", "-3", "1.50", "123456789012345678901234567890", "NaN", "2"]
                for i, v in enumerate(rows):
                    c.execute(f"insert into {table_name} (id, v) values (%s, %s)", (i, Decimal(v)))
                out = [c.execute(q.format(t=table_name)).fetchall() for q in queries]
                c.execute(f"insert into {table_name} (id, u) values (100, 1.5)")
                with pytest.raises(psycopg.errors.UniqueViolation):
                    c.execute(f"insert into {table_name} (id, u) values (101, '1.50')")
                return [[tuple(_norm(x) for x in r) for r in res] for res in out]
            finally:
                c.execute(f"drop table {table_name}")

    assert run(gateway) == run(pg15)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Paris", "Asia/Kolkata", "+02", "UTC"])
def test_timestamptz_in_session_time_zone(pg15, gateway, table_name, zone):
    literals = ["2024-01-02 03:04:05.123456+00", "2024-07-01 12:00:00+00", "1850-06-01 00:00:00+00", "infinity"]

    def run(target):
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            c.execute(f"create table {table_name} (id integer primary key, v timestamptz)")
            try:
                for i, lit in enumerate(literals):
                    c.execute(f"insert into {table_name} (id, v) values ({i}, '{lit}')")
                c.execute(f"set time zone '{zone}'")
                res = c.pgconn.exec_(f"select v from {table_name} order by id".encode())
                texts = [res.get_value(r, 0) for r in range(res.ntuples)]
                # A zone-less parameter is read in the session zone.
                c.execute(f"insert into {table_name} (id, v) values (%s, %s)", (99, "2024-03-10 12:00:00"))
                c.execute("set time zone 'UTC'")
                res = c.pgconn.exec_(f"select v from {table_name} where id = 99".encode())
                return texts + [res.get_value(0, 0)]
            finally:
                c.execute(f"drop table {table_name}")

    assert run(gateway) == run(pg15)


def test_out_of_range_parameters_give_sqlstates(pg15, gateway, table_name):
    cases = [
        ("smallint", "70000", "22003"),
        ("integer", "12x", "22P02"),
        ("date", "2024-02-30", "22008"),
        ("timestamp", "soon", "22007"),
        ("uuid", "nope", "22P02"),
        ("boolean", "maybe", "22P02"),
        ("numeric", "1e131072", "22003"),
        ("numeric", "1.2.3", "22P02"),
        ("jsonb", '{"a":', "22P02"),
        ("integer[]", "{1,x}", "22P02"),
        ("smallint[]", "{70000}", "22003"),
        ("numeric(5,2)", "999.995", "22003"),
        ("numeric(5,2)", "-12345.6", "22003"),
        ("numeric(3)", "Infinity", "22003"),
        ("numeric(2,2)", "1", "22003"),
    ]

    def run(target):
        states = []
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            for i, (ty, value, _) in enumerate(cases):
                t = f"{table_name}_{i}"
                c.execute(f"create table {t} (id integer primary key, v {ty})")
                try:
                    with pytest.raises(psycopg.Error) as err:
                        c.execute(f"insert into {t} (id, v) values (1, %s)", (value,))
                    states.append(err.value.sqlstate)
                finally:
                    c.execute(f"drop table {t}")
        return states

    expected = [s for _, _, s in cases]
    assert run(pg15) == expected
    assert run(gateway) == expected


def _run_script(target, statements, table: str) -> list:
    """Run statements (SQL, or (SQL, params)) in autocommit, then drop `table`: per
    statement its rows as strings, "ok", or the SQLSTATE it failed with."""
    out = []
    with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
        try:
            for st in statements:
                sql, params = st if isinstance(st, tuple) else (st, None)
                try:
                    cur = c.execute(sql, params)
                    out.append([tuple(None if v is None else str(v) for v in r) for r in cur.fetchall()]
                               if cur.description else "ok")
                except psycopg.Error as e:
                    out.append(e.sqlstate)
        finally:
            c.execute(f"drop table if exists {table}")
    return out


def test_numeric_precision_and_scale_limits(pg15, gateway, table_name):
    """numeric(p,s) keeps values that round below 10^(p-s) and refuses others with
    22003, in INSERT, UPDATE and added columns; text that is no number is 22P02."""
    statements = [
        f"create table {table_name} (id integer primary key, v numeric(5,2))",
        f"insert into {table_name} values (1, 999.994)",
        f"insert into {table_name} values (2, 999.995)",
        f"insert into {table_name} values (3, 'NaN')",
        f"insert into {table_name} values (4, -0.001)",
        f"update {table_name} set v = v * 1000 where id = 1",
        f"update {table_name} set v = 12.345 where id = 1",
        f"alter table {table_name} add column w numeric(3,1)",
        f"update {table_name} set w = 99.94 where id = 1",
        f"update {table_name} set w = 99.95 where id = 1",
        f"insert into {table_name} (id, v, w) values (5, 1, 100)",
        f"alter table {table_name} add column n numeric",
        f"insert into {table_name} (id, v) values (6, 'abc')",
        f"insert into {table_name} (id, n) values (7, '')",
        f"insert into {table_name} (id, n) values (8, '1_000')",
        f"update {table_name} set n = 'x' where id = 1",
        f"insert into {table_name} (id, n) values (9, ' 12.50 '), (10, 'Infinity')",
        f"select id, v, w, n from {table_name} order by id",
    ]

    want = _run_script(pg15, statements, table_name)
    assert want.count("22003") == 4 and want.count("22P02") == 4
    assert _run_script(gateway, statements, table_name) == want


def test_exact_sums_and_averages(pg15, gateway, table_name):
    """SUM and AVG are exact and scaled like PostgreSQL's (SQLite alone sums in floating
    point and overflows on large integers); number literals keep their digits when
    stored. Values are written at their column's scale, as PostgreSQL stores them."""
    rows = [
        (1, "0.10", 3, 9223372036854775807, "123456789012345678901234567890.5", 0.1, "a"),
        (2, "0.20", 4, 9223372036854775807, "0.000000000000000000001", 0.2, "a"),
        (3, "12345678.99", 1, -5, "-7", None, "b"),
        (4, None, None, None, None, 0.3, "b"),
    ]
    queries = [
        "select sum(p), avg(p), sum(q), avg(q), sum(b), avg(b), sum(n), avg(n) from {t}",
        "select g, sum(p), avg(p), count(*) from {t} group by g order by g",
        "select sum(distinct q), avg(q) filter (where q > 1), sum(p * q) from {t}",
        "select sum(p), avg(q) from {t} where id > 100",
        "select n from {t} order by id",
        "select avg(q), avg(b) from {t} where q < 4",
    ]

    def run(target):
        out = []
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            c.execute(f"create table {table_name} (id integer primary key, p numeric(10,2), q integer, "
                      "b bigint, n numeric, f double precision, g text)")
            try:
                for r in rows:  # literals, as an application's SQL script writes them
                    values = ", ".join("NULL" if v is None else f"'{v}'" if isinstance(v, str) and not v[0].isdigit()
                                       and not v.startswith("-") else str(v) for v in r)
                    c.execute(f"insert into {table_name} values ({values})")
                for q in queries:
                    out.append([tuple(None if v is None else str(v) for v in r)
                                for r in c.execute(q.format(t=table_name)).fetchall()])
            finally:
                c.execute(f"drop table {table_name}")
        return out

    assert run(gateway) == run(pg15)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_casts_with_type_modifiers(pg15, gateway, binary):
    """A cast to numeric(p,s), varchar(n) or char(n) in the select list rounds, cuts or
    pads the value and reports the modifier in RowDescription, as PostgreSQL does."""
    sql = ("select '1.005'::numeric(10,2) a, 'abcdef'::varchar(3) b, 'ab'::char(5) c, 2.5::numeric(3,0) d, "
           "cast(7 as numeric(5,2)) e, (-0.125)::numeric(4,2) f, ('9.995'::numeric(6,2)) g")

    def run(target):
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            cur = c.cursor(binary=binary)
            cur.execute(sql)
            described = [(d.name, d.type_code, d.display_size, d.precision, d.scale) for d in cur.description]
            return described, [tuple(str(v) for v in r) for r in cur.fetchall()]

    assert run(gateway) == run(pg15)


def test_numeric_values_are_stored_at_the_column_scale(pg15, gateway, table_name):
    """numeric(p,s) stores values rounded to s places (10 is stored as 10.00), which
    aggregates, comparisons and later DDL then see, as in PostgreSQL."""
    t = table_name
    statements = [
        f"create table {t} (id integer primary key, p numeric(10,2), q numeric(6,0), n numeric)",
        f"insert into {t} values (1, 10, 2.5, 1.50), (2, 2.345, -3.5, 2)",
        (f"insert into {t} (id, p, q) values (%s, %s, %s)", (3, "-0.005", "7")),
        f"update {t} set p = 1.1 where id = 2",
        f"select id, p, q, n from {t} order by id",
        f"select sum(p), min(p), max(p), sum(q), avg(q) from {t}",
        f"select id from {t} where p = 10.00 or q = 3",
        f"alter table {t} add column r numeric(4,1)",
        f"update {t} set r = 1.25 where id = 1",
        f"alter table {t} rename column p to price",
        f"insert into {t} (id, price, r) values (4, 0.5, 99.94)",
        f"alter table {t} drop column q",
        f"insert into {t} (id, price, r) values (5, 3, 1)",
        f"select id, price, r from {t} order by id",
        f"select sum(price), max(r) from {t}",
    ]

    assert _run_script(gateway, statements, t) == _run_script(pg15, statements, t)


def test_returning_applies_column_modifiers(pg15, gateway, table_name):
    """RETURNING shows values as the columns hold them (numeric rounded, char padded)."""
    t = table_name

    def run(target):
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            c.execute(f"create table {t} (id integer primary key, p numeric(10,2), c char(4))")
            try:
                out = [c.execute(f"insert into {t} values (1, 2.345, 'ab') returning p, c, id").fetchall(),
                       c.execute(f"insert into {t} values (2, %s, %s) returning *", ["1.005", "x"]).fetchall(),
                       c.execute(f"update {t} set p = 7 where id = 1 returning p, c").fetchall()]
                return [[tuple(str(v) for v in r) for r in rows] for rows in out]
            finally:
                c.execute(f"drop table {t}")

    assert run(gateway) == run(pg15)


def test_array_parameters_echo(pg15, gateway):
    """One-dimensional arrays of several element types, sent as parameters and returned."""
    values = [[1, 2, None], ["a", "", "b c", None, "NULL"], [Decimal("1.5"), None], [], [dt.date(2024, 1, 2)],
              [True, False], [1.5, math.inf]]

    def run(target, binary):
        out = []
        with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
            ph = "%b" if binary else "%t"
            with c.cursor(binary=binary) as cur:
                for v in values:
                    cur.execute(f"select {ph} as v", (v,))
                    out.append((cur.description[0].type_code, _norm(cur.fetchone()[0])))
        return out

    for binary in (False, True):
        assert run(gateway, binary) == run(pg15, binary)


def test_vector_on_gateway(gateway, table_name):
    """pgvector's vector (not installed in the PostgreSQL 15 under test): text and binary."""
    import struct

    with psycopg.connect(gateway.dsn, autocommit=True, connect_timeout=10) as c:
        c.execute(f"create table {table_name} (id integer primary key, v vector(3))")
        c.execute(f"insert into {table_name} (id, v) values (1, '[1, 2.5, -3e-7]')")
        res = c.pgconn.exec_(f"select v from {table_name}".encode())
        assert res.get_value(0, 0) == b"[1,2.5,-3e-07]"
        with c.cursor(binary=True) as cur:
            cur.execute(f"select v from {table_name}")
            raw = cur.fetchone()[0]
        assert bytes(raw) == struct.pack(">HH3f", 3, 0, 1.0, 2.5, -3e-7)
