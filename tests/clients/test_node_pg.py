"""node-postgres (`pg`) with its defaults, driven by tests/clients/node/node_pg.js, on
PostgreSQL 15 and the gateway: simple queries, parameters (unnamed prepared statements),
named prepared statements reused, `binary: true` results, a Pool, transactions, errors,
COPY FROM STDIN through pg-copy-streams."""

from __future__ import annotations

import pytest


from node_runner import npm_version

CLIENT = "node-postgres (pg)"


def client_version() -> str:
    return f"pg {npm_version('pg')}, pg-copy-streams {npm_version('pg-copy-streams')}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("node-pg", target)


TYPES_ROW = {
    "id": 1, "b": True, "i2": -32768, "i4": 2147483647, "i8": "-9223372036854775808",
    "f4": 1.5, "f8": -2.25e-300, "n": "12345.678", "s": "héllo ☃ 'quoted'", "v": "varchar",
    "by": "\\x00ff1027", "d": "2024-02-29T00:00:00.000Z", "tm": "13:14:15.5",
    "ts": "2024-02-29T13:14:15.500Z", "tz": "2024-02-29T13:14:15.500Z",
    "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": {"a": [1, 2, None], "k": "v"},
}
LITERALS = {
    "b": True, "i2": 7, "i4": 42, "i8": "9000000000", "f4": 0.5, "f8": 0.25, "s": "txt",
    "by": "\\x0102", "d": "2000-01-01T00:00:00.000Z", "ts": "2000-01-01T00:00:00.000Z",
    "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": {"x": 1}, "nul": None,
}


def test_connect(steps):
    assert steps.ok("connect") == [{"one": 1}]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [{"sum": 42, "s": "it'sx", "n": True}]


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_types(steps, fmt):
    assert steps.ok(f"types_{fmt}") == [TYPES_ROW]


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_typed_literals(steps, fmt):
    [row] = steps.ok(f"literals_{fmt}")
    assert {k: v for k, v in row.items() if k != "n"} == LITERALS


def test_numeric_literal_keeps_its_scale(request, target, steps):
    assert steps.ok("literals_text")[0]["n"] == "1.500"


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"code": "42P01", "after": [{"two": 2}]}
    assert steps.ok("error_in_transaction") == {"codes": ["22012", "25P02"], "after": [{"three": 3}]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [0, 2, 4, 6, 8, 10]


def test_result_fields_metadata(steps):
    assert steps.ok("fields") == [["a", 23], ["b", 25], ["c", 1700]]


def test_notifications(steps):
    """LISTEN in one session, NOTIFY / pg_notify($1, $2) in another: delivered at commit, in
    order, folded, dropped on rollback, with the notifier's pid (BackendKeyData)."""
    assert steps.ok("notify") == {
        "got": [["node_ch", p, True] for p in ("simple", "param", "tx", "last")],
        "channels": [{"c": "node_ch"}],
    }


def test_pool(steps):
    assert steps.ok("pool") == list(range(8))


def test_copy_from_stdin(request, target, steps):
    assert steps.ok("copy_from") == [{"n": 2}]
