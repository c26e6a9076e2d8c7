"""Catalog queries of real tools (tests/catalog_queries/*.sql) run on PostgreSQL 15
and on the gateway: no error, the same column types, and where marked the same rows
(`-- compare: rows`; `-- compare: rows in any order` for a query without ORDER BY)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from test_catalog_psql import both  # noqa: F401  (module fixture: fresh pg15 + gateway)

CASES_DIR = Path(__file__).parent / "catalog_queries"


def _cases():
    for path in sorted(CASES_DIR.glob("*.sql")):
        for block in path.read_text().split("-- case: ")[1:]:
            head, _, rest = block.partition("\n")
            lines = rest.splitlines()
            meta = [ln for ln in lines if ln.startswith("-- ")]
            sql = "\n".join(ln for ln in lines if not ln.startswith("-- ")).strip()
            compare = next((ln for ln in meta if ln.startswith("-- compare: rows")), None)
            yield pytest.param(sql, compare, id=f"{path.stem}:{head.strip()}")


def _run(target, sql):
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        cur = conn.execute(sql)
        return [(d.name, d.type_code) for d in cur.description], cur.fetchall()


@pytest.mark.parametrize(("sql", "compare"), list(_cases()))
def test_tool_query(both, sql, compare):  # noqa: F811
    pg, gw = both
    pg_cols, pg_rows = _run(pg, sql)
    gw_cols, gw_rows = _run(gw, sql)
    assert gw_cols == pg_cols
    if compare and compare.endswith("in any order"):
        assert sorted(gw_rows, key=repr) == sorted(pg_rows, key=repr)
    elif compare:
        assert gw_rows == pg_rows
