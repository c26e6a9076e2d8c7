"""The compatibility matrix's client programs over the IRIS backends, on the IRIS doubles
(tests/fakes: the contract of /work/shared/iris-facts.md), embedded and dbapi: each step a
program runs on the gateway must give what it gives on PostgreSQL 15. The steps are those
IRIS can support (no COPY, no catalog: those are the other files' xfails already); the
typed steps (float4, jsonb columns) hold because the gateway records declared types
(translate/iris/declared.rs).

Each program runs once per backend, on a gateway of its own over a fresh double, logging in
with a password by SCRAM-SHA-256 like the rest of the matrix."""

from __future__ import annotations

import importlib
import json

import pytest

pytest.importorskip("iris_pgwire._core", reason="build the extension first: maturin develop")

BACKENDS = ("embedded", "dbapi")
# program -> (its test file, for the client's name and version; the steps compared)
STEPS = {
    "node-pg": ("test_node_pg", ["connect", "params", "types_text", "types_binary", "literals_text",
                                 "literals_binary", "transaction_rollback", "error",
                                 "error_in_transaction", "prepared_reuse", "fields", "pool", "notify"]),
    "pgjdbc": ("test_pgjdbc", ["connect", "params", "types_insert", "types_text_then_binary", "literals",
                               "transaction_rollback", "error", "prepared_reuse", "batch", "batch_error",
                               "metadata_product"]),
    "pgx": ("test_pgx", ["connect", "params", "types_insert", "types_binary", "types_text",
                         "simple_protocol", "transaction_rollback", "error", "prepared_reuse",
                         "field_descriptions"]),
    "tokio-postgres": ("test_tokio_postgres", ["connect", "params", "types_insert", "types_binary",
                                               "types_text", "transaction_rollback", "error",
                                               "prepared_reuse", "columns"]),
    "sqlx": ("test_sqlx", ["connect", "params", "types_insert", "types_binary", "types_text",
                           "transaction_rollback", "error", "error_in_transaction", "prepared_reuse",
                           "columns"]),
    "ruby-pg": ("test_ruby_pg", ["connect", "params", "types_insert", "types_text", "types_binary",
                                 "transaction_rollback", "error", "prepared_reuse", "fields"]),
    "php-pdo": ("test_php_pdo", ["connect", "params", "types_insert", "types_text",
                                 "transaction_rollback", "error", "prepared_reuse", "column_meta"]),
    "perl-dbd-pg": ("test_perl_dbd_pg", ["connect", "params", "types_insert", "types_text",
                                         "transaction_rollback", "error", "prepared_reuse",
                                         "statement_types"]),
}
CASES = [(b, p, s) for b in BACKENDS for p, (_, steps) in STEPS.items() for s in steps]


def client_module(request: pytest.FixtureRequest):
    """The client test file whose CLIENT and client_version() this case reports under."""
    return importlib.import_module(STEPS[request.node.callspec.params["program"]][0])


@pytest.fixture
def iris_gateways(request):
    """iris_gateways(backend): the session's gateway over that IRIS double (conftest.py)."""
    return lambda backend: request.getfixturevalue(f"iris_{backend}")


@pytest.mark.parametrize(("backend", "program", "step"), CASES,
                         ids=[f"{b}-{p.replace('-', '_')}-{s}" for b, p, s in CASES])
def test_step(client_steps, pg15, iris_gateways, backend, program, step):
    want = client_steps(program, pg15).results[step]
    got = client_steps(program, iris_gateways(backend)).results.get(step)
    # As JSON text: in Python 1 == True, and a bool must not pass as an int.
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
