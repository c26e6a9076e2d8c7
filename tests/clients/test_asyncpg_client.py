"""asyncpg with its defaults (binary everywhere, a prepared statement per query, its
statement cache), on PostgreSQL 15 and the gateway, for the matrix. tests/test_asyncpg.py
has the protocol-level detail (cursors, executemany, concurrency)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json

import asyncpg
import pytest

import pyvalues as pv


CLIENT = "asyncpg"
IRIS_DOUBLES = True


def client_version() -> str:
    return importlib.metadata.version("asyncpg")


@pytest.fixture
def run(target):
    """run(work): work(conn) in a fresh event loop and connection."""
    def go(work):
        async def main():
            conn = await asyncpg.connect(host=target.host, port=target.port, user=target.user,
                                         password=target.password, database=target.dbname, timeout=10)
            try:
                return await work(conn)
            finally:
                await conn.close()
        return asyncio.run(main())
    return go


def test_connect(run):
    async def work(c):
        return c.get_server_version().major, await c.fetchval("select 1")
    major, one = run(work)
    assert major >= 15 and one == 1


def test_select_with_parameters(run):
    async def work(c):
        return tuple(await c.fetchrow("select $1::int + $2::int, $3 || 'x', $4::text is null",
                                      40, 2, "it's", None))
    assert run(work) == (42, "it'sx", True)


def test_types_binary_round_trip(run, table_name):
    async def work(c):
        await c.execute(pv.TYPES_TABLE_DDL.format(t=table_name))
        values = dict(pv.VALUES, j=json.dumps(pv.VALUES["j"]))
        await c.execute(pv.insert_sql(table_name, lambda i, col: f"${i}"),
                        1, *(values[col] for col in pv.COLUMNS))
        return dict(await c.fetchrow(pv.select_sql(table_name)))
    got = run(work)
    assert dict(got, j=json.loads(got["j"])) == pv.VALUES


def test_typed_literals(request, target, run):

    async def work(c):
        return tuple(await c.fetchrow(pv.LITERALS_SQL))
    row = run(work)
    assert row[:14] == pv.LITERALS[:14] and json.loads(row[14]) == {"x": 1} and row[15] is None
    assert str(row[6]) == "1.500"


def test_transaction_rollback(run, table_name):
    async def work(c):
        await c.execute(f"create table {table_name} (id int primary key)")
        try:
            async with c.transaction():
                await c.execute(f"insert into {table_name} values (1)")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        async with c.transaction():
            await c.execute(f"insert into {table_name} values (2)")
        return [r["id"] for r in await c.fetch(f"select id from {table_name}")]
    assert run(work) == [2]


def test_error_sqlstate_and_continued_use(run, table_name):
    async def work(c):
        try:
            await c.fetch(f"select * from {table_name}_missing")
        except asyncpg.UndefinedTableError as e:
            return e.sqlstate, await c.fetchval("select 2")
    assert run(work) == ("42P01", 2)


def test_prepared_statement_reuse(run):
    async def work(c):
        st = await c.prepare("select $1::int * 2 as v")
        return ([(p.name, p.oid) for p in st.get_parameters()],
                [a.name for a in st.get_attributes()],
                [await st.fetchval(i) for i in range(6)])
    assert run(work) == ([("int4", 23)], ["v"], [0, 2, 4, 6, 8, 10])


def test_set_type_codec(run):
    """asyncpg introspects the type through its own pg_type query, which the gateway answers."""
    async def work(c):
        await c.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        return await c.fetchval("select $1::jsonb", {"a": 1})
    assert run(work) == {"a": 1}


def test_copy_records_to_table(request, target, run, table_name):

    async def work(c):
        await c.execute(f"create table {table_name} (id int, name text)")
        await c.copy_records_to_table(table_name, records=[(1, "one"), (2, "two")])
        return await c.fetchval(f"select count(*) from {table_name}")
    assert run(work) == 2
