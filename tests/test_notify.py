"""LISTEN / NOTIFY / UNLISTEN and pg_notify() across sessions, against PostgreSQL 15 and the
gateway on each backend (sqlite and the IRIS doubles): the same notifications, in the same
order, at the same moments (pids aside), with psycopg 3 and asyncpg. The asyncpg pool test
is the reason UNLISTEN * matters: asyncpg resets every connection it releases with
`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import asyncpg
import psycopg
import pytest

from helpers.backends import gateway_on  # noqa: F401
from helpers.targets import Target


def connect(target, **kw) -> psycopg.Connection:
    return psycopg.connect(target.dsn, autocommit=True, connect_timeout=10, **kw)


def received(conn, timeout=0.3) -> list[tuple[str, str, int]]:
    """Notifications that arrived (or arrive within `timeout`): (channel, payload, pid)."""
    return [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=timeout)]


def transcript(target) -> list:
    """One scripted exchange between a listener and a notifier; what each step delivered."""
    out = []
    with connect(target) as a, connect(target) as b:
        me, other = a.info.backend_pid, b.info.backend_pid
        who = {me: "self", other: "other"}

        def got(conn=a, timeout=0.3):
            return [(c, p, who.get(pid, pid)) for c, p, pid in received(conn, timeout)]

        a.execute("LISTEN Chan")  # unquoted: folds to chan
        a.execute('LISTEN "Mixed"')
        out.append(("channels", [r[0] for r in a.execute("select pg_listening_channels()")]))
        b.execute("NOTIFY chan")  # autocommit: at once, empty payload
        b.execute("NOTIFY CHAN, 'upper folds'")
        b.execute('NOTIFY "Mixed", \'quoted keeps case\'')
        b.execute("NOTIFY mixed, 'nobody listens'")
        out.append(("autocommit", got()))
        # In a transaction: nothing until commit, then in order, duplicates folded.
        b.execute("BEGIN")
        for p in ["1", "2", "1", "3", "2"]:
            b.execute("select pg_notify('chan', %s)", (p,))
        b.execute("NOTIFY chan, '1'")
        out.append(("before commit", got()))
        b.execute("COMMIT")
        out.append(("after commit", got()))
        b.execute("BEGIN")
        b.execute("NOTIFY chan, 'rolled back'")
        b.execute("ROLLBACK")
        b.execute("BEGIN")
        b.execute("NOTIFY chan, 'failed'")
        with pytest.raises(psycopg.errors.DivisionByZero):
            b.execute("select 1/0")
        b.execute("ROLLBACK")
        out.append(("rollback", got()))
        # One simple query string is one transaction: an error drops its NOTIFYs.
        with pytest.raises(psycopg.errors.DivisionByZero):
            b.execute("NOTIFY chan, 'implicit'; select 1/0")
        b.execute("NOTIFY chan, 'a'; NOTIFY chan, 'b'; NOTIFY chan, 'a'")
        out.append(("implicit block", got()))
        # A session hears its own notifications, before its ReadyForQuery.
        a.execute("NOTIFY chan, 'mine'")
        out.append(("own", got(timeout=0)))
        # A listener inside a transaction gets nothing until it ends.
        a.execute("BEGIN")
        b.execute("NOTIFY chan, 'while busy'")
        a.execute("select 1")
        out.append(("listener in transaction", got()))
        a.execute("COMMIT")
        out.append(("listener committed", got(timeout=0)))
        # LISTEN / UNLISTEN in a transaction take effect at commit (or never).
        a.execute("BEGIN")
        a.execute("LISTEN later")
        out.append(("pending listen", [r[0] for r in a.execute("select * from pg_listening_channels()")]))
        a.execute("ROLLBACK")
        out.append(("after rollback", [r[0] for r in a.execute("select pg_listening_channels()")]))
        a.execute("BEGIN")
        a.execute("LISTEN later")
        a.execute("UNLISTEN chan")
        a.execute("COMMIT")
        out.append(("after commit", [r[0] for r in a.execute("select pg_listening_channels() as c")]))
        b.execute("NOTIFY chan, 'gone'; NOTIFY later, 'here'")
        out.append(("moved", got()))
        # pg_notify over rows: one NOTIFY per row (folded), one void row each.
        t = f"t_{uuid.uuid4().hex[:10]}"
        b.execute(f"create table {t} (id int primary key, name varchar(20))")
        b.execute(f"insert into {t} (id, name) values (1, 'x'), (2, 'y'), (3, 'x'), (4, 'z')")
        rows = b.execute(f"select pg_notify('later', name) from {t} where id > %s order by id", (0,)).fetchall()
        out.append(("pg_notify rows", rows, got()))
        b.execute(f"drop table {t}")
        # Limits and bad arguments.
        b.execute("select pg_notify('chan', %s)", ("x" * 7999,))
        for sql, args in [
            ("select pg_notify('later', %s)", ("x" * 8000,)),
            ("NOTIFY later, '" + "y" * 8000 + "'", None),
            ("select pg_notify('', 'p')", None),
            ("select pg_notify(%s, 'p')", ("c" * 64,)),
        ]:
            try:
                b.execute(sql, args)
                out.append(("error", None))
            except psycopg.Error as e:
                out.append(("error", e.sqlstate, str(e.diag.message_primary)))
        a.execute("UNLISTEN *")
        out.append(("unlisten *", [r[0] for r in a.execute("select pg_listening_channels()")]))
        b.execute("NOTIFY later, 'after unlisten'")
        out.append(("nothing", got()))
        out.append(("pg_notify result", b.execute("select pg_notify('x', 'y') as n").fetchall()))
    return out


def test_notification_transcript_matches_postgresql(pg15, gateway_on):
    expected = transcript(pg15)
    assert expected[1] == ("autocommit", [
        ("chan", "", "other"), ("chan", "upper folds", "other"), ("Mixed", "quoted keeps case", "other")])
    assert transcript(gateway_on) == expected


def test_psycopg_idle_listener_is_woken(pg15, gateway_on):
    """A listener waiting in notifies() gets a notification sent while it waits (the session
    waiting for its client must wake up)."""
    for server in (pg15, gateway_on):
        idle_listener_is_woken(server)


def idle_listener_is_woken(server):
    with connect(server) as a, connect(server) as b:
        a.execute("LISTEN wake")

        def later():
            time.sleep(0.3)
            b.execute("select pg_notify('wake', 'now')")

        t = threading.Thread(target=later)
        start = time.monotonic()
        t.start()
        got = [n.payload for n in a.notifies(timeout=5, stop_after=1)]
        t.join()
        assert got == ["now"], server.name
        assert time.monotonic() - start < 3


def test_a_transactions_notifications_arrive_together(pg15, gateway_on):
    """An idle listener gets all of a commit's notifications in one read (psycopg's own
    test_stop_after_batch): the hub hands each session one batch per commit."""
    for server in (pg15, gateway_on):
        with connect(server) as a, connect(server) as b:
            a.execute("LISTEN batch")

            def notifier():
                time.sleep(0.2)
                with b.transaction():
                    b.execute("NOTIFY batch, '1'")
                    b.execute("NOTIFY batch, '2'")

            t = threading.Thread(target=notifier)
            t.start()
            got = [n.payload for n in a.notifies(timeout=5, stop_after=1)]
            t.join()
            assert got == ["1", "2"], server.name


def test_psycopg_notify_handler(pg15, gateway_on):
    """add_notify_handler: called as notifications arrive with the results of other queries."""
    for server in (pg15, gateway_on):
        with connect(server) as a, connect(server) as b:
            seen = []
            a.add_notify_handler(lambda n: seen.append((n.channel, n.payload, n.pid == b.info.backend_pid)))
            a.execute("LISTEN h1; LISTEN h2")
            b.execute("NOTIFY h2, 'x'; NOTIFY h1, 'y'; NOTIFY h3, 'z'")
            deadline = time.monotonic() + 5
            while len(seen) < 2 and time.monotonic() < deadline:
                a.execute("select 1")
                time.sleep(0.05)
            assert seen == [("h2", "x", True), ("h1", "y", True)], server.name


def test_asyncpg_add_listener(pg15, gateway_on):
    for server in (pg15, gateway_on):
        asyncpg_listener(server)


def asyncpg_listener(server):
    async def main():
        kw = dict(host=server.host, port=server.port, user=server.user, database=server.dbname, ssl=False)
        a, b = await asyncpg.connect(**kw), await asyncpg.connect(**kw)
        try:
            got: asyncio.Queue = asyncio.Queue()

            def listener(conn, pid, channel, payload):
                got.put_nowait((pid, channel, payload))

            await a.add_listener("events", listener)
            await b.execute("NOTIFY events, 'one'")
            await b.execute("select pg_notify($1, $2)", "events", "two")
            async with b.transaction():
                await b.execute("select pg_notify($1, $2)", "events", "three")
                await b.execute("select pg_notify($1, $2)", "events", "three")
            items = [await asyncio.wait_for(got.get(), 5) for _ in range(3)]
            assert items == [(b.get_server_pid(), "events", p) for p in ("one", "two", "three")]
            await a.remove_listener("events", listener)  # asyncpg UNLISTENs when none is left
            assert await a.fetch("select pg_listening_channels()") == []
        finally:
            await a.close()
            await b.close()

    asyncio.run(asyncio.wait_for(main(), 30))


@pytest.mark.filterwarnings("ignore:.*active notification listener")
@pytest.mark.parametrize("where", ["pg15", "gateway", "gateway_embedded"])
def test_asyncpg_pool_acquire_release(request, where, tmp_path):
    """asyncpg's pool with its defaults: every release runs the reset query (UNLISTEN * among
    it); connections come back clean, listeners and settings gone. PostgreSQL 15, the gateway
    on sqlite and on the embedded IRIS double."""
    if where == "gateway_embedded":
        from test_iris_e2e import Server

        s = Server("embedded", tmp_path)
        request.addfinalizer(s.stop)
        server = Target("embedded", "127.0.0.1", s.port, f"postgresql://u@127.0.0.1:{s.port}/d", user="u", dbname="d")
    else:
        server = request.getfixturevalue(where)

    async def main():
        pool = await asyncpg.create_pool(
            host=server.host, port=server.port, user=server.user, database=server.dbname, ssl=False)
        try:
            async def one(i):
                async with pool.acquire() as c:
                    if i % 5 == 0:
                        await c.add_listener("pooled", lambda *a: None)
                        await c.execute("SET application_name = 'dirty'")
                    return await c.fetchval("select $1::int", i)

            assert await asyncio.gather(*(one(i) for i in range(40))) == list(range(40))
            for _ in range(pool.get_size()):
                async with pool.acquire() as c:
                    assert await c.fetch("select pg_listening_channels()") == []
                    assert await c.fetchval("show application_name") != "dirty"
        finally:
            await asyncio.wait_for(pool.close(), 10)

    asyncio.run(asyncio.wait_for(main(), 60))


def test_listening_pins_no_backend_connection(gateway_factory):
    """LISTEN is gateway state: more idle listeners than backend connections all hear."""
    gw = gateway_factory("--pool-size", "1")
    conns = [psycopg.connect(gw.dsn, autocommit=True) for _ in range(4)]
    try:
        for c in conns:
            c.execute("LISTEN many")
        conns[0].execute("BEGIN")
        conns[0].execute("select 1")  # holds the one backend connection
        conns[1].execute("NOTIFY many, 'x'")
        assert [received(c, timeout=2)[0][:2] for c in conns[1:]] == [("many", "x")] * 3
        conns[0].execute("COMMIT")
        assert received(conns[0], timeout=0)[0][:2] == ("many", "x")
    finally:
        for c in conns:
            c.close()
