"""asyncpg introspects the types of a custom query's result through pg_catalog (its
`typeinfo_tree` query): answered by the catalog engine, as PostgreSQL 15 answers it."""

from __future__ import annotations

from test_asyncpg import run_with


def test_result_types_are_introspected(target):
    """Catalog columns of types asyncpg introspects first (name[], oid[]; "char"
    comes back as bytes, as from PostgreSQL)."""
    async def work(conn):
        row = await conn.fetchrow(
            "select t.typname, t.typarray, t.typcategory, current_schemas(false) as path, "
            "array(select a.oid from pg_catalog.pg_type a where a.typname in ('_int4', '_text') order by 1) as arrays "
            "from pg_catalog.pg_type t where t.typname = $1", "int4")
        assert dict(row) == {"typname": "int4", "typarray": 1007, "typcategory": b"N", "path": ["public"],
                             "arrays": [1007, 1009]}
        stmt = await conn.prepare("select c.relname, c.relkind, c.relnatts from pg_catalog.pg_class c "
                                  "where c.relname = $1")
        assert [(a.name, a.type.name) for a in stmt.get_attributes()] == [
            ("relname", "name"), ("relkind", "char"), ("relnatts", "int2")]
        assert [t.name for t in stmt.get_parameters()] == ["name"]
    run_with(target, work)


def test_regtype_round_trip(target):
    async def work(conn):
        assert await conn.fetchval("select 'integer'::regtype::oid") == 23
        assert await conn.fetchval("select 23::regtype::text") == "integer"
        assert await conn.fetchval("select format_type(1043, 24)") == "character varying(20)"
    run_with(target, work)
