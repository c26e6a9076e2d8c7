"""LangChain's PGVector (langchain-postgres) with its defaults: the store on a SQLAlchemy
psycopg 3 URL creates the vector extension and its two tables (collection, embedding with
JSONB metadata and a GIN index), then add_documents, similarity search with and without
scores, metadata filters ($eq, $gte, $in, $and), get_by_ids, delete by id, delete_collection.
Embeddings: a deterministic keyword counter (pysteps.keyword_vector), no model download.
Runs in the vector-store venv (tests/clients/venvs/vectorstores.txt); one JSON line."""

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_postgres import PGVector

from pysteps import finish, keyword_vector, step, table, url

WORDS = ("cat", "dog", "fish")


class KeywordEmbeddings(Embeddings):
    def embed_documents(self, texts):
        return [keyword_vector(t, WORDS) for t in texts]

    def embed_query(self, text):
        return keyword_vector(text, WORDS)


DOCS = [
    Document(id="1", page_content="the cat sat on the cat mat", metadata={"kind": "pet", "year": 2019}),
    Document(id="2", page_content="a dog chased a cat", metadata={"kind": "pet", "year": 2021}),
    Document(id="3", page_content="fish swim; a dog barks", metadata={"kind": "wild", "year": 2022}),
    Document(id="4", page_content="fish fish fish", metadata={"kind": "food", "year": 2023}),
]
store = None


def hits(docs):
    return [d.id for d in docs]


@step("create_store")
def _():
    global store
    store = PGVector(KeywordEmbeddings(), connection=url("psycopg"), collection_name=table,
                     embedding_length=len(WORDS) + 1)
    return True


@step("add_documents")
def _():
    return store.add_documents(DOCS)


@step("similarity_search")
def _():
    return hits(store.similarity_search("my cat", k=2))


@step("similarity_search_with_score")
def _():
    return [[d.id, round(score, 5)] for d, score in store.similarity_search_with_score("dog and fish", k=3)]


@step("metadata_filter")
def _():
    return {
        "eq": hits(store.similarity_search("cat", k=4, filter={"kind": "pet"})),
        "gte": hits(store.similarity_search("cat", k=4, filter={"year": {"$gte": 2021}})),
        "in": hits(store.similarity_search("fish", k=4, filter={"kind": {"$in": ["wild", "food"]}})),
        "and": hits(store.similarity_search("cat", k=4, filter={"$and": [{"kind": "pet"}, {"year": {"$lt": 2020}}]})),
    }


@step("get_by_ids")
def _():
    return [[d.id, d.page_content, d.metadata] for d in store.get_by_ids(["2", "4"])]


@step("add_again_replaces")
def _():
    store.add_documents([Document(id="4", page_content="a cat and a fish", metadata={"kind": "pet", "year": 2024})])
    return hits(store.similarity_search("cat", k=4, filter={"year": 2024}))


@step("delete")
def _():
    store.delete(ids=["1", "2"])
    return hits(store.similarity_search("cat", k=4))


@step("delete_collection")
def _():
    store.delete_collection()
    return True


finish()
