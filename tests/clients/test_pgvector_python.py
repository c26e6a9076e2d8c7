"""pgvector-python with its defaults: the `vector` type registered on psycopg 3
(`register_vector`, text and binary), on asyncpg (`register_vector`, a binary codec) and
as SQLAlchemy's `Vector` column with its distance comparators and an HNSW index, on
PostgreSQL 15 (with the pgvector extension), the gateway over sqlite and over both IRIS
doubles. Each test: CREATE EXTENSION, a table with a serial key and a vector(3) column,
inserts with RETURNING, a bulk insert, nearest-neighbour queries by each distance, an
update and a delete of a vector row. Vector values are exact in float4 (pgvector's
element type) and in IRIS's DOUBLE, so every target returns the same numbers."""

from __future__ import annotations

import asyncio
import importlib.metadata

import asyncpg
import psycopg
import pytest
import sqlalchemy as sa
from pgvector import Vector
from pgvector.asyncpg import register_vector as register_asyncpg
from pgvector.psycopg import register_vector
from pgvector.sqlalchemy import VECTOR
from sqlalchemy import orm


CLIENT = "pgvector-python"
IRIS_DOUBLES = True

ROWS = [("a", [1.0, 0.0, 0.0]), ("b", [0.0, 1.0, 0.0]), ("c", [0.5, 0.5, 0.0]), ("d", [0.0, 0.0, 2.0])]
QUERY = [1.0, 0.25, 0.0]
# Nearest first from QUERY: by Euclidean distance a (0.25), c (0.56), b (1.25), d; by
# cosine distance a, c, b, d; by inner product (largest first) a (1.0), c (0.625), b, d.
NEAREST = ["a", "c", "b"]


def client_version() -> str:
    v = importlib.metadata.version
    return (f"pgvector {v('pgvector')} (psycopg {v('psycopg')}, asyncpg {v('asyncpg')}, "
            f"SQLAlchemy {v('SQLAlchemy')})")


def create(cur, table: str) -> None:
    cur.execute("create extension if not exists vector")
    cur.execute(f"create table {table} (id bigserial primary key, name text not null, "
                f"embedding vector(3), created timestamptz default current_timestamp)")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg(target, table_name, binary):
    with psycopg.connect(target.dsn) as conn:
        create(conn, table_name)
        register_vector(conn)
        cur = conn.cursor(binary=binary)
        first = cur.execute(f"insert into {table_name} (name, embedding) values (%s, %s) "
                            f"returning id, embedding, created is not null",
                            (ROWS[0][0], Vector(ROWS[0][1]))).fetchone()
        cur.executemany(f"insert into {table_name} (name, embedding) values (%s, %s)",
                        [(n, Vector(e)) for n, e in ROWS[1:]])
        conn.commit()
        order = {}
        for op in ("<->", "<=>", "<#>"):
            order[op] = [r[0] for r in cur.execute(
                f"select name from {table_name} order by embedding {op} %s limit 3", (Vector(QUERY),))]
        distance = cur.execute(f"select embedding <-> %s from {table_name} where name = 'd'",
                               (Vector([0.0, 0.0, 0.0]),)).fetchone()[0]
        cur.execute(f"update {table_name} set embedding = %s where name = 'b'", (Vector([3.0, 0.0, 0.0]),))
        cur.execute(f"delete from {table_name} where name = 'd'")
        conn.rollback()  # the update and delete are undone
        cur.execute(f"delete from {table_name} where name = 'd'")
        rows = cur.execute(f"select name, embedding from {table_name} order by id").fetchall()
        conn.commit()
    assert (first[0], first[1].to_list(), first[2]) == (1, ROWS[0][1], True)
    assert order == {"<->": NEAREST, "<=>": NEAREST, "<#>": NEAREST}
    assert distance == 2.0
    assert [(n, e.to_list()) for n, e in rows] == [(n, e) for n, e in ROWS[:3]]


def test_asyncpg(target, table_name):
    async def main():
        conn = await asyncpg.connect(target.dsn)
        try:
            await conn.execute("create extension if not exists vector")
            await register_asyncpg(conn)
            await conn.execute(f"create table {table_name} (id serial primary key, name text, "
                               f"embedding vector(3))")
            first = await conn.fetchrow(f"insert into {table_name} (name, embedding) values ($1, $2) "
                                        f"returning id, embedding", ROWS[0][0], Vector(ROWS[0][1]))
            await conn.executemany(f"insert into {table_name} (name, embedding) values ($1, $2)",
                                   [(n, Vector(e)) for n, e in ROWS[1:]])
            async with conn.transaction():
                await conn.execute(f"delete from {table_name} where name = 'd'")
            nearest = await conn.fetch(f"select name, embedding <=> $1 as d from {table_name} "
                                       f"order by embedding <=> $1 limit 3", Vector(QUERY))
            return first, nearest
        finally:
            await conn.close()

    first, nearest = asyncio.run(main())
    assert (first["id"], first["embedding"].to_list()) == (1, ROWS[0][1])
    assert [r["name"] for r in nearest] == NEAREST
    assert nearest[0]["d"] == pytest.approx(1 - 1 / (1 + 0.25 ** 2) ** 0.5)


def test_sqlalchemy(target, table_name):
    class Base(orm.DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = table_name
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(10))
        embedding = orm.mapped_column(VECTOR(3))
        __table_args__ = (sa.Index(f"{table_name}_hnsw", "embedding", postgresql_using="hnsw",
                                   postgresql_with={"m": 16, "ef_construction": 64},
                                   postgresql_ops={"embedding": "vector_cosine_ops"}),)

    engine = sa.create_engine(target.dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as c:
            c.execute(sa.text("create extension if not exists vector"))
        Base.metadata.create_all(engine)
        with orm.Session(engine) as s:
            s.add_all([Item(name=n, embedding=e) for n, e in ROWS])
            s.commit()
            by = {}
            for fn in ("l2_distance", "cosine_distance", "max_inner_product"):
                by[fn] = s.scalars(sa.select(Item.name).order_by(getattr(Item.embedding, fn)(QUERY))
                                   .limit(3)).all()
            near = s.scalars(sa.select(Item).filter(Item.embedding.l2_distance(QUERY) < 1).order_by(Item.id)).all()
            s.get(Item, near[0].id).embedding = [0.0, 0.0, 1.0]
            s.commit()
            s.delete(s.scalars(sa.select(Item).where(Item.name == "d")).one())
            s.commit()
            rows = [(i.name, i.embedding.tolist() if hasattr(i.embedding, "tolist") else list(i.embedding))
                    for i in s.scalars(sa.select(Item).order_by(Item.id))]
        cols = {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns(table_name)}
    finally:
        engine.dispose()
    assert by == {"l2_distance": NEAREST, "cosine_distance": NEAREST, "max_inner_product": NEAREST}
    assert sorted(i.name for i in near) == ["a", "c"]
    assert rows == [("a", [0.0, 0.0, 1.0]), ("b", ROWS[1][1]), ("c", ROWS[2][1])]
    assert cols["embedding"] == "VECTOR(3)"
