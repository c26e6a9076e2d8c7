"""dbt-postgres with its defaults, driven by tests/clients/scripts/dbt_steps.py in the dbt
venv on the project tests/clients/dbt_project/: dbt debug, seed (schema, table, batched
inserts), run (a view model and a table model), test (unique, not_null, relationships,
accepted_values), show (a query through the adapter), seed and run --full-refresh again
over what exists, docs generate (the adapter's catalog query)."""

from __future__ import annotations

import pytest

from harness import assert_same, tool_package_version

CLIENT = "dbt-postgres"
IRIS_DOUBLES = True
# The first test of each target runs the whole program (conftest.PROGRAM_TIMEOUT).
pytestmark = pytest.mark.timeout(600)


def client_version() -> str:
    return (f"dbt-core {tool_package_version('dbt', 'dbt-core')}, "
            f"dbt-postgres {tool_package_version('dbt', 'dbt-postgres')}")


MODELS = [["author_stats", "success"], ["published_books", "success"]]
# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {
    "debug": True,
    "seed": [["books", "success"]],
    "run": MODELS,
    "test": [["accepted_values_author_stats_author__Austen__Herbert", "pass"],
             ["not_null_author_stats_books", "pass"], ["not_null_books_id", "pass"],
             ["not_null_published_books_id", "pass"],
             ["relationships_published_books_author__author__ref_books_", "pass"],
             ["unique_author_stats_author", "pass"], ["unique_books_id", "pass"],
             ["unique_published_books_id", "pass"]],
    "show": [["Austen", "2", "9.75", "1815-12-23"], ["Herbert", "1", "9.99", "1965-08-01"]],
    "rerun": [[["books", "success"]], MODELS],
    "docs_generate": ["author_stats", "books", "published_books"],
}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(client_steps, target, step):
    assert_same(client_steps("dbt", target).ok(step), EXPECTED[step])
