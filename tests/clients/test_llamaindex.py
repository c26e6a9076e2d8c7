"""LlamaIndex's PGVectorStore (llama-index-vector-stores-postgres) with its defaults, driven by
tests/clients/scripts/llamaindex_steps.py in the vector-store venv: the store creating the
extension and its table, a VectorStoreIndex over nodes, retrieval with scores, metadata
filters (and / or, comparisons, IN), an async query on asyncpg, deletes by document and by
node, clear."""

from __future__ import annotations

import pytest

from harness import IRIS_BACKENDS, assert_same, mark_gaps, tool_package_version

CLIENT = "LlamaIndex PGVectorStore"
IRIS_DOUBLES = True
# The first test of each target runs the whole program (conftest.PROGRAM_TIMEOUT).
pytestmark = pytest.mark.timeout(360)


def client_version() -> str:
    return ", ".join(f"{p} {tool_package_version('vectorstores', p)}" for p in ("llama-index-vector-stores-postgres", "llama-index-core"))


# Each step's value, as the program prints it on PostgreSQL 15.
EXPECTED = {'create_store': True,
            'add_nodes': ['n1', 'n2', 'n3', 'n4'],
            'similarity_search': [['n1', 0.97619], ['n2', 0.74536]],
            'metadata_filter': {'eq': ['n1', 'n2'],
                                'gte': ['n2', 'n3', 'n4'],
                                'in': ['n4', 'n3'],
                                'or': ['n4', 'n1']},
            'async_query': ['n2', 'n1'],
            'delete_document': ['n3', 'n4'],
            'delete_nodes': ['n3'],
            'clear': []}


NO_JSON_OPERATORS = ("IRIS: json is text and IRIS has no ->> (refused, 0A000), which the store's metadata filters "
                     "use: filter the nodes in the client")
NO_JSON_DELETE = ("IRIS: json is text and IRIS has no ->> (refused, 0A000), which delete(ref_doc_id) sends "
                  "to find the document's nodes: delete them with delete_nodes(node_ids=..) instead")
# Known gaps: step -> [(targets, reason)] (harness.mark_gaps).
GAPS = {
    "metadata_filter": [(IRIS_BACKENDS, NO_JSON_OPERATORS)],
    "delete_document": [(IRIS_BACKENDS, NO_JSON_DELETE)],
    # Reads what remains after delete_document, which IRIS refused.
    "delete_nodes": [(IRIS_BACKENDS, NO_JSON_DELETE)],
}


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(request, client_steps, target, step):
    mark_gaps(request, target, GAPS.get(step, []))
    assert_same(client_steps("llamaindex", target).ok(step), EXPECTED[step])
