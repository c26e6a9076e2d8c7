"""pg8000 (pure Python) with its defaults, on PostgreSQL 15 and the gateway.

pg8000 uses the extended protocol: each query is parsed as an unnamed statement with
typed parameters sent as text; results come back in text format (pg8000 has no binary
mode). `Connection.prepare` makes a named server-side statement."""

from __future__ import annotations

import importlib.metadata

import pg8000.dbapi
import pg8000.native
import pytest

import pyvalues as pv


CLIENT = "pg8000"
IRIS_DOUBLES = True


def client_version() -> str:
    return importlib.metadata.version("pg8000")


@pytest.fixture
def conn(target):
    c = pg8000.native.Connection(target.user, host=target.host, port=target.port,
                                 password=target.password, database=target.dbname, timeout=30)
    yield c
    c.close()


def test_connect(conn):
    assert conn.parameter_statuses["server_encoding"] == "UTF8"
    assert conn.run("select 1") == [[1]]


def test_select_with_parameters(conn):
    assert conn.run("select :a::int + :b::int, :s || 'x', :n::text is null",
                    a=40, b=2, s="it's", n=None) == [[42, "it'sx", True]]


def test_types_text(conn, table_name):
    conn.run(pv.TYPES_TABLE_DDL.format(t=table_name))
    params = {f"p{i}": v for i, v in enumerate((1, *(pv.VALUES[c] for c in pv.COLUMNS)))}
    conn.run(pv.insert_sql(table_name, lambda i, c: f":p{i - 1}"), **params)
    [row] = conn.run(pv.select_sql(table_name))
    got = dict(zip(pv.COLUMNS, row))
    assert got == dict(pv.VALUES, u=pv.VALUES["u"])
    [row] = conn.run(pv.LITERALS_SQL)
    assert row == list(pv.LITERALS)


def test_transaction_rollback(conn, table_name):
    conn.run(f"create table {table_name} (id int primary key)")
    conn.run("begin")
    conn.run(f"insert into {table_name} values (1)")
    conn.run("rollback")
    conn.run(f"insert into {table_name} values (2)")
    assert conn.run(f"select id from {table_name}") == [[2]]


def test_dbapi_transaction_rollback(target, table_name):
    c = pg8000.dbapi.connect(target.user, host=target.host, port=target.port,
                             password=target.password, database=target.dbname)
    try:
        cur = c.cursor()
        cur.execute(f"create table {table_name} (id int primary key)")
        c.commit()
        cur.execute(f"insert into {table_name} values (%s)", (1,))
        c.rollback()
        cur.executemany(f"insert into {table_name} values (%s)", [(2,), (3,)])
        c.commit()
        cur.execute(f"select id from {table_name} order by id")
        assert cur.fetchall() == ([2], [3])
    finally:
        c.close()


def test_error_sqlstate_and_continued_use(conn, table_name):
    with pytest.raises(pg8000.native.DatabaseError) as ei:
        conn.run(f"select * from {table_name}_missing")
    assert ei.value.args[0]["C"] == "42P01"
    conn.run("begin")
    with pytest.raises(pg8000.native.DatabaseError) as ei:
        conn.run("select 1 / 0")
    assert ei.value.args[0]["C"] == "22012"
    with pytest.raises(pg8000.native.DatabaseError) as ei:
        conn.run("select 1")
    assert ei.value.args[0]["C"] == "25P02"
    conn.run("rollback")
    assert conn.run("select 2") == [[2]]


def test_prepared_statement_reuse(conn):
    ps = conn.prepare("select :x::int * 2, :s::text")
    for i in range(6):
        assert ps.run(x=i, s=str(i)) == [[i * 2, str(i)]]
    ps.close()


def test_introspection_columns(conn):
    conn.run("select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c")
    assert [(c["name"], c["type_oid"]) for c in conn.columns] == [
        ("a", 23), ("b", 25), ("c", 1700)]
