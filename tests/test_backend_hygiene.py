"""A cancel or an error at any point of any backend call never leaves state a later session
sees. The gateway runs on one pooled sqlite connection (--pool-size 1) with cancels injected
mid-call (tests/helpers/faulty_sqlite.py: sqlite3's interrupt after k steps of the call, k
swept over the whole call) at each call kind: describe, execute, fetch, begin, commit,
rollback and a COPY batch (executemany). After each one, another session on the same
connection runs parameterised statements, a transaction and a read of committed rows.

Also the issue's reproduction with the real client: asyncpg cancelling every statement at
once (timeout=1e-10) must leave the pooled connection usable for every other session."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

HELPERS = str(Path(__file__).resolve().parent / "helpers")


@pytest.fixture
def faulty(gateway_factory, tmp_path):
    arm_file = tmp_path / "arm.json"
    env = {"FAULT_FILE": str(arm_file),
           "PYTHONPATH": os.pathsep.join([HELPERS, os.environ.get("PYTHONPATH", "")])}
    gw = gateway_factory("--backend", "faulty_sqlite:FaultySqlite", "--pool-size", "1",
                         "--fetch-batch-rows", "2", env=env)

    def arm(kind: str, after: int) -> str:
        arm_id = uuid.uuid4().hex
        arm_file.write_text(json.dumps({"id": arm_id, "kind": kind, "after": after}))
        return arm_id

    def fired(arm_id: str) -> bool:
        p = Path(str(arm_file) + ".fired")
        return p.exists() and arm_id in p.read_text().split()

    gw.arm, gw.fired = arm, fired
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        c.execute("create table t (id integer primary key, name text)")
        c.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')")
    return gw


def victim(gw, kind: str, i: int) -> None:
    """One statement of session A whose `kind` call is interrupted (or not, past its end)."""
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        if kind == "describe":
            # A new text: the gateway and the backend describe it afresh.
            c.execute(f"select id, name from t where id > %s and {i} = {i}", (0,))
        elif kind == "execute":
            c.execute("update t set name = name where id = %s", (1,))
        elif kind == "fetch":
            c.execute("select id, name from t order by id").fetchall()
        elif kind in ("begin", "commit"):
            with c.transaction():
                c.execute("insert into t values (%s, 'x')", (1000 + i,))
        elif kind == "rollback":
            c.execute("begin")
            c.execute("insert into t values (%s, 'x')", (1000 + i,))
            c.execute("rollback")
        elif kind == "executemany":
            with c.cursor().copy("copy t (id, name) from stdin") as copy:
                for n in range(3):
                    copy.write_row((2000 + 3 * i + n, "copied"))


def bystander(gw, i: int) -> None:
    """Session B, on the same (only) backend connection: unaffected."""
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        # New texts, so they are described (the describe probe of the bug).
        assert c.execute(f"select count(*) from t where id <= %s and {i} = {i}", (5,)).fetchone() == (5,)
        assert c.execute(f"select name from t where id = %s and {i} >= 0", (2,)).fetchall() == [("b",)]
        with c.transaction():
            c.execute("insert into t values (%s, 'b')", (3000 + i,))
        assert c.execute("select name from t where id = %s", (3000 + i,)).fetchone() == ("b",)
        c.execute("delete from t where id = %s", (3000 + i,))


@pytest.mark.parametrize("kind", ["describe", "execute", "fetch", "begin", "commit", "rollback", "executemany"])
def test_cancel_anywhere_in_a_call_leaves_nothing_behind(faulty, kind):
    fired = 0
    for i, after in enumerate(range(1, 2000)):
        arm_id = faulty.arm(kind, after)
        try:
            victim(faulty, kind, i)
        except psycopg.errors.QueryCanceled:
            pass
        if not faulty.fired(arm_id):
            break  # `after` is past the end of the call: every point has been hit
        fired += 1
        bystander(faulty, i)
    assert fired >= 2, f"the {kind} call was never interrupted"
    faulty.arm("none", 0)
    bystander(faulty, 10_000)
    assert faulty.alive()


def test_errors_in_commit_and_copy_leave_nothing_behind(faulty):
    with psycopg.connect(faulty.dsn, autocommit=True) as c:
        c.execute("create table child (id integer primary key, "
                  "t_id integer references t (id) deferrable initially deferred)")
        # A deferred foreign key fails at COMMIT.
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            with c.transaction():
                c.execute("insert into child values (1, 999)")
        bystander(faulty, 1)
        # A duplicate key in the middle of a COPY batch.
        with pytest.raises(psycopg.errors.UniqueViolation):
            with c.cursor().copy("copy t (id, name) from stdin") as copy:
                for row in [(50, "x"), (1, "dup"), (51, "y")]:
                    copy.write_row(row)
        bystander(faulty, 2)
        assert c.execute("select count(*) from t where id >= 50").fetchone() == (0,)


def test_asyncpg_cancelling_every_statement_does_not_poison_the_pool(gateway_factory):
    """The issue's reproduction: 500 statements cancelled at once by asyncpg's timeout
    (parameterised ones too, cancelled while they are described), then other sessions."""
    gw = gateway_factory("--pool-size", "1")

    async def main():
        def connect():
            return asyncpg.connect(host=gw.host, port=gw.port, user="postgres", database="postgres")

        conn = await connect()
        await conn.execute("create table t (id integer primary key, name text)")
        await conn.execute("insert into t values (1, 'a')")
        for i in range(500):
            sql = ["select pg_sleep(1)", f"select name from t where id = $1 and {i} = {i}"][i % 2]
            args = [] if i % 2 == 0 else [1]
            if conn.is_closed():  # asyncpg drops a connection whose cancel it could not wait for (PG15 too)
                conn = await connect()
            try:
                await conn.fetch(sql, *args, timeout=1e-10)
            except (asyncio.TimeoutError, asyncpg.QueryCanceledError):
                pass
        await conn.close()
        for _ in range(3):
            other = await connect()
            assert await other.fetchval("select name from t where id = $1", 1) == "a"
            assert await other.fetchval("select count(*) from t where id > $1", 0) == 1
            await other.close()

    asyncio.run(asyncio.wait_for(main(), 120))


@pytest.mark.parametrize("backend", ["embedded", "dbapi"])
def test_errors_on_the_iris_doubles_leave_nothing_behind(tmp_path, backend):
    """The IRIS backends on one pooled connection: a failed transaction abandoned by its
    client, a failed COPY batch and a failed describe, then another session's
    parameterised statements and transaction."""
    from test_iris_e2e import Server

    server = Server(backend, tmp_path, "--pool-size", "1")
    try:
        with server.connect(autocommit=True) as c:
            c.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))")
            c.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
        a = server.connect()
        a.execute("INSERT INTO t (id, name) VALUES (%s, %s)", (2, "b"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            a.execute("INSERT INTO t (id, name) VALUES (%s, %s)", (1, "dup"))
        a.close()  # the client goes away inside its failed transaction
        with server.connect(autocommit=True) as c:
            with pytest.raises(psycopg.errors.UniqueViolation):
                with c.cursor().copy("COPY t (id, name) FROM STDIN") as copy:
                    for row in [(10, "x"), (1, "dup"), (11, "y")]:
                        copy.write_row(row)
            with pytest.raises(psycopg.errors.UndefinedTable):
                c.execute("SELECT id FROM nosuch WHERE id = %s", (1,))
        with server.connect(autocommit=True) as b:
            assert b.execute("SELECT name FROM t WHERE id = %s", (1,)).fetchall() == [("a",)]
            assert b.execute("SELECT COUNT(*) FROM t WHERE id > %s", (0,)).fetchone() == (1,)
            with b.transaction():
                b.execute("INSERT INTO t (id, name) VALUES (%s, %s)", (3, "c"))
            assert b.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (3,)]
    finally:
        server.stop()
