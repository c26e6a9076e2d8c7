"""psycopg 3 (psycopg[binary]) with its defaults, on PostgreSQL 15 and the gateway, for
the matrix: text and binary parameters and results, automatic server-side prepare after
prepare_threshold (5), pipeline mode, transactions, errors, TypeInfo, named (server-side)
cursors and COPY. tests/test_psycopg.py has the protocol-level detail."""

from __future__ import annotations

import importlib.metadata

import psycopg
import psycopg.errors
import pytest
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb

import pyvalues as pv


CLIENT = "psycopg 3"
IRIS_DOUBLES = True


def client_version() -> str:
    return importlib.metadata.version("psycopg")


@pytest.fixture
def conn(target):
    with psycopg.connect(target.dsn, connect_timeout=10) as c:
        yield c


def test_connect(conn):
    assert conn.info.server_version >= 150000
    assert conn.execute("select 1").fetchone() == (1,)


def test_login_requires_the_password(target):
    """The matrix's servers require SCRAM-SHA-256 (tests/clients/conftest.py): a wrong
    password is refused, the right one is used."""
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(target.dsn, password="wrong", connect_timeout=10)
    with psycopg.connect(target.dsn, connect_timeout=10) as c:
        assert c.pgconn.used_password


def test_select_with_parameters(conn):
    assert conn.execute("select %s::int + %s::int, %s || 'x', %s::text is null",
                        (40, 2, "it's", None)).fetchone() == (42, "it'sx", True)


@pytest.mark.parametrize("fmt", ["t", "b"], ids=["text", "binary"])
def test_types_round_trip(conn, table_name, fmt):
    conn.execute(pv.TYPES_TABLE_DDL.format(t=table_name))
    values = dict(pv.VALUES, j=Jsonb(pv.VALUES["j"]))
    conn.execute(pv.insert_sql(table_name, lambda i, c: f"%{fmt}"),
                 (1, *(values[c] for c in pv.COLUMNS)))
    with conn.cursor(binary=fmt == "b") as cur:
        row = cur.execute(pv.select_sql(table_name)).fetchone()
    assert dict(zip(pv.COLUMNS, row)) == pv.VALUES


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_typed_literals(request, target, conn, binary):
    with conn.cursor(binary=binary) as cur:
        row = cur.execute(pv.LITERALS_SQL).fetchone()
    assert row == pv.LITERALS and str(row[6]) == "1.500"


def test_transaction_rollback(conn, table_name):
    conn.execute(f"create table {table_name} (id int primary key)")
    conn.commit()
    with pytest.raises(RuntimeError):
        with conn.transaction():
            conn.execute(f"insert into {table_name} values (1)")
            raise RuntimeError("roll back")
    with conn.transaction():
        conn.execute(f"insert into {table_name} values (2)")
    assert conn.execute(f"select id from {table_name}").fetchall() == [(2,)]


def test_error_sqlstate_and_continued_use(conn, table_name):
    with pytest.raises(psycopg.errors.UndefinedTable) as ei:
        conn.execute(f"select * from {table_name}_missing")
    assert ei.value.sqlstate == "42P01"
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        conn.execute("select 1")
    conn.rollback()
    assert conn.execute("select 2").fetchone() == (2,)


def test_prepared_statement_reuse(conn):
    """From the prepare_threshold-th execution psycopg prepares the query server-side."""
    got = [conn.execute("select %s::int * 2", (i,)).fetchone()[0] for i in range(8)]
    assert got == [i * 2 for i in range(8)]
    assert conn.execute("select %s::int", (1,), prepare=True).fetchone() == (1,)


def test_pipeline(conn, table_name):
    conn.execute(f"create table {table_name} (id int primary key, name text)")
    with conn.pipeline():
        for i in range(5):
            conn.execute(f"insert into {table_name} values (%s, %s)", (i, f"n{i}"))
        cur = conn.execute(f"select count(*) from {table_name}")
    assert cur.fetchone() == (5,)


def test_description_metadata(conn):
    cur = conn.execute("select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c")
    assert [(d.name, d.type_code) for d in cur.description] == [("a", 23), ("b", 25), ("c", 1700)]


def test_type_info_fetch(request, target, conn):
    info = TypeInfo.fetch(conn, "jsonb")
    assert (info.oid, info.array_oid) == (3802, 3807)


def test_named_server_side_cursor(conn):
    with conn.cursor(name="rows") as cur:
        cur.itersize = 2
        cur.execute("select 1 union all select 2 union all select 3")
        assert [r[0] for r in cur] == [1, 2, 3]


def test_copy(request, target, conn, table_name):
    conn.execute(f"create table {table_name} (id int, name text)")
    with conn.cursor().copy(f"copy {table_name} from stdin") as copy:
        copy.write_row((1, "one"))
        copy.write_row((2, "two"))
    assert conn.execute(f"select count(*) from {table_name}").fetchone() == (2,)
