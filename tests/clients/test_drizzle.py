"""Drizzle ORM on node-postgres with its defaults, driven by tests/clients/node/drizzle.js:
the migrator applying a migration in drizzle-kit's format (tests/clients/node/drizzle/),
inserts that send `default` for every unset column with RETURNING, a bulk insert, selects
with a join / count / a jsonb column, update and delete with RETURNING, transactions with a
rollback and a nested one (savepoint), a unique violation, information_schema introspection."""

from __future__ import annotations

import pytest

from harness import assert_same, mark_gaps
from node_runner import npm_version

CLIENT = "Drizzle ORM"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"drizzle-orm {npm_version('drizzle-orm')}, pg {npm_version('pg')}"


# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {'migrate': [{'n': 1}],
            'insert_defaults_returning': {'id': 1,
                                          'name': 'Ann',
                                          'email': None,
                                          'score': 0,
                                          'profile': {'n': 1, 'tags': ['a']},
                                          'createdAt': True},
            'bulk_insert_returning': [{'id': 2, 'score': 5}, {'id': 3, 'score': 0}, {'id': 4, 'score': 2}],
            'select': {'rows': [{'name': 'Bob', 'score': 5}, {'name': 'Di', 'score': 2}],
                       'joined': [{'title': 'One', 'by': 'Ann'}, {'title': 'Three', 'by': 'Ann'}],
                       'n': 2,
                       'profile': {'n': 1, 'tags': ['a']}},
            'update_returning': [{'name': 'Cy', 'score': 10}, {'name': 'Di', 'score': 12}],
            'delete_returning': {'gone': [{'name': 'Bob'}], 'posts': [{'title': 'One'}, {'title': 'Three'}]},
            'transactions': ['Ann', 'Cy', 'Di', 'Kept', 'Outer'],
            'unique_violation': '23505',
            'introspection': [{'column_name': 'id',
                               'data_type': 'integer',
                               'is_nullable': 'NO',
                               'has_default': True},
                              {'column_name': 'name',
                               'data_type': 'text',
                               'is_nullable': 'NO',
                               'has_default': False},
                              {'column_name': 'email',
                               'data_type': 'character varying',
                               'is_nullable': 'YES',
                               'has_default': False},
                              {'column_name': 'score',
                               'data_type': 'integer',
                               'is_nullable': 'NO',
                               'has_default': True},
                              {'column_name': 'profile',
                               'data_type': 'jsonb',
                               'is_nullable': 'YES',
                               'has_default': False},
                              {'column_name': 'created_at',
                               'data_type': 'timestamp with time zone',
                               'is_nullable': 'NO',
                               'has_default': True}]}


# Known gaps: step -> [(targets, reason)] (harness.mark_gaps). None: UPDATE and DELETE ..
# RETURNING are emulated on IRIS (docs/translation.md).
GAPS: dict = {}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(request, client_steps, target, step):
    mark_gaps(request, target, GAPS.get(step, []))
    assert_same(client_steps("drizzle", target).ok(step), EXPECTED[step])
