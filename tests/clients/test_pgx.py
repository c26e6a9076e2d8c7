"""pgx v4 (Debian's golang-github-jackc-pgx-v4-dev, built in GOPATH mode with
GOPROXY=off: no module proxy) with its defaults, driven by tests/clients/go/pgx_steps.go
(built once per session, Go's build cache in .cache/clients/go), on PostgreSQL 15 and the
gateway: extended protocol with pgx's statement cache and binary results, text results
on request, the simple protocol, Prepare, transactions, CopyFrom."""

from __future__ import annotations

import subprocess

import pytest

from harness import deb_version

CLIENT = "pgx v4 (Go)"


def client_version() -> str:
    return (f"{deb_version('golang-github-jackc-pgx-v4-dev')} (Debian), "
            f"{subprocess.run(['go', 'version'], capture_output=True, text=True).stdout.split()[2]}")


@pytest.fixture
def steps(client_steps, target):
    return client_steps("pgx", target)


# As pgx decodes them: numeric as pgtype's text, time as microseconds since midnight.
TYPES_ROW = [
    1, True, -32768, 2147483647, -9223372036854775808, 1.5, -2.25e-300, "12345678e-3",
    "héllo ☃ 'quoted'", "varchar", "\\x00ff1027", "2024-02-29T00:00:00Z", 47655500000,
    "2024-02-29T13:14:15.5Z", "2024-02-29T13:14:15.5Z", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    {"a": [1, 2, None], "k": "v"},
]


def test_connect(steps):
    assert steps.ok("connect") == [[1]]


def test_select_with_parameters(steps):
    assert steps.ok("params") == [[42, "it'sx", True]]


def test_types_insert(steps):
    assert steps.ok("types_insert") == "INSERT 0 1"


@pytest.mark.parametrize("fmt", ["binary", "text"])
def test_types(steps, fmt):
    assert steps.ok(f"types_{fmt}") == [TYPES_ROW]


def test_simple_protocol(steps):
    assert steps.ok("simple_protocol") == [TYPES_ROW]


def test_transaction_rollback(steps):
    assert steps.ok("transaction_rollback") == [[1], [3]]


def test_error_sqlstate_and_continued_use(steps):
    assert steps.ok("error") == {"sqlstate": "42P01", "after": [[2]]}


def test_prepared_statement_reuse(steps):
    assert steps.ok("prepared_reuse") == [[23], 0, 2, 4, 6, 8, 10]


def test_field_descriptions(steps):
    assert steps.ok("field_descriptions") == [["a", 23], ["b", 25], ["c", 1700]]


def test_copy_from(request, target, steps):
    assert steps.ok("copy_from") == 2
