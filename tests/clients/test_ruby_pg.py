"""ruby-pg (Debian's ruby-pg) with its defaults, driven by
tests/clients/scripts/ruby_pg_steps.rb, on PostgreSQL 15 and the gateway: exec,
exec_params with text and binary results (compared byte for byte), prepare /
exec_prepared, transactions, errors, and PG::BasicTypeMapForResults."""

from __future__ import annotations

import pytest

from harness import deb_version

CLIENT = "ruby-pg"


def client_version() -> str:
    return f"{deb_version('ruby-pg')} (Debian), ruby {deb_version('ruby')}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("ruby-pg", target)


def test_connect(steps):
    assert steps.ok("connect") == [["1"]]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [["42", "it'sx", "t"]]


def test_types_insert(steps):
    assert steps.ok("types_insert") == 1


def test_types_text(steps):
    assert steps.ok("types_text") == [[
        "1", "t", "-32768", "2147483647", "-9223372036854775808", "1.5", "-2.25e-300",
        "12345.678", "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.5",
        "2024-02-29 13:14:15.5", "2024-02-29 13:14:15.5+00",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"a": [1, 2, null], "k": "v"}']]


def test_types_binary(steps):
    """The raw bytes of each binary value: PostgreSQL's *_send output."""
    assert steps.ok("types_binary") == [[
        "00000001", "01", "8000", "7fffffff", "8000000000000000", "3fc00000", "81b81be3bb5811c4",
        "0003000100000003000109291a7c", "68c3a96c6c6f20e29883202771756f74656427",
        "76617263686172", "00ff1027", "00002279", "0000000b187d38e0", "0002b583ce0998e0",
        "0002b583ce0998e0", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "017b2261223a205b312c20322c206e756c6c5d2c20226b223a202276227d"]]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == ["1", "3"]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "cls": "PG::UndefinedTable", "after": [["2"]]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [1, 23, "0", "2", "4", "6", "8", "10"]


def test_result_fields(steps):
    assert steps.ok("fields") == [["a", 23, -1], ["b", 25, -1], ["c", 1700, 327686]]


def test_basic_type_map_for_results(steps):
    assert steps.ok("basic_type_map") == [["2147483647", "-2.25e-300", "true", "2024-02-29"]]
