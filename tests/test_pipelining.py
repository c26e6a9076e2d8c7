"""Pipelining, differential against PostgreSQL 15 on the gateway over sqlite and the IRIS
doubles: psycopg 3 pipeline mode, asyncpg executemany, and at the socket, that a batch of
Bind / Execute is answered at Sync rather than statement by statement (no round trip per
statement). pgjdbc's executeBatch with a failing row is tests/clients/test_pgjdbc.py
(`batch_error`), where the Java client is built.

Statements between two Syncs are one implicit transaction in PostgreSQL: an error rolls
back what ran before it since the last Sync, skips the rest up to Sync, and leaves the
connection usable."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import psycopg
import pytest

from helpers import wire
from helpers.backends import gateway_on, run_on  # noqa: F401

pytest.importorskip("iris_pgwire._core", reason="build the extension first: maturin develop")


@pytest.fixture
def both(pg15, gateway_on):  # noqa: F811
    """(PostgreSQL 15, gateway) with an empty table on each, dropped afterwards."""
    table = f"p_{uuid.uuid4().hex[:10]}"
    run_on((pg15, gateway_on), f"CREATE TABLE {table} (id INT PRIMARY KEY, v VARCHAR(20))")
    yield pg15, gateway_on, table
    run_on((pg15, gateway_on), f"DROP TABLE {table}")


def ids(conn, table: str) -> list[int]:
    return [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()]


def psycopg_pipeline(target, table: str) -> list:
    out = []
    insert = f"INSERT INTO {table} (id, v) VALUES (%s, %s)"
    # No automatic prepare: psycopg updates its prepared-statement cache as results arrive,
    # so after a failed pipeline it may (timing, on PostgreSQL 15 too) Bind a statement
    # whose Parse the server skipped; the outcome differs run to run on either server.
    with psycopg.connect(target.dsn, autocommit=True, prepare_threshold=None) as conn:
        # Two syncs: the first group commits, the second fails on the duplicate and is
        # rolled back as a whole; statements after the error are skipped.
        try:
            with conn.pipeline() as p:
                for i in (1, 2):
                    conn.execute(insert, (i, f"v{i}"))
                p.sync()
                cur = conn.execute(f"SELECT count(*) FROM {table}")
                for i in (3, 1, 4):
                    conn.execute(insert, (i, f"v{i}"))
                conn.execute(insert, (5, "v5"))
        except psycopg.Error as e:
            out.append(("error", e.sqlstate))
        out.append(("count before the error", cur.fetchall()))
        out.append(("after", ids(conn, table)))
        # Results of a pipeline, read back in order, with parameters of several types.
        with conn.pipeline():
            curs = [conn.execute("SELECT %s::int", (i,)) for i in range(5)]
            curs.append(conn.execute("SELECT %s::text || 'x', %s::bool", ("a", True)))
        out.append(("results", [c.fetchall() for c in curs]))
        # A pipeline is no transaction block: DECLARE needs BEGIN there, and its error
        # rolls back the insert before it.
        try:
            with conn.pipeline():
                conn.execute(insert, (6, "v6"))
                conn.execute(f"DECLARE pc CURSOR FOR SELECT id FROM {table}")
        except psycopg.Error as e:
            out.append(("declare", e.sqlstate))
        out.append(("after", ids(conn, table)))
    # Not autocommit: psycopg opens a transaction in the pipeline; the error aborts it.
    with psycopg.connect(target.dsn) as conn:
        try:
            with conn.pipeline():
                conn.execute(insert, (10, "a"))
                conn.execute(insert, (10, "b"))
                conn.execute(insert, (11, "c"))
        except psycopg.Error as e:
            out.append(("error", e.sqlstate, conn.info.transaction_status.name))
        conn.rollback()
        with conn.pipeline():
            conn.execute(insert, (12, "d"))
            conn.execute(insert, (13, "e"))
        conn.commit()
        out.append(("after", ids(conn, table)))
    return out


def test_psycopg_pipeline_mode(both):
    pg15, gw, table = both
    expected = psycopg_pipeline(pg15, table)
    assert ("after", [1, 2]) in expected
    assert psycopg_pipeline(gw, table) == expected


async def asyncpg_executemany(target, table: str) -> list:
    out = []
    conn = await asyncpg.connect(host=target.host, port=target.port, user=target.user,
                                 database=target.dbname)
    try:
        insert = f"INSERT INTO {table} (id, v) VALUES ($1, $2)"
        await conn.executemany(insert, [(i, f"v{i}") for i in range(1, 51)])
        out.append(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        # asyncpg sends every row's Bind / Execute and one Sync: a duplicate at row 3
        # rolls back the two rows before it.
        try:
            await conn.executemany(insert, [(100, "a"), (101, "b"), (1, "dup"), (102, "c")])
        except asyncpg.PostgresError as e:
            out.append(e.sqlstate)
        out.append(await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id >= 100"))
        async with conn.transaction():
            await conn.executemany(insert, [(200, "x"), (201, "y")])
            try:
                async with conn.transaction():  # a savepoint
                    await conn.executemany(insert, [(202, "z"), (200, "dup")])
            except asyncpg.PostgresError as e:
                out.append(e.sqlstate)
        out.append(await conn.fetch(f"SELECT id FROM {table} WHERE id >= 200 ORDER BY id"))
    finally:
        await conn.close()
    return [list(map(tuple, v)) if isinstance(v, list) else v for v in out]


def test_asyncpg_executemany(both):
    pg15, gw, table = both
    expected = asyncio.run(asyncpg_executemany(pg15, table))
    assert expected[:3] == [50, "23505", 0]
    assert asyncio.run(asyncpg_executemany(gw, table)) == expected


def batch_then_sync(target, table: str, n: int) -> tuple[bytes, list[bytes]]:
    """Parse once, then n Bind / Execute without Sync: what arrives before Sync (nothing,
    when the server does not answer statement by statement), then the answers to Sync."""
    conn = wire.RawConn(target.host, target.port)
    try:
        conn.startup(user=target.user, database=target.dbname)
        conn.send(wire.parse(f"INSERT INTO {table} (id, v) VALUES ($1, 'x')", "ins") + wire.SYNC)
        conn.read_until(b"Z")
        batch = b"".join(wire.bind("", "ins", (str(i),)) + wire.execute() for i in range(n))
        conn.send(batch)
        time.sleep(0.5)
        conn.sock.setblocking(False)
        try:
            early = conn.sock.recv(65536)
        except BlockingIOError:
            early = b""
        conn.sock.setblocking(True)
        conn.buf += early
        conn.send(wire.SYNC)
        return early, [tag for tag, _ in conn.read_until(b"Z")]
    finally:
        conn.close()


def test_a_batch_is_answered_at_sync(both):
    pg15, gw, table = both
    n = 200
    expected = (b"", [b"2", b"C"] * n + [b"Z"])
    assert batch_then_sync(pg15, table, n) == expected
    assert batch_then_sync(gw, f"{table}", n) == expected
