"""Literals and operators whose meaning the sqlite translation used to lose (found by
psycopg's and pg8000's own suites, bench/conformance), compared with PostgreSQL 15:

- a date/time literal cast (`'2000-01-01 00:00+2'::timestamptz`) equals the parameter of
  the same value: sqlite compares the stored text, so the literal must be written as
  parameters are (also run on the IRIS doubles, which compare values);
- `date ± integer` and `date - date` are date arithmetic, typed date / integer;
- `'NaN'`, `'Infinity'` cast to float8 are those values, not 0;
- `generate_series(1, $1)` with an untyped parameter counts to it;
- json `->` with a bound key, `#>` / `#>>` with a path parameter.

IRIS has no generate_series, json operators or float infinities (docs/iris.md), so
those cases run on sqlite only."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")

PLUS_2 = dt.timezone(dt.timedelta(hours=2))
MINUS_10 = dt.timezone(dt.timedelta(hours=-10))

# (literal cast, parameter of the same value); each also with a parameter one step off.
DATETIME_CASES = [
    ("'2000-01-01 00:00'::timestamp", dt.datetime(2000, 1, 1)),
    ("'0258-1-8 1:12:32.358261'::timestamp", dt.datetime(258, 1, 8, 1, 12, 32, 358261)),
    ("'2000-01-01 00:00+2'::timestamptz", dt.datetime(2000, 1, 1, tzinfo=PLUS_2)),
    ("'2034-02-03 23:34:27.951357-04:27'::timestamptz",
     dt.datetime(2034, 2, 3, 23, 34, 27, 951357, tzinfo=dt.timezone(-dt.timedelta(hours=4, minutes=27)))),
    ("'10:20:30.000040'::time", dt.time(10, 20, 30, 40)),
    ("'00:00'::time", dt.time(0, 0)),
    ("'00:00-10:00'::timetz", dt.time(0, 0, tzinfo=MINUS_10)),
    ("'epoch'::date", dt.date(1970, 1, 1)),
    ("'2021-1-8'::date", dt.date(2021, 1, 8)),
]


def compare_datetimes(t, fmt: str, cases) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        c.execute("set timezone to '-02:00'")
        for literal, value in cases:
            off = value + dt.timedelta(days=1) if isinstance(value, (dt.date, dt.datetime)) else value.replace(
                microsecond=value.microsecond + 1)
            row = c.execute(f"select {literal} = %{fmt}, {literal} = %{fmt}, {literal}", (value, off)).fetchone()
            out.append((literal, row))
    return out


@pytest.mark.parametrize("fmt", ["s", "t", "b"])
def test_datetime_literals_equal_parameters(pg15, gateway_on, fmt):
    # The doubles check timestamps: IRIS has no timetz, and a POSIXTIME, TIME or DATE
    # compared with a parameter of its type is not equal there (open bugs of the
    # IRIS path, docs/conformance.md).
    cases = [c for c in DATETIME_CASES if gateway_on.name == "gateway" or c[0].endswith("::timestamp")]
    expected = compare_datetimes(pg15, fmt, cases)
    assert all(row[:2] == (True, False) for _, row in expected)
    assert compare_datetimes(gateway_on, fmt, cases) == expected


def date_arithmetic(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for sql, params in [
            ("select '2021-01-01'::date + %s", (3,)),
            ("select 'epoch'::date + 1 = %t", (dt.date(1970, 1, 2),)),
            ("select 5 + date '2021-01-30', '2021-03-01'::date - 1, ('2021-01-05'::date - '2021-01-01'::date)", None),
            ("select current_date - 1 < current_date, current_date + 1 - current_date", None),
            ("select i, '2021-01-01'::date + i from generate_series(1, %s) as i", (2,)),
        ]:
            cur = c.execute(sql, params)
            out.append((sql, [d.type_code for d in cur.description], cur.fetchall()))
    return out


def test_date_plus_integer(pg15, gateway):
    expected = date_arithmetic(pg15)
    assert expected[0][2] == [(dt.date(2021, 1, 4),)]
    assert expected[2][2] == [(dt.date(2021, 2, 4), dt.date(2021, 2, 28), 4)]
    assert date_arithmetic(gateway) == expected


def special_floats(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for value, literal in [(math.nan, "'NaN'"), (math.inf, "'Infinity'"), (-math.inf, "'-Infinity'"), (1.5, "'1.5'")]:
            for fmt in "stb":
                out.append(c.execute(f"select %{fmt} = {literal}::float8", (value,)).fetchone())
        row = c.execute("select 'Infinity'::float8, '-inf'::float8, 'NaN'::float8, ' infinity '::real").fetchone()
        out.append(tuple(str(v) for v in row))
        row = c.execute("select %s::float8, %s::real, %s::float8", ("nan", "-inf", "2.5")).fetchone()
        out.append(tuple(str(v) for v in row))
    return out


def test_special_float_literals(pg15, gateway):
    expected = special_floats(pg15)
    assert expected[:-2] == [(True,)] * 12
    assert special_floats(gateway) == expected


def series_and_json(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        # libpq's exec_params without types: $1 is unknown, int4 as PostgreSQL resolves it.
        res = c.pgconn.exec_params(b"select generate_series(1, $1)", [b"3"])
        out.append((res.ntuples, [res.get_value(i, 0) for i in range(res.ntuples)]))
        for sql, params in [
            ('select cast(%s as json) -> %s', ('{"name": "Apollo", "age": 26.003}', "name")),
            ('select cast(%s as jsonb) -> %s', ('{"name": "Apollo", "age": 26.003}', "age")),
            ("select cast(%s as json) -> cast(%s as int)", ("[-1, -2, -3]", 2)),
            ("select cast(%s as jsonb) #>> %s", ('{"a": [1, 2, 3], "b": [4]}', ["a", "2"])),
            ("select cast(%s as jsonb) #> %s", ('{"a": [1, {"x": "y"}], "b": [4]}', ["a", "1"])),
            ("select cast(%s as jsonb) #> %s, '{\"a\": 1}'::jsonb #>> '{b}'", ('{"a": 1}', ["a", "b"])),
            ("select '[10, 20, 30]'::jsonb -> %s", (1,)),
        ]:
            cur = c.execute(sql, params)
            out.append((sql, [d.type_code for d in cur.description], cur.fetchall()))
    return out


def test_series_bound_and_json_operators_with_parameters(pg15, gateway):
    expected = series_and_json(pg15)
    assert expected[0] == (3, [b"1", b"2", b"3"])
    assert series_and_json(gateway) == expected


def number_literals(t) -> list:
    with psycopg.connect(t.dsn, autocommit=True) as c:
        cur = c.execute("select 9223372036854775808, -9223372036854775808, 1267650600228229401496703205376, "
                        "- -9223372036854775809, 1.50, 0.000000000000000000000000001, 7")
        return [[d.type_code for d in cur.description], cur.fetchall()]


def test_exact_number_literals_in_the_select_list(pg15, gateway):
    expected = number_literals(pg15)
    assert expected[1][0][0] == 9223372036854775808
    assert number_literals(gateway) == expected


def numeric_casts(t) -> list:
    from decimal import Decimal

    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for expr in ["1.0000000000000000000000001", "1.0", "-1.00000000000000", "0.00001", "NaN", "0.00",
                     "100.123456790000000000000000", "1000000000000000000000000.001", "1.5", "10", "1e2"]:
            out.append(c.execute("select %b::text, %s::decimal::text, %s::numeric > 1",
                                 [Decimal(expr), expr, expr]).fetchone())
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            c.execute("select %s::numeric", ["abc"])
    return out


def test_numeric_casts_keep_their_digits(pg15, gateway):
    expected = numeric_casts(pg15)
    assert expected[0] == ("1.0000000000000000000000001", "1.0000000000000000000000001", True)
    assert numeric_casts(gateway) == expected


def integer_literals(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        out.append(c.execute("select ' 42 '::int4, '-7'::int2, '9000000000'::int8, '1.5'::float8").fetchone())
        for bad in ["'wat'::int", "'1.5'::int4", "'70000'::int2", "'abc'::float8"]:
            try:
                c.execute(f"select {bad}")
                out.append((bad, "no error"))
            except psycopg.Error as e:
                out.append((bad, e.sqlstate))
    return out


def test_string_literals_cast_to_numbers_are_checked(pg15, gateway_on):
    """`'wat'::int` is 22P02 (both backends' CAST would read 0), `'70000'::int2` 22003."""
    expected = integer_literals(pg15)
    assert expected[1:] == [("'wat'::int", "22P02"), ("'1.5'::int4", "22P02"), ("'70000'::int2", "22003"),
                            ("'abc'::float8", "22P02")]
    assert integer_literals(gateway_on) == expected


def repeats(t):
    with psycopg.connect(t.dsn, autocommit=True) as c:
        return c.execute("select repeat('xyzxz', 3), repeat('a', 0), repeat(null, 2), repeat('ab', %s)", (2,)).fetchone()


def test_repeat(pg15, gateway):
    assert repeats(pg15) == ("xyzxzxyzxzxyzxz", "", None, "abab")
    assert repeats(gateway) == repeats(pg15)


def all_characters(t) -> list:
    from psycopg import sql

    chars = [chr(i) for i in range(1, 256)] + ["\u20ac"]
    with psycopg.connect(t.dsn, autocommit=True) as c:
        rows = c.execute(sql.SQL("select unnest({}::text[])").format(chars)).fetchall()
        return [r[0] for r in rows]


def test_array_elements_keep_every_character(pg15, gateway):
    """Array text's unquoted elements lose only PostgreSQL's whitespace (space, \\t, \\n, \\r,
    \\v, \\f), not the other characters Python's str.strip() takes (\\x1c-\\x1f, \\x85)."""
    expected = all_characters(pg15)
    assert len(expected) == 256
    assert all_characters(gateway) == expected
