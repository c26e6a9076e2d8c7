"""Prisma ORM 7 with its defaults, driven by tests/clients/node/prisma.js: the client that
`prisma generate` makes (prisma-client-js, its Wasm query compiler) on the node-postgres
driver adapter, after the tables of its migration script: a nested create, createMany,
findMany with a filter / ordering / select, findUnique with an include, update with an
increment, updateMany, upsert (insert, then update), aggregate, an interactive transaction
rolled back, a unique violation as Prisma's P2002, deletes, $queryRaw with a parameter."""

from __future__ import annotations

import pytest

from harness import IRIS_BACKENDS, assert_same, mark_gaps
from node_runner import npm_version

CLIENT = "Prisma ORM"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"prisma {npm_version('prisma')}, @prisma/adapter-pg {npm_version('@prisma/adapter-pg')}, pg {npm_version('pg')}"


# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {'migrate': True,
            'create_nested': {'id': 1, 'score': 0, 'created': True},
            'create_many': 2,
            'find_many': [{'email': 'ann@x', 'name': 'Ann', 'score': 0},
                          {'email': 'bob@x', 'name': 'Bob', 'score': 5},
                          {'email': 'cy@x', 'name': None, 'score': 0}],
            'find_unique_include': [['One', False], ['Two', False]],
            'update_increment': 8,
            'update_many': 1,
            'upsert': ['Di', 'Dee'],
            'upsert_cleanup': 1,
            'aggregate': [3, 8, 8],
            'transaction_rollback': 0,
            'unique_violation': 'P2002',
            'delete': [2, 'cy@x', 2],
            'query_raw': [{'email': 'bob@x'}]}

UPSERT_GAP = ("IRIS: INSERT .. ON CONFLICT DO UPDATE .. RETURNING (Prisma's upsert) is refused with 0A000: "
              "use create / update in a transaction")
# Known gaps: step -> [(targets, reason)] (harness.mark_gaps).
GAPS = {
    "upsert": [(IRIS_BACKENDS, UPSERT_GAP)],
    # Deletes the row upsert made, which IRIS refused.
    "upsert_cleanup": [(IRIS_BACKENDS, UPSERT_GAP)],
}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(request, client_steps, target, step):
    mark_gaps(request, target, GAPS.get(step, []))
    assert_same(client_steps("prisma", target).ok(step), EXPECTED[step])

