"""psqlODBC (Debian's odbc-postgresql on unixODBC, the "PostgreSQL Unicode" driver its
package registers) through pyodbc, with the driver's defaults, on PostgreSQL 15 and the
gateway.

On connect the driver looks up the `lo` type in pg_type, so on the gateway every test
needs the catalog until issue 11 lands."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from decimal import Decimal

import pytest

from harness import deb_version

pyodbc = pytest.importorskip("pyodbc")

CLIENT = "psqlODBC"
IRIS_DOUBLES = True


def client_version() -> str:
    return (f"{deb_version('odbc-postgresql')} (Debian), unixODBC {deb_version('unixodbc')}, "
            f"pyodbc {importlib.metadata.version('pyodbc')}")


@pytest.fixture
def connect(request, target):
    """Connecting is part of each test (not of its setup), so the xfail covers it."""
    opened = []

    def open_():
        c = pyodbc.connect(f"DRIVER={{PostgreSQL Unicode}};SERVER={target.host};"
                           f"PORT={target.port};DATABASE={target.dbname};UID={target.user};"
                           f"PWD={{{target.password}}};",
                           timeout=10)
        opened.append(c)
        return c

    yield open_
    for c in opened:
        c.close()


def test_connect(connect):
    conn = connect()
    assert conn.cursor().execute("select 1").fetchone()[0] == 1


def test_select_with_parameters(connect):
    conn = connect()
    row = conn.cursor().execute("select ?::int + ?::int, ? || 'x'", 40, 2, "it's").fetchone()
    assert tuple(row) == (42, "it'sx")


def test_types_text(connect, table_name):
    conn = connect()
    cur = conn.cursor()
    cur.execute(f"create table {table_name} (id int primary key, i8 int8, f8 float8, "
                "n numeric(12,3), s text, d date, ts timestamp, b bool, by bytea, u uuid)")
    cur.execute(f"insert into {table_name} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                1, -9223372036854775808, 0.25, Decimal("12.500"), "héllo ☃", dt.date(2024, 2, 29),
                dt.datetime(2024, 2, 29, 13, 14, 15, 500000), True, b"\x00\x01",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    row = cur.execute(f"select * from {table_name}").fetchone()
    # psqlODBC defaults: booleans as '1'/'0' (BoolsAsChar), uuids as upper-case GUID text.
    assert tuple(row) == (
        1, -9223372036854775808, 0.25, Decimal("12.500"), "héllo ☃", dt.date(2024, 2, 29),
        dt.datetime(2024, 2, 29, 13, 14, 15, 500000), "1", b"\x00\x01",
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")


def test_transaction_rollback(connect, table_name):
    conn = connect()
    cur = conn.cursor()
    cur.execute(f"create table {table_name} (id int primary key)")
    conn.commit()
    cur.execute(f"insert into {table_name} values (1)")
    conn.rollback()
    cur.execute(f"insert into {table_name} values (2)")
    conn.commit()
    assert [r[0] for r in cur.execute(f"select id from {table_name}")] == [2]


def test_error_sqlstate_and_continued_use(connect, table_name):
    conn = connect()
    cur = conn.cursor()
    with pytest.raises(pyodbc.Error) as ei:
        cur.execute(f"select * from {table_name}_missing")
    assert ei.value.args[0] == "42P01"
    conn.rollback()
    assert cur.execute("select 2").fetchone()[0] == 2


def test_prepared_statement_reuse(connect):
    conn = connect()
    cur = conn.cursor()
    assert [cur.execute("select ?::int * 2", i).fetchone()[0] for i in range(6)] == [0, 2, 4, 6, 8, 10]


def test_catalog_columns(connect, table_name):
    conn = connect()
    cur = conn.cursor()
    cur.execute(f"create table {table_name} (id int primary key, name varchar(20))")
    conn.commit()
    assert [(r.column_name, r.type_name) for r in cur.columns(table=table_name)] == [
        ("id", "int4"), ("name", "varchar")]
