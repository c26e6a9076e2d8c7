"""Transaction pooling: many client sessions over few backend connections.

Each session holds a backend connection only inside a transaction, so 1,000
clients share a pool of 50; no write may be lost and no session may see
another's uncommitted rows.
"""

from __future__ import annotations

import asyncio
import psycopg
import pytest

from helpers.workloads import ledger_workload

CLIENTS = 1000
POOL = 50
TX_PER_CLIENT = 3


def test_thousand_clients_over_pool_of_fifty(gateway_factory):
    gw = gateway_factory("--pool-size", str(POOL), "--pool-timeout", "120", "--max-connections", "2000")
    elapsed = ledger_workload(gw.dsn, CLIENTS, TX_PER_CLIENT)
    print(f"{CLIENTS} clients x {TX_PER_CLIENT} tx over a pool of {POOL}: {elapsed:.1f}s")


def test_checkout_timeout_is_55P03(gateway_factory):
    gw = gateway_factory("--pool-size", "1", "--pool-timeout", "1")
    holder = psycopg.connect(gw.dsn)
    waiter = psycopg.connect(gw.dsn, autocommit=True)
    try:
        holder.execute("select 1")  # opens a transaction: holds the only connection
        with pytest.raises(psycopg.errors.LockNotAvailable) as e:
            waiter.execute("select 1")
        assert "waiting for a backend connection" in str(e.value)
        holder.rollback()
        assert waiter.execute("select 1").fetchone() == (1,)
    finally:
        holder.close()
        waiter.close()


def test_pool_of_one_serialises_transactions(gateway_factory):
    """With one backend connection (embedded mode's single job) transactions never interleave."""
    gw = gateway_factory("--pool-size", "1", "--pool-timeout", "30")
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        c.execute("create table events (who text, at int)")

    async def worker(name: str) -> None:
        async with await psycopg.AsyncConnection.connect(gw.dsn) as conn:
            for k in range(5):
                async with conn.transaction():
                    await conn.execute("insert into events values (%s, %s)", (name + "-start", k))
                    await asyncio.sleep(0.01)
                    await conn.execute("insert into events values (%s, %s)", (name + "-end", k))

    async def main() -> None:
        await asyncio.gather(*(worker(f"w{i}") for i in range(4)))

    asyncio.run(main())
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        rows = [r[0] for r in c.execute("select who from events order by rowid").fetchall()]
    # Every start is immediately followed by its own end: no interleaving.
    assert len(rows) == 40
    for a, b in zip(rows[::2], rows[1::2]):
        assert a.endswith("-start") and b == a[: -len("-start")] + "-end"


@pytest.mark.parametrize("server", ["pg15", "gateway"])
def test_begin_takes_no_backend_until_a_statement_needs_it(request, server):
    """PostgreSQL's BEGIN takes no lock, so a session inside BEGIN can terminate another
    that holds a transaction. On sqlite (one transaction at a time) an eager backend BEGIN
    waited for the victim's lock (psycopg's and pg8000's own suites hung there)."""
    t = request.getfixturevalue(server)
    holder = psycopg.connect(t.dsn)
    killer = psycopg.connect(t.dsn, options="-c statement_timeout=5000")
    try:
        holder.execute("select 1")  # BEGIN + a statement: holds a transaction (on sqlite, the write lock)
        assert killer.execute("select pg_terminate_backend(%s)", [holder.info.backend_pid]).fetchone() == (True,)
        killer.commit()
        with pytest.raises(psycopg.OperationalError):
            holder.execute("select 1")
        # The killer's next transaction runs on the backend as usual.
        assert killer.execute("select 2").fetchone() == (2,)
        killer.rollback()
    finally:
        holder.close()
        killer.close()
