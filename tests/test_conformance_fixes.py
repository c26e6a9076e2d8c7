"""Differences from PostgreSQL 15 that the drivers' own test suites found (issue 22,
docs/conformance.md), each compared with PostgreSQL 15 through psycopg on every backend
(sqlite and the IRIS doubles, `gateway_on`) where the backend can hold the values."""

from __future__ import annotations

import math

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")


def described(t, sql: str, params=None, binary: bool = False):
    """RowDescription as psycopg reads it (type, precision, scale, display size) and the
    values as text."""
    with psycopg.connect(t.dsn, autocommit=True) as c:
        cur = c.cursor(binary=binary)
        cur.execute(sql, params)
        desc = [(d.type_display, d.precision, d.scale, d.display_size, d.internal_size) for d in cur.description]
        return desc, [tuple(str(v) for v in row) for row in cur.fetchall()]


# The type modifiers psycopg's test_column.py::test_details* read back from `null::type`.
TYPMODS = ["time(0)", "time(2)", "timetz(2)", "timestamp(6)", "timestamp(0)", "timestamptz(3)",
           "numeric(2,-3)", "numeric(3,5)", "numeric(1,-1000)", "numeric(1,1000)"]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_type_modifiers_of_casts(pg15, gateway_on, binary):
    types = TYPMODS if gateway_on.name == "gateway" else [t for t in TYPMODS if "tz" not in t]
    sql = "select " + ", ".join(f"null::{t}" for t in types)
    assert described(gateway_on, sql, binary=binary) == described(pg15, sql, binary=binary)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_times_rounded_to_the_cast_precision(pg15, gateway, binary):
    """PostgreSQL rounds a time or timestamp to the precision of its type modifier (half up;
    before 2000-01-01 half goes back), and numeric(p, s) with a negative s to 10^-s."""
    sql = ("select '12:34:56.789'::time(2), '23:59:58.7'::time(0), '2000-01-01 23:59:59.5'::timestamp(0), "
           "'1999-12-31 23:59:59.45'::timestamp(1), '2024-05-06 07:08:09.123456+02'::timestamptz(3), "
           "'01:02:03.55+05'::timetz(1), %s::time(1), '12345'::numeric(5,-3), '-96'::numeric(3,-1)")
    params = ("10:00:00.06",)
    assert described(gateway, sql, params, binary) == described(pg15, sql, params, binary)


def test_time_columns_round_on_the_way_out(pg15, gateway, table_name):
    """A time(p) column reports its modifier and PostgreSQL's rounded values (sqlite stores
    the value as given; the gateway rounds it as PostgreSQL does when storing)."""
    def run(t):
        with psycopg.connect(t.dsn, autocommit=True) as c:
            c.execute(f"create table {table_name} (a time(1), b timestamp(0))")
            c.execute(f"insert into {table_name} values (%s, %s)", ("08:00:00.25", "2020-02-02 10:00:00.5"))
            cur = c.execute(f"select a, b from {table_name}")
            return [(d.precision,) for d in cur.description], cur.fetchall()

    assert run(gateway) == run(pg15)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_date_parameters_sqlite_date_does_not_read(pg15, gateway, binary):
    """`$1::date` of 'infinity', BC dates and years past 9999 (psycopg's date overflow
    tests): PostgreSQL's values, read back as text; SQLite's date() gave NULL."""
    sql = "select %s::date::text, %s::date::text, %s::date::text, %s::date::text, %s::date::text"
    params = ("infinity", "-infinity", "1000-01-01 BC", "10000-01-01", "2024-02-29")
    assert described(gateway, sql, params, binary) == described(pg15, sql, params, binary)


@pytest.mark.parametrize("value", ["2024-02-30", "infinityx", "0000-01-01"])
def test_bad_date_parameters_are_refused_like_postgresql(pg15, gateway, value):
    def code(t):
        with psycopg.connect(t.dsn, autocommit=True) as c:
            with pytest.raises(psycopg.Error) as e:
                c.execute("select %s::date", (value,)).fetchall()
            return e.value.sqlstate

    assert code(gateway) == code(pg15)


def test_negated_nan(pg15, gateway):
    """-'NaN' is NaN (psycopg quotes a NaN float or Decimal as 'NaN'::float8 / 'NaN'::numeric
    and negates it so); SQLite read the text 'NaN' as 0."""
    sql = "select -'NaN'::float8, -'NaN'::numeric, -('NaN'::float4), -'Infinity'::float8"
    with psycopg.connect(gateway.dsn, autocommit=True) as c:
        got = c.execute(sql).fetchone()
    with psycopg.connect(pg15.dsn, autocommit=True) as c:
        want = c.execute(sql).fetchone()
    assert [str(v) for v in got] == [str(v) for v in want]
    assert all(math.isnan(v) for v in got[:3])


@pytest.mark.parametrize("sql", ["select * from wat", "select 1 as x, nope from (select 1 as y) s",
                                 "select 'nope', no_such_fn(1)", "select 1;\nselect * from\n  wat"])
def test_undefined_names_carry_their_position(pg15, gateway_on, sql):
    """The P field of an undefined table, column or function error, from which libpq prints
    `LINE n: ...` and a caret (psycopg's test_query_context)."""
    def error(t):
        with psycopg.connect(t.dsn, autocommit=True) as c:
            with pytest.raises(psycopg.Error) as e:
                c.execute(sql)
            # The message's LINE and caret lines (the DETAIL and HINT are the backends' own);
            # the message of an undefined table or column (IRIS's own text is rewritten).
            message = e.value.diag.message_primary if e.value.sqlstate != "42883" else None
            return e.value.sqlstate, e.value.diag.statement_position, str(e.value).split("\n")[1:3], message

    assert error(gateway_on) == error(pg15)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_markers_compared_with_dates_and_times(pg15, gateway_on, binary):
    """`'2000-01-01'::date = $1`: the marker takes the other side's type (on IRIS the DATE
    was compared with the parameter's text as it was, and was false)."""
    import datetime as dt

    sql = ("select '2000-01-01'::date = %s, '10:20:30.00004'::time = %s, "
           "'2000-01-01 00:00+2'::timestamptz = %s, %s < '2000-01-02 00:00'::timestamp")
    params = (dt.date(2000, 1, 1), dt.time(10, 20, 30, 40), dt.datetime(1999, 12, 31, 22, tzinfo=dt.timezone.utc),
              dt.datetime(2000, 1, 1, 23, 59))
    assert described(gateway_on, sql, params, binary) == described(pg15, sql, params, binary)


def test_string_functions_the_iris_double_lacked(pg15, gateway_on):
    """length() of a bytea parameter and of text (CHAR_LENGTH on IRIS), repeat()."""
    sql = "select length(%s::bytea), char_length('héllo'), length('ab'), repeat('ab', 3)"
    assert described(gateway_on, sql, (b"\x00\x01\xff",)) == described(pg15, sql, (b"\x00\x01\xff",))


def test_nan_literals_refused_on_iris(gateway_on):
    """IRIS SQL documents no NaN or infinity for DOUBLE: a literal is refused (0A000), where
    the double answered 0; sqlite keeps them."""
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        if gateway_on.name == "gateway":
            assert math.isinf(c.execute("select 'Infinity'::float8").fetchone()[0])
            return
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            c.execute("select 'Infinity'::float8")


def test_text_parameters_stored_into_other_types(pg15, gateway_on, table_name):
    """A parameter the client typed text (psycopg's binary str: oid 25) has no assignment
    cast to jsonb or bigint: PostgreSQL refuses the INSERT/UPDATE with 42804, where the
    gateway stored it; untyped (text-mode) strings are read by the column's input."""
    def outcomes(t):
        out = []
        with psycopg.connect(t.dsn, autocommit=True) as c:
            c.execute(f"create table {table_name} (data jsonb, n bigint, s varchar(10))")
            for sql, binary in [(f"insert into {table_name} (data) values (%s)", True),
                                (f"insert into {table_name} values (null, %s, 'x')", True),
                                (f"update {table_name} set n = %s", True),
                                (f"insert into {table_name} (s, data) values (%s, null)", True),
                                (f"insert into {table_name} (data, n) values (%s, 7)", False)]:
                try:
                    c.cursor(binary=binary).execute(sql, ["{}" if "data)" in sql or "(data, n)" in sql else "12"])
                    out.append("ok")
                except psycopg.Error as e:
                    out.append((e.sqlstate, e.diag.message_primary))
        return out

    assert outcomes(gateway_on) == outcomes(pg15)
