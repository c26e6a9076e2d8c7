"""pgjdbc (Debian's libpostgresql-jdbc-java) with its defaults, driven by
tests/clients/java/PgjdbcSteps.java (compiled once per session), on PostgreSQL 15 and the
gateway: Statement, PreparedStatement past the prepareThreshold (named server statement,
binary results), batch, transactions, DatabaseMetaData, CopyManager."""

from __future__ import annotations

import subprocess

import pytest

from harness import deb_version

CLIENT = "pgjdbc"
# getObject() on a jsonb column (a PGobject, typed by name) asks pgjdbc's TypeInfoCache,
# which reads pg_type (`.. WHERE n.nspname = ANY(current_schemas(true)) ..`).


def client_version() -> str:
    return f"{deb_version('libpostgresql-jdbc-java')} (Debian), Java {java_version()}"


def java_version() -> str:
    out = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return out.stderr.split('"')[1] if '"' in out.stderr else "unknown"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("pgjdbc", target)


TYPES_ROW = [
    1, True, -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, "12345.678",
    "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15",
    "2024-02-29 13:14:15.5", "2024-02-29 13:14:15.5", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
]


def test_connect(steps):
    assert steps.ok("connect") == [[1]]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [[42, "it'sx", True]]


def test_types_insert_with_setters(steps):
    assert steps.ok("types_insert") == 1


def test_types_text_then_binary(steps):
    """Runs 1-4 are unnamed statements with text results; from the 5th (prepareThreshold)
    pgjdbc uses a named server statement with binary results for the types it reads in
    binary (integers, floats, bytea, dates and times, uuid)."""
    runs = steps.ok("types_text_then_binary")
    assert [r["rows"] for r in runs] == [[TYPES_ROW]] * 6
    assert [r["server_prepared"] for r in runs] == [False, False, False, False, True, True]


def test_jsonb_get_object(request, target, steps):
    assert steps.ok("jsonb") == [['{"a": [1, 2, null], "k": "v"}', '{"x": 1}']]


def test_typed_literals(request, target, steps):
    assert steps.ok("literals") == [[
        True, 7, 42, 9000000000, 0.5, 0.25, "1.500", "txt", "\\x0102", "2000-01-01",
        "2000-01-01 00:00:00.0", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None]]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [[1], [3]]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": [[2]]}


def test_prepared_statement_past_threshold(steps):
    """From the 5th execution (prepareThreshold) the statement is a named server one."""
    assert steps.ok("prepared_reuse") == [[i * 2, i >= 3] for i in range(8)]


def test_batch(steps):
    assert steps.ok("batch") == [1, 1, 1]


def test_batch_with_failing_statement(steps):
    """executeBatch pipelines the batch (tests/test_pipelining.py has the other clients):
    the duplicate key fails it, nothing of it is kept, the connection goes on."""
    assert steps.ok("batch_error") == [
        "23505", [-3, -3, -3, -3], [[0]], "23505", [1], [[32]]]


def test_database_metadata_product(steps):
    assert steps.ok("metadata_product") == ["PostgreSQL", True]


def test_database_metadata_tables_columns(request, target, steps):
    assert steps.ok("metadata_tables") == [
        "t_pgjdbc", ["id", "int4"], ["i2", "int2"], ["i4", "int4"], ["i8", "int8"]]


def test_copy_manager(request, target, steps):
    assert steps.ok("copy_in") == [2, [[2]]]
