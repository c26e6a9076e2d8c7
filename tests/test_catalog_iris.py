"""The catalog over the IRIS backends (embedded and dbapi, on the fakes that answer
INFORMATION_SCHEMA as IRIS does): psql's \\dt and \\d, SQLAlchemy's inspector, compared
with PostgreSQL 15 holding the same schema. IRIS names the constraints it creates
itself, so constraint and key-index names are left out of the comparison; COMMENT ON
is refused on IRIS (the gateway creates nothing inside IRIS to keep comments)."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from helpers.pgcluster import PgCluster
from test_catalog_psql import PUBLIC_SCHEMA
from test_iris_e2e import Server

# The fakes model IRIS's SQLUser schema only (test_catalog_psql's second schema is sqlite's).
IRIS_SCHEMA = [s for s in PUBLIC_SCHEMA.split(";") if s.strip() and "comment on" not in s]


@pytest.fixture(scope="module")
def pg():
    cluster = PgCluster()
    cluster.start()
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as c:
            for s in IRIS_SCHEMA:
                c.execute(s)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["embedded", "dbapi"])
def iris(request, tmp_path):
    s = Server(request.param, tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            for stmt in IRIS_SCHEMA:
                c.execute(stmt)
        yield s
    finally:
        s.stop()


def _url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def _reflect(url: str) -> dict:
    eng = sa.create_engine(url)
    try:
        insp = sa.inspect(eng)
        out = {"tables": sorted(insp.get_table_names()), "views": sorted(insp.get_view_names())}
        for t in out["tables"]:
            out[t] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                "pk": insp.get_pk_constraint(t)["constrained_columns"],
                "fks": [(f["constrained_columns"], f["referred_table"], f["referred_columns"])
                        for f in insp.get_foreign_keys(t)],
                "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in insp.get_indexes(t)
                                  if not i.get("duplicates_constraint")),
                "unique": sorted(u["column_names"] for u in insp.get_unique_constraints(t)),
            }
        return out
    finally:
        eng.dispose()


def test_inspector_matches_postgres(pg, iris):
    gw = f"postgresql+psycopg://u@127.0.0.1:{iris.port}/d"
    assert _reflect(gw) == _reflect(_url(pg.dsn))


def test_psql_style_catalog_queries(iris):
    with iris.connect(autocommit=True) as c:
        tables = c.execute(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND pg_catalog.pg_table_is_visible(c.oid) "
            "AND c.relname OPERATOR(pg_catalog.~) '^(dept|emp)$' COLLATE pg_catalog.default ORDER BY 2").fetchall()
        cols = c.execute(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull "
            "FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'dept'::regclass AND a.attnum > 0 "
            "ORDER BY a.attnum").fetchall()
    assert tables == [("public", "dept"), ("public", "emp")]
    assert cols == [("id", "integer", True), ("name", "character varying(40)", True), ("budget", "numeric(12,2)", False)]


@pytest.mark.parametrize("stmt", ["COMMENT ON TABLE dept IS 'x'", "COMMENT ON COLUMN dept.name IS 'x'",
                                  "COMMENT ON TABLE dept IS NULL"])
def test_comment_on_is_refused(iris, stmt):
    """IRIS has no COMMENT ON (descriptions live in class definitions): a clear 0A000,
    nothing written to IRIS, and the session goes on."""
    with iris.connect(autocommit=True) as c:
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            c.execute(stmt)
        assert e.value.diag.message_primary.startswith("COMMENT ON ")
        assert "%Description" in e.value.diag.message_hint
        assert c.execute("select obj_description('dept'::regclass, 'pg_class')").fetchall() == [(None,)]
