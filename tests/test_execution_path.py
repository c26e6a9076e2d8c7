"""The execution path as clients see it: autocommit reads never wait for another
session's transaction, and statements the gateway answers itself are described as
they are executed."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

asyncpg = pytest.importorskip("asyncpg")


def test_prepared_autocommit_read_does_not_wait_for_an_open_transaction(gateway_factory, table_name):
    # A short pool timeout only makes a regression fail fast (it used to hang 30 s, then 55P03).
    gw = gateway_factory("--pool-timeout", "3")
    with psycopg.connect(gw.dsn, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        setup.execute(f"INSERT INTO {table_name} VALUES (1, 'one'), (2, 'two')")
    with psycopg.connect(gw.dsn) as holder:  # psycopg's default: a transaction is opened
        holder.execute(f"SELECT v FROM {table_name} WHERE id = 1").fetchall()
        holder.execute(f"UPDATE {table_name} SET v = 'uno' WHERE id = 1")
        with psycopg.connect(gw.dsn, autocommit=True) as reader:
            for _ in range(3):
                cur = reader.execute(f"SELECT v FROM {table_name} WHERE id = %s", (2,), prepare=True)
                assert cur.fetchall() == [("two",)]
            # The uncommitted update is not visible, and the simple protocol agrees.
            assert reader.execute(f"SELECT v FROM {table_name} WHERE id = 1").fetchall() == [("one",)]

        async def asyncpg_read():
            conn = await asyncpg.connect(gw.dsn)
            try:
                return await conn.fetchval(f"SELECT v FROM {table_name} WHERE id = $1", 2)
            finally:
                await conn.close()

        assert asyncio.run(asyncpg_read()) == "two"
        holder.rollback()


def test_show_all_is_described_as_executed(target):
    async def work():
        conn = await asyncpg.connect(target.dsn)
        try:
            stmt = await conn.prepare("SHOW ALL")
            described = [a.name for a in stmt.get_attributes()]
            rows = await stmt.fetch()
            return described, {len(r) for r in rows}, len(rows)
        finally:
            await conn.close()

    described, widths, count = asyncio.run(work())
    assert described == ["name", "setting", "description"]
    assert widths == {3} and count > 0


def test_schema_change_through_another_session_is_seen_by_prepared_statements(target, table_name):
    """Shapes are cached across sessions; DDL from any session must invalidate them."""
    with psycopg.connect(target.dsn, autocommit=True) as a, psycopg.connect(target.dsn, autocommit=True) as b:
        a.execute(f"CREATE TABLE {table_name} (id int, v int)")
        a.execute(f"INSERT INTO {table_name} VALUES (1, 10)")
        query = f"SELECT * FROM {table_name}"
        assert b.execute(query).fetchall() == [(1, 10)]
        a.execute(f"DROP TABLE {table_name}")
        a.execute(f"CREATE TABLE {table_name} (id int, v text, w int)")
        a.execute(f"INSERT INTO {table_name} VALUES (2, 'x', 3)")
        cur = b.execute(query)
        assert [d.name for d in cur.description] == ["id", "v", "w"]
        assert cur.fetchall() == [(2, "x", 3)]


@pytest.mark.parametrize("prepare", [False, True])
def test_casts_the_backend_does_not_tell_apart_keep_their_types(target, table_name, prepare):
    """Shapes are cached per client statement: `::int` and `::bigint` (one cast on sqlite),
    `numeric(10,2)` and `numeric(10,3)`, reported as PostgreSQL reports them."""
    with psycopg.connect(target.dsn, autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name} (a int)")
        c.execute(f"INSERT INTO {table_name} VALUES (7)")
        seen = []
        for cast in ("int", "bigint", "numeric(10,2)", "numeric(10,3)", "text", "varchar"):
            cur = c.execute(f"SELECT a::{cast} AS v FROM {table_name}", prepare=prepare)
            d = cur.description[0]
            seen.append((cast, d.type_code, d.internal_size if cast.startswith("numeric") else None,
                         cur.fetchone()[0]))
        assert [s[1] for s in seen] == [23, 20, 1700, 1700, 25, 1043]
        assert [str(s[3]) for s in seen] == ["7", "7", "7.00", "7.000", "7", "7"]


@pytest.mark.parametrize("failing", ["selec 1", "select * from no_such_table_here", "select $1::int"])
def test_an_error_in_parse_bind_or_describe_aborts_the_transaction(target, failing):
    """PostgreSQL aborts a transaction block on any error, also one raised by Parse,
    Describe or Bind (a syntax error, an unknown table, a missing parameter); psycopg's
    prepared statements make each of those its own message."""
    with psycopg.connect(target.dsn) as conn:
        with pytest.raises(psycopg.Error) as first:
            conn.execute(failing, prepare=True)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1", prepare=True)
        conn.rollback()
        assert conn.execute("select 1", prepare=True).fetchone() == (1,)
    assert first.value.sqlstate in ("42601", "42P01", "08P01", "22023")
