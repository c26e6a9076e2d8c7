"""Cost of catalog queries on a fresh gateway (not part of the tests).

    python bench/catalog_bench.py [--tables 50] [--n 300]

Prints the mean round trip of psql's \\dt query and of SQLAlchemy's column
reflection query shape, against `SELECT 1` on the same connection, and the time of
the first catalog query after DDL (which takes a new snapshot).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.gateway import GatewayProcess  # noqa: E402

DT = """SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast'
  AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2"""

COLUMNS = """SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), a.attnotnull
FROM pg_catalog.pg_attribute a WHERE a.attrelid = 't1'::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum"""


def mean_ms(conn, sql: str, n: int) -> float:
    conn.execute(sql).fetchall()
    start = time.perf_counter()
    for _ in range(n):
        conn.execute(sql).fetchall()
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=50)
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    gw = GatewayProcess(("--catalog-refresh", "0")).start()
    try:
        with psycopg.connect(gw.dsn, autocommit=True) as conn:
            for i in range(args.tables):
                conn.execute(f"create table t{i} (id serial primary key, name varchar(40) not null, v numeric(10,2))")
            start = time.perf_counter()
            conn.execute(DT).fetchall()
            first = (time.perf_counter() - start) * 1000
            print(f"{args.tables} tables; first catalog query after DDL (new snapshot): {first:.1f} ms")
            for label, sql in [("SELECT 1", "SELECT 1"), ("psql \\dt", DT), ("\\d columns", COLUMNS)]:
                print(f"{label:12s} {mean_ms(conn, sql, args.n):6.2f} ms per query")
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
