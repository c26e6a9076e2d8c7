"""LangChain's PGVector (langchain-postgres) with its defaults, driven by
tests/clients/scripts/langchain_steps.py in the vector-store venv: the store creating the
extension and its tables, add_documents, similarity search with and without scores,
metadata filters, get_by_ids, re-adding a document by id, delete by id, delete_collection."""

from __future__ import annotations

import pytest

from harness import IRIS_BACKENDS, assert_same, mark_gaps, tool_package_version

CLIENT = "LangChain PGVector"
IRIS_DOUBLES = True
# The first test of each target runs the whole program (conftest.PROGRAM_TIMEOUT).
pytestmark = pytest.mark.timeout(360)


def client_version() -> str:
    return ", ".join(f"{p} {tool_package_version('vectorstores', p)}" for p in ("langchain-postgres", "langchain-core"))


# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {'create_store': True,
            'add_documents': ['1', '2', '3', '4'],
            'similarity_search': ['1', '2'],
            'similarity_search_with_score': [['3', 0.0], ['4', 0.2876], ['2', 0.44444]],
            'metadata_filter': {'and': ['1'], 'eq': ['1', '2'], 'gte': ['2', '3', '4'], 'in': ['4', '3']},
            'get_by_ids': [['2', 'a dog chased a cat', {'kind': 'pet', 'year': 2021}],
                           ['4', 'fish fish fish', {'kind': 'food', 'year': 2023}]],
            'add_again_replaces': ['4'],
            'delete': ['4', '3'],
            'delete_collection': True}


NO_JSONPATH = ("IRIS: json is text and IRIS has no jsonpath, so the store's metadata filters "
               "(jsonb_path_match) are refused (0A000): filter the documents in the client")
# Known gaps: step -> [(targets, reason)] (harness.mark_gaps).
GAPS = {step: [(IRIS_BACKENDS, NO_JSONPATH)] for step in ("metadata_filter", "add_again_replaces")}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(request, client_steps, target, step):
    mark_gaps(request, target, GAPS.get(step, []))
    assert_same(client_steps("langchain", target).ok(step), EXPECTED[step])
