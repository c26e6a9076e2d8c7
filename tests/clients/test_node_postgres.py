"""postgres (porsager/postgres.js) with its defaults, driven by
tests/clients/node/node_postgres.js, on PostgreSQL 15 and the gateway.

On its first connection postgres.js reads every array type from pg_type (its default
`fetch_types: true`) and fails the query if it cannot: on the gateway each step needs the
catalog until issue 11 lands."""

from __future__ import annotations

import pytest


from node_runner import npm_version

CLIENT = "postgres (postgres.js)"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"postgres {npm_version('postgres')}"


@pytest.fixture
def steps(request, client_steps, target):
    return client_steps("node-postgres", target)


def test_connect(steps):
    assert steps.ok("connect") == [{"one": 1}]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [{"sum": 42, "s": "it'sx", "n": True}]


def test_types(steps):
    # A JavaScript string bound to jsonb is a JSON string value (postgres.js's rule).
    assert steps.ok("types") == [{
        "id": 1, "b": True, "i2": -32768, "i4": 2147483647, "i8": "-9223372036854775808",
        "f4": 1.5, "f8": -2.25e-300, "n": "12345.678", "s": "héllo ☃ 'quoted'",
        "v": "varchar", "by": "\\x00ff1027", "d": "2024-02-29T00:00:00.000Z",
        "tm": "13:14:15.5", "ts": "2024-02-29T13:14:15.500Z", "tz": "2024-02-29T13:14:15.500Z",
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": '{"a":[1,2,null],"k":"v"}',
    }]


def test_typed_literals(request, target, steps):
    assert steps.ok("literals") == [{
        "b": True, "i2": 7, "i4": 42, "i8": "9000000000", "f4": 0.5, "f8": 0.25, "n": "1.500",
        "s": "txt", "by": "\\x0102", "d": "2000-01-01T00:00:00.000Z",
        "ts": "2000-01-01T00:00:00.000Z", "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "j": {"x": 1}, "nul": None,
    }]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"code": "42P01", "after": [{"two": 2}]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [0, 2, 4, 6, 8, 10]


def test_describe_metadata(steps):
    assert steps.ok("describe") == {"types": [23], "columns": [["a", 23], ["b", 25]]}


def test_concurrent_queries(steps):
    assert steps.ok("concurrent") == list(range(6))
