"""Client workloads shared by the pooling tests (sqlite and the IRIS fakes)."""

from __future__ import annotations

import asyncio
import time

import psycopg


def ledger_workload(dsn: str, clients: int, tx_per_client: int) -> float:
    """`clients` concurrent psycopg sessions, each running `tx_per_client` transactions
    that insert a 'pending' row, read it back, look for other sessions' uncommitted
    rows, and mark it 'done'. Asserts no lost and no cross-visible writes; returns
    the seconds it took."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("create table ledger (client int, seq int, note text)")

    seen_foreign_uncommitted = []

    async def client(i: int) -> None:
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            for seq in range(tx_per_client):
                async with conn.transaction():
                    await conn.execute(
                        "insert into ledger (client, seq, note) values (%s, %s, 'pending')", (i, seq)
                    )
                    # Inside its transaction a session sees its own row...
                    cur = await conn.execute(
                        "select count(*) from ledger where client = %s and seq = %s", (i, seq)
                    )
                    assert (await cur.fetchone())[0] == 1
                    # ...and never another session's uncommitted 'pending' row.
                    cur = await conn.execute(
                        "select count(*) from ledger where note = 'pending' and client <> %s", (i,)
                    )
                    n = (await cur.fetchone())[0]
                    if n:
                        seen_foreign_uncommitted.append((i, n))
                    await conn.execute(
                        "update ledger set note = 'done' where client = %s and seq = %s", (i, seq)
                    )

    async def main() -> None:
        await asyncio.gather(*(client(i) for i in range(clients)))

    start = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - start

    with psycopg.connect(dsn, autocommit=True) as c:
        total, done, distinct = c.execute(
            "select count(*), sum(case when note = 'done' then 1 else 0 end), count(distinct client) from ledger"
        ).fetchone()
    assert (total, done, distinct) == (clients * tx_per_client, clients * tx_per_client, clients)
    assert seen_foreign_uncommitted == []
    return elapsed
