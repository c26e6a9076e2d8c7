"""SQLAlchemy 2's inspector and Alembic autogenerate read the gateway's catalog as
they read PostgreSQL 15's: default engines (no options) on psycopg 3 and psycopg2.

The same two schemas (test_catalog_psql.SCHEMA: public and sales, foreign keys from
each to the other) on a fresh PostgreSQL 15 and a fresh gateway; every reflected fact
must be equal.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from test_catalog_psql import both  # noqa: F401  (module fixture: fresh pg15 + gateway)

DRIVERS = ["psycopg", "psycopg2"]


def _engine(target, driver):
    return sa.create_engine(target.dsn.replace("postgresql://", f"postgresql+{driver}://", 1))


def _reflect(target, driver, schema=None) -> dict:
    eng = _engine(target, driver)
    try:
        insp = sa.inspect(eng)
        tables = sorted(insp.get_table_names(schema=schema))
        out = {"schemas": sorted(insp.get_schema_names()), "tables": tables,
               "views": sorted(insp.get_view_names(schema=schema)),
               "sequences": sorted(insp.get_sequence_names(schema=schema))}
        for t in tables + out["views"]:
            cols = insp.get_columns(t, schema=schema)
            out[t] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], c["default"], c.get("comment"),
                             c.get("autoincrement")) for c in cols],
                "pk": insp.get_pk_constraint(t, schema=schema),
                "fks": insp.get_foreign_keys(t, schema=schema),
                "indexes": sorted(insp.get_indexes(t, schema=schema), key=lambda i: i["name"]),
                "unique": sorted(insp.get_unique_constraints(t, schema=schema), key=lambda u: u["name"]),
                "comment": insp.get_table_comment(t, schema=schema),
            }
        return out
    finally:
        eng.dispose()


@pytest.mark.parametrize("driver", DRIVERS)
def test_inspector_matches_postgres(both, driver):  # noqa: F811
    pg, gw = both
    expected = _reflect(pg, driver)
    assert expected["tables"] == ["dept", "emp", "refund"]
    assert _reflect(gw, driver) == expected


@pytest.mark.parametrize("driver", DRIVERS)
def test_inspector_second_schema_matches_postgres(both, driver):  # noqa: F811
    pg, gw = both
    expected = _reflect(pg, driver, schema="sales")
    assert expected["tables"] == ["item", "orders"]
    assert expected["orders"]["fks"][0]["referred_schema"] is None  # public, from the other schema
    assert _reflect(gw, driver, schema="sales") == expected


@pytest.mark.parametrize("driver", DRIVERS)
def test_alembic_autogenerate_finds_no_difference(both, driver):  # noqa: F811
    """Models reflected from PostgreSQL compared against the gateway: no diff."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    pg, gw = both
    pg_engine = _engine(pg, driver)
    metadata = sa.MetaData()
    for schema in (None, "sales"):
        metadata.reflect(pg_engine, schema=schema)
    pg_engine.dispose()
    eng = _engine(gw, driver)
    try:
        with eng.connect() as conn:
            opts = {"compare_type": True, "compare_server_default": True, "include_schemas": True}
            ctx = MigrationContext.configure(conn, opts=opts)
            assert compare_metadata(ctx, metadata) == []
    finally:
        eng.dispose()
