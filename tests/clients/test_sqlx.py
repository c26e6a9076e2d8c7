"""sqlx (crates.io; the postgres driver on the tokio runtime, without its query macros) with
its defaults, driven by tests/clients/rust/src/bin/sqlx-steps.rs (built with tokio-postgres's
program into the per-machine client cache), on PostgreSQL 15 and the gateway: queries through
its statement cache (extended protocol, binary results), raw_sql through the simple protocol
(text results through the same decoders), typed binds, transactions, errors with SQLSTATE."""

from __future__ import annotations

import re

import pytest

from harness import CLIENTS_DIR

CLIENT = "sqlx (Rust)"
LOCK = CLIENTS_DIR / "rust" / "Cargo.lock"
# The types table's row as the program prints it, whichever format it came in.
TYPES_ROW = [
    1, True, -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, "12345.678",
    "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.500",
    "2024-02-29 13:14:15.500", "2024-02-29T13:14:15.500+00:00",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", {"a": [1, 2, None], "k": "v"}]


def client_version() -> str:
    m = re.search(r'name = "sqlx"\nversion = "([^"]+)"', LOCK.read_text())
    return f"sqlx {m.group(1) if m else 'unknown'}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("sqlx", target)


def test_connect(steps):
    assert steps.ok("connect") == 1


def test_select_with_parameters(steps):
    assert steps.ok("params") == [42, "it'sx", True]


def test_types_insert_typed_binds(steps):
    assert steps.ok("types_insert") == 1


def test_types_binary(steps):
    assert steps.ok("types_binary") == TYPES_ROW


def test_types_text_raw_sql(steps):
    assert steps.ok("types_text") == TYPES_ROW


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": 2}


def test_error_in_transaction(steps):
    assert steps.ok("error_in_transaction") == ["22012", "25P02"]


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [["INT4"], 0, 2, 4, 6, 8, 10]


def test_statement_columns(steps):
    assert steps.ok("columns") == [["a", "INT4"], ["b", "TEXT"], ["c", "NUMERIC"]]
