"""LlamaIndex's PGVectorStore (llama-index-vector-stores-postgres) with its defaults: the
store from_params on the server (SQLAlchemy psycopg2 for sync, asyncpg for async calls;
the connection strings are given so that the password is URL-quoted) creates the vector
extension and its table, then a VectorStoreIndex over nodes made here, retrieval by
similarity, metadata filters, an async query, get_nodes, delete by document and by node.
Embeddings: a deterministic keyword counter (pysteps.keyword_vector), no model download;
no LLM is used. Runs in the vector-store venv (tests/clients/venvs/vectorstores.txt)."""

import asyncio

from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores import (FilterOperator, MetadataFilter, MetadataFilters,
                                            VectorStoreQuery)
from llama_index.vector_stores.postgres import PGVectorStore

from pysteps import dbname, finish, host, keyword_vector, password, port, step, table, url, user

WORDS = ("cat", "dog", "fish")


class KeywordEmbedding(BaseEmbedding):
    def _get_text_embedding(self, text):
        return keyword_vector(text, WORDS)

    def _get_query_embedding(self, query):
        return keyword_vector(query, WORDS)

    async def _aget_query_embedding(self, query):
        return keyword_vector(query, WORDS)


def node(id_, text, doc, **metadata):
    return TextNode(id_=id_, text=text, metadata=metadata,
                    relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc)})


NODES = [node("n1", "the cat sat on the cat mat", "docA", kind="pet", year=2019),
         node("n2", "a dog chased a cat", "docA", kind="pet", year=2021),
         node("n3", "fish swim; a dog barks", "docB", kind="wild", year=2022),
         node("n4", "fish fish fish", "docC", kind="food", year=2023)]
embed = KeywordEmbedding()
store = index = None


def ids(results):
    return [r.node.node_id for r in results]


@step("create_store")
def _():
    global store
    store = PGVectorStore.from_params(host=host, port=port, database=dbname, user=user, password=password,
                                      table_name=table, embed_dim=len(WORDS) + 1,
                                      connection_string=url("psycopg2"), async_connection_string=url("asyncpg"))
    return True


@step("add_nodes")
def _():
    global index
    index = VectorStoreIndex(NODES, storage_context=StorageContext.from_defaults(vector_store=store),
                             embed_model=embed)
    return sorted(n.node_id for n in store.get_nodes(node_ids=["n1", "n2", "n3", "n4"]))


@step("similarity_search")
def _():
    results = index.as_retriever(similarity_top_k=2).retrieve("my cat")
    return [[r.node.node_id, round(r.score, 5)] for r in results]


@step("metadata_filter")
def _():
    def search(q, *filters, condition="and"):
        f = MetadataFilters(filters=list(filters), condition=condition)
        return ids(index.as_retriever(similarity_top_k=4, filters=f).retrieve(q))
    return {
        "eq": search("cat", MetadataFilter(key="kind", value="pet")),
        "gte": search("cat", MetadataFilter(key="year", value=2021, operator=FilterOperator.GTE)),
        "in": search("fish", MetadataFilter(key="kind", value=["wild", "food"], operator=FilterOperator.IN)),
        "or": search("fish", MetadataFilter(key="year", value=2019), MetadataFilter(key="kind", value="food"),
                     condition="or"),
    }


@step("async_query")
def _():
    q = VectorStoreQuery(query_embedding=keyword_vector("a dog and its cat", WORDS), similarity_top_k=2)
    result = asyncio.run(store.aquery(q))
    return result.ids


@step("delete_document")
def _():
    store.delete("docA")
    return ids(index.as_retriever(similarity_top_k=4).retrieve("cat"))


@step("delete_nodes")
def _():
    store.delete_nodes(node_ids=["n4"])
    return sorted(n.node_id for n in store.get_nodes(node_ids=["n1", "n3", "n4"]))


@step("clear")
def _():
    store.clear()
    return store.get_nodes(node_ids=["n3"])


finish()
