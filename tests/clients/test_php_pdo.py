"""PHP PDO pgsql (Debian's php-cli + php-pgsql) with its defaults (PHP 8: exceptions,
native server-side prepares, text results), driven by tests/clients/scripts/php_pdo_steps.php,
on PostgreSQL 15 and the gateway."""

from __future__ import annotations

import pytest

from harness import deb_version, tool_version

CLIENT = "PHP PDO pgsql"


def client_version() -> str:
    return f"php-pgsql {deb_version('php-pgsql')} (Debian), {' '.join(tool_version('php', '-v').split()[:2])}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("php-pdo", target)


def test_connect(steps):
    assert steps.ok("connect") == [[1]]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [[42, "it'sx", True]]


def test_types_insert_bound_values(steps):
    assert steps.ok("types_insert") == 1


def test_types_text(steps):
    """PDO pgsql reads text results only; ints and bools come back as PHP ints and bools."""
    assert steps.ok("types_text") == [[
        1, True, -32768, 2147483647, -9223372036854775808, "1.5", "-2.25e-300", "12345.678",
        "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.5",
        "2024-02-29 13:14:15.5", "2024-02-29 13:14:15.5+00",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"a": [1, 2, null], "k": "v"}']]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": [[2]]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [0, 2, 4, 6, 8, 10]


def test_get_column_meta(steps):
    assert steps.ok("column_meta") == ["int4", "text"]
