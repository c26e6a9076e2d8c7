"""LlamaIndex's PGVectorStore (llama-index-vector-stores-postgres) with its defaults, driven by
tests/clients/scripts/llamaindex_steps.py in the vector-store venv: the store creating the
extension and its table, a VectorStoreIndex over nodes, retrieval with scores, metadata
filters (and / or, comparisons, IN), an async query on asyncpg, deletes by document and by
node, clear."""

from __future__ import annotations

import pytest

from harness import assert_same, tool_package_version

CLIENT = "LlamaIndex PGVectorStore"
IRIS_DOUBLES = True


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


@pytest.mark.parametrize("step", list(EXPECTED))
def test_step(client_steps, target, step):
    assert_same(client_steps("llamaindex", target).ok(step), EXPECTED[step])
