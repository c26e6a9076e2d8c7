"""psycopg2 (psycopg2-binary) with its defaults, on PostgreSQL 15 and the gateway.

psycopg2 speaks the simple query protocol only: parameters are quoted into the SQL text
by the client, every result is text, and there are no protocol-level prepared statements
(SQL PREPARE / EXECUTE is how a psycopg2 user reuses a plan)."""

from __future__ import annotations

import importlib.metadata

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pytest

import pyvalues as pv


CLIENT = "psycopg2"
IRIS_DOUBLES = True


def client_version() -> str:
    return importlib.metadata.version("psycopg2-binary")


@pytest.fixture
def conn(target):
    c = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                         password=target.password, dbname=target.dbname, connect_timeout=10)
    yield c
    c.close()


def test_connect(conn):
    assert conn.server_version >= 150000
    assert conn.get_parameter_status("server_encoding") == "UTF8"
    with conn.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)


def test_select_with_parameters(conn):
    with conn.cursor() as cur:
        cur.execute("select %s::int + %s::int, %s || 'x', %s::text is null", (40, 2, "it's", None))
        assert cur.fetchone() == (42, "it'sx", True)
        cur.execute("select %(a)s::int * 2", {"a": 21})
        assert cur.fetchone() == (42,)


def test_types_text(conn, table_name):
    with conn.cursor() as cur:
        cur.execute(pv.TYPES_TABLE_DDL.format(t=table_name))
        values = dict(pv.VALUES, u=str(pv.VALUES["u"]), j=psycopg2.extras.Json(pv.VALUES["j"]))
        cur.execute(pv.insert_sql(table_name, lambda i, c: "%s"),
                    (1, *(values[c] for c in pv.COLUMNS)))
        cur.execute(pv.select_sql(table_name))
        got = dict(zip(pv.COLUMNS, cur.fetchone()))
        got["by"] = bytes(got["by"])
        assert got == dict(pv.VALUES, u=str(pv.VALUES["u"]))
        cur.execute(pv.LITERALS_SQL)
        row = list(cur.fetchone())
        row[9] = bytes(row[9])
        assert row == [*pv.LITERALS[:13], str(pv.LITERALS[13]), *pv.LITERALS[14:]]


def test_transaction_rollback(conn, table_name):
    with conn.cursor() as cur:
        cur.execute(f"create table {table_name} (id int primary key)")
        conn.commit()
        cur.execute(f"insert into {table_name} values (1)")
        assert conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
        conn.rollback()
        cur.execute(f"insert into {table_name} values (2)")
        conn.commit()
        cur.execute(f"select id from {table_name}")
        assert cur.fetchall() == [(2,)]


def test_error_sqlstate_and_continued_use(conn, table_name):
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.UndefinedTable) as ei:
            cur.execute(f"select * from {table_name}_missing")
        assert ei.value.pgcode == "42P01"
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("select 1")
        conn.rollback()
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute("select 1 / 0")
        conn.rollback()
        cur.execute("select 2")
        assert cur.fetchone() == (2,)


def test_prepared_statement_reuse(conn):
    """psycopg2 has no protocol-level prepare: users PREPARE / EXECUTE in SQL."""
    with conn.cursor() as cur:
        cur.execute("prepare add_one (int) as select $1 + 1")
        for i in range(3):
            cur.execute("execute add_one (%s)", (i,))
            assert cur.fetchone() == (i + 1,)
        cur.execute("deallocate add_one")


def test_executemany_and_rowcount(conn, table_name):
    with conn.cursor() as cur:
        cur.execute(f"create table {table_name} (id int primary key, name text)")
        cur.executemany(f"insert into {table_name} values (%s, %s)", [(1, "a"), (2, "b")])
        psycopg2.extras.execute_values(cur, f"insert into {table_name} values %s",
                                       [(3, "c"), (4, "d")])
        cur.execute(f"update {table_name} set name = upper(name) where id > 1")
        assert cur.rowcount == 3
        conn.commit()


def test_introspection_description(conn, table_name):
    """cursor.description carries the type OIDs psycopg2 decodes by."""
    with conn.cursor() as cur:
        cur.execute("select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c")
        assert [(d.name, d.type_code) for d in cur.description] == [
            ("a", 23), ("b", 25), ("c", 1700)]


def test_dict_cursor(conn):
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("select 1 as one, 'two' as two")
        assert cur.fetchone() == {"one": 1, "two": "two"}
