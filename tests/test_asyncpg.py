"""asyncpg against each target. asyncpg only speaks the extended protocol: every query
is Parse + Describe (statement) before Bind/Execute, prepared statements are named,
and cursors fetch with row limits (PortalSuspended)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=20))


async def connect(target) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=target.host, port=target.port, user=target.user, database=target.dbname,
        ssl=False, timeout=10,
    )


def run_with(target, work) -> None:
    """Run `await work(conn)` on a fresh connection to `target`, closed afterwards."""
    async def main():
        conn = await connect(target)
        try:
            await work(conn)
        finally:
            await conn.close()

    run(main())


async def ids(conn, table: str) -> list[int]:
    """The ids in `table`: checks rows without depending on how aggregates are typed."""
    return [r["id"] for r in await conn.fetch(f"select id from {table} order by id")]


def test_fetch_fetchrow_fetchval(target):
    async def main(conn):
        assert await conn.fetchval("select 1") == 1
        row = await conn.fetchrow("select 1 as a, 'two' as b, null::text as c")
        assert (row["a"], row["b"], row["c"]) == (1, "two", None)
        assert list(row.keys()) == ["a", "b", "c"]
        rows = await conn.fetch("select $1::integer * 2 as doubled, $2::text as t", 21, "x")
        assert [tuple(r) for r in rows] == [(42, "x")]
        assert await conn.fetchrow("select 1 where false") is None

    run_with(target, main)


def test_aggregate_types(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key, qty integer)")
        await conn.execute(f"insert into {t} values (1, 10), (2, 20)")
        row = await conn.fetchrow(f"select count(*), sum(qty), max(id) from {t}")
        assert tuple(row) == (2, 30, 2)

    run_with(target, main)


def test_execute_status_and_fetch(target, table_name):
    t = table_name

    async def main(conn):
        assert await conn.execute(f"create table {t} (id integer primary key, name text)") == "CREATE TABLE"
        # execute() without arguments uses the simple protocol and returns the tag.
        assert await conn.execute(f"insert into {t} values (1, 'a'), (2, 'b')") == "INSERT 0 2"
        assert await conn.execute(f"insert into {t} values ($1, $2)", 3, "c") == "INSERT 0 1"
        assert await conn.execute(f"update {t} set name = upper(name) where id < $1", 3) == "UPDATE 2"
        assert await conn.execute(f"delete from {t} where id = $1", 3) == "DELETE 1"
        rows = await conn.fetch(f"select id, name from {t} order by id")
        assert [tuple(r) for r in rows] == [(1, "A"), (2, "B")]

    run_with(target, main)


def test_executemany(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key, name text)")
        await conn.executemany(f"insert into {t} values ($1, $2)", [(i, f"n{i}") for i in range(10)])
        assert await ids(conn, t) == list(range(10))

    run_with(target, main)


def test_prepared_statement(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key, qty integer)")
        ins = await conn.prepare(f"insert into {t} values ($1, $2)")
        for i in range(5):
            await ins.fetch(i, i * 10)
        sel = await conn.prepare(f"select qty from {t} where id = $1")
        assert [a.name for a in sel.get_attributes()] == ["qty"]
        assert len(sel.get_parameters()) == 1
        for i in range(5):
            assert await sel.fetchval(i) == i * 10
        assert await sel.fetchrow(99) is None
        every = await conn.prepare(f"select id, qty from {t} where qty >= $1 order by id")
        assert [tuple(r) for r in await every.fetch(30)] == [(3, 30), (4, 40)]

    run_with(target, main)


def test_transaction_commit(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key)")
        async with conn.transaction():
            await conn.execute(f"insert into {t} values (1)")
            await conn.execute(f"insert into {t} values ($1)", 2)
            assert conn.is_in_transaction()
        assert not conn.is_in_transaction()
        assert await ids(conn, t) == [1, 2]

    run_with(target, main)


def test_transaction_rollback_on_exception(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key)")
        with pytest.raises(ZeroDivisionError):
            async with conn.transaction():
                await conn.execute(f"insert into {t} values (1)")
                1 / 0
        assert not conn.is_in_transaction()
        assert await ids(conn, t) == []

    run_with(target, main)


def test_failed_statement_in_transaction(target, table_name):
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key)")
        tr = conn.transaction()
        await tr.start()
        await conn.execute(f"insert into {t} values (1)")
        with pytest.raises(asyncpg.UniqueViolationError) as ei:
            await conn.execute(f"insert into {t} values ($1)", 1)
        assert ei.value.sqlstate == "23505"
        with pytest.raises(asyncpg.InFailedSQLTransactionError) as ei:
            await conn.fetchval("select 'x'")
        assert ei.value.sqlstate == "25P02"
        await tr.rollback()
        assert await ids(conn, t) == []

    run_with(target, main)


def test_errors_carry_sqlstate(target):
    async def main(conn):
        with pytest.raises(asyncpg.UndefinedTableError) as ei:
            await conn.fetch("select * from no_such_table_xyz")
        assert ei.value.sqlstate == "42P01"
        with pytest.raises(asyncpg.PostgresSyntaxError) as ei:
            await conn.fetch("selec 1")
        assert ei.value.sqlstate == "42601"
        assert await conn.fetchval("select 2") == 2

    run_with(target, main)


def test_cursor_with_prefetch(target, table_name):
    """Iterating a cursor fetches `prefetch` rows per Execute (row limit + PortalSuspended)."""
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key)")
        await conn.executemany(f"insert into {t} values ($1)", [(i,) for i in range(23)])
        async with conn.transaction():
            got = [r["id"] async for r in conn.cursor(f"select id from {t} order by id", prefetch=5)]
            assert got == list(range(23))
            cur = await conn.cursor(f"select id from {t} where id >= $1 order by id", 10)
            assert [r["id"] for r in await cur.fetch(4)] == [10, 11, 12, 13]
            assert (await cur.fetchrow())["id"] == 14

    run_with(target, main)


def test_concurrent_connections(target, table_name):
    t = table_name

    async def worker(i: int):
        conn = await connect(target)
        try:
            async with conn.transaction():
                await conn.execute(f"insert into {t} values ($1)", i)
            return await conn.fetchval("select $1::integer + 1", i)
        finally:
            await conn.close()

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key)")
        results = await asyncio.gather(*(worker(i) for i in range(8)))
        assert sorted(results) == list(range(1, 9))
        assert await ids(conn, t) == list(range(8))

    run_with(target, main)


def test_prepare_returning_does_not_execute(target, table_name):
    """Parse + Describe of INSERT .. RETURNING reports the columns and runs nothing."""
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id serial primary key, name text, qty integer)")
        ins = await conn.prepare(f"insert into {t} (name, qty) values ($1, $2) returning *")
        assert [(a.name, a.type.name) for a in ins.get_attributes()] == [
            ("id", "int4"), ("name", "text"), ("qty", "int4")]
        assert await conn.fetchval(f"select count(*) from {t}") == 0
        assert tuple(await ins.fetchrow("a", 5)) == (1, "a", 5)
        assert await conn.fetchval(f"select count(*) from {t}") == 1

    run_with(target, main)


def test_prepared_select_star_survives_added_column(target, table_name):
    """asyncpg re-prepares silently after DDL only when 0A000 carries PostgreSQL's routine
    field (RevalidateCachedQuery): the second fetch returns the new column, no error."""
    t = table_name

    async def main(conn):
        await conn.execute(f"create table {t} (id integer primary key, name text)")
        await conn.execute(f"insert into {t} values (1, 'a')")
        assert [tuple(r) for r in await conn.fetch(f"select * from {t} where id = $1", 1)] == [(1, "a")]
        await conn.execute(f"alter table {t} add column qty integer")
        assert [tuple(r) for r in await conn.fetch(f"select * from {t} where id = $1", 1)] == [(1, "a", None)]
        # The error itself, as a client without asyncpg's retry sees it.
        stmt = await conn.prepare(f"select * from {t}")
        await conn.execute(f"alter table {t} add column extra text")
        with pytest.raises(asyncpg.exceptions.InvalidCachedStatementError) as err:
            await stmt.fetch()
        assert err.value.sqlstate == "0A000"
        assert err.value.server_source_function == "RevalidateCachedQuery"

    run_with(target, main)
