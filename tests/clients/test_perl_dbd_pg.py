"""Perl DBI + DBD::Pg (Debian's libdbd-pg-perl) with its defaults (server-side prepares,
AutoCommit) and RaiseError, driven by tests/clients/scripts/perl_dbd_pg_steps.pl, on
PostgreSQL 15 and the gateway. DBD::Pg reads text results."""

from __future__ import annotations

import pytest

from harness import deb_version

CLIENT = "Perl DBD::Pg"


def client_version() -> str:
    return f"{deb_version('libdbd-pg-perl')} (Debian), DBI {deb_version('libdbi-perl')}"


@pytest.fixture
def steps(client_steps, target):
    return client_steps("perl-dbd-pg", target)


def test_connect(steps):
    assert steps.ok("connect") == [[1]]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [[42, "it'sx", 1]]


def test_types_insert_placeholders(steps):
    assert steps.ok("types_insert") == 1


def test_types_text(steps):
    assert steps.ok("types_text") == [[
        1, 1, -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, "12345.678",
        "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29", "13:14:15.5",
        "2024-02-29 13:14:15.5", "2024-02-29 13:14:15.5+00",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"a": [1, 2, null], "k": "v"}']]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [1, 3]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": [[2]]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [1, 0, 2, 4, 6, 8, 10]


def test_statement_types(steps):
    assert steps.ok("statement_types") == [["a", "b"], ["int4", "text"]]


def test_table_info_column_info(steps):
    assert steps.ok("table_info") == [
        "t_perl_dbd", ["id", "integer"], ["i2", "smallint"], ["i4", "integer"], ["i8", "bigint"]]
