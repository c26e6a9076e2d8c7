"""tokio-postgres (crates.io) with its defaults, driven by tests/clients/rust/ (its own
cargo project and Cargo.lock, built by scripts/test.sh into the per-machine client cache),
on PostgreSQL 15 and the gateway: every query a prepared statement with binary results,
simple_query with text results, typed parameters (numeric through rust_decimal, dates
through chrono, uuid, serde_json), transactions, copy_in."""

from __future__ import annotations

import re

import pytest

from harness import CLIENTS_DIR

CLIENT = "tokio-postgres (Rust)"
PROJECT = CLIENTS_DIR / "rust"


def client_version() -> str:
    lock = (PROJECT / "Cargo.lock").read_text()
    m = re.search(r'name = "tokio-postgres"\nversion = "([^"]+)"', lock)
    return f"tokio-postgres {m.group(1) if m else 'unknown'}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("tokio-postgres", target)


def test_connect(steps):
    assert steps.ok("connect") == 1


def test_select_with_parameters(steps):
    assert steps.ok("params") == [42, "it'sx", True]


def test_types_insert_typed_parameters(steps):
    assert steps.ok("types_insert") == 1


def test_types_binary(steps):
    assert steps.ok("types_binary") == [
        1, True, -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, "12345.678",
        "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.500",
        "2024-02-29 13:14:15.500", "2024-02-29T13:14:15.500+00:00",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", {"a": [1, 2, None], "k": "v"}]


def test_types_text(steps):
    assert steps.ok("types_text") == [[
        "1", "t", "-32768", "2147483647", "-9223372036854775808", "1.5", "-2.25e-300",
        "12345.678", "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.5",
        "2024-02-29 13:14:15.5", "2024-02-29 13:14:15.5+00",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"a": [1, 2, null], "k": "v"}']]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": 2}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [[23], 0, 2, 4, 6, 8, 10]


def test_statement_columns(steps):
    assert steps.ok("columns") == [["a", 23], ["b", 25], ["c", 1700]]


def test_copy_in(request, target, steps):
    assert steps.ok("copy_in") == 2
