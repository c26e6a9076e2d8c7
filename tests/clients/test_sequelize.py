"""Sequelize 6 (postgres dialect, node-postgres underneath) with its defaults, driven by
tests/clients/node/sequelize.js: sync() creating two tables with a foreign key, create and
bulkCreate with column defaults and RETURNING, finders with operators, an include (join),
count / max, update and increment, destroy, managed and unmanaged transactions, a unique
violation's error class and SQLSTATE, describeTable, raw queries with replacements."""

from __future__ import annotations

import pytest

from harness import IRIS_BACKENDS, assert_same, mark_gaps
from node_runner import npm_version

CLIENT = "Sequelize"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"sequelize {npm_version('sequelize')}, pg {npm_version('pg')}"


# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {'connect': [{'two': 2}],
            'sync': True,
            'create_returning': {'id': 1,
                                 'name': 'Ann',
                                 'rating': 3,
                                 'active': True,
                                 'meta': {'tags': ['x']},
                                 'timestamps': True},
            'bulk_create': [{'id': 2, 'name': 'Bob', 'rating': 5, 'active': True},
                            {'id': 3, 'name': 'Cy', 'rating': 3, 'active': True},
                            {'id': 4, 'name': 'Di', 'rating': 3, 'active': False}],
            'find': {'authors': [{'name': 'Cy', 'rating': 3},
                                 {'name': 'Bob', 'rating': 5},
                                 {'name': 'Ann', 'rating': 3}],
                     'books': [['One', '10.50', 'Ann'], ['Two', '3.25', 'Bob']],
                     'count': 4,
                     'max': 5},
            'update': [2, 3],
            'destroy': [1, 3],
            'transactions': ['Ann', 'Bob', 'Cy', 'Kept'],
            'unique_violation': ['SequelizeUniqueConstraintError', '23505'],
            'describe_table': {'id': ['INTEGER', False, True],
                               'name': ['CHARACTER VARYING(40)', False, False],
                               'rating': ['INTEGER', False, False],
                               'active': ['BOOLEAN', True, False],
                               'meta': ['JSONB', True, False],
                               'createdAt': ['TIMESTAMP WITH TIME ZONE', False, False],
                               'updatedAt': ['TIMESTAMP WITH TIME ZONE', False, False]},
            'raw_query_replacements': [{'name': 'Ann'}, {'name': 'Bob'}, {'name': 'Cy'}, {'name': 'Kept'}]}


# Known gaps: step -> [(targets, reason)] (harness.mark_gaps). None: UPDATE .. RETURNING, which
# instance.increment() sends, is emulated on IRIS (docs/translation.md).
GAPS: dict = {}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(request, client_steps, target, step):
    mark_gaps(request, target, GAPS.get(step, []))
    assert_same(client_steps("sequelize", target).ok(step), EXPECTED[step])
