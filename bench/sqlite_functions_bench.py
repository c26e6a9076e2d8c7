"""Cost of the sqlite backend's PostgreSQL semantics (prints figures; no assertions):
exact pg_sum()/pg_avg() against SQLite's sum()/avg(), and inserts into a numeric(10,2)
column with and without the triggers that store values at the column's scale
(python/iris_pgwire/backends/sqlite_functions.py).

    .venv/bin/python bench/sqlite_functions_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import time

from iris_pgwire.backends import sqlite_functions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    conn = sqlite3.connect(":memory:")
    sqlite_functions.register(conn)
    conn.execute("CREATE TABLE t (i INTEGER, n NUMERIC_TEXT(10,2) COLLATE pg_numeric, r REAL)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     ((i, f"{i % 1000}.{i % 100:02d}", i / 7) for i in range(args.rows)))
    print(f"{args.rows:,} rows; seconds per query (best of 3)")
    for column, kind in (("i", "integer"), ("n", "numeric text"), ("r", "real")):
        for builtin, ours in (("sum", "pg_sum"), ("avg", "pg_avg")):
            times = []
            for fn in (builtin, ours):
                best = min(_timed(conn, f"SELECT {fn}({column}) FROM t") for _ in range(3))
                times.append(best)
            print(f"  {builtin}({kind:12}) SQLite {times[0]:.3f}  exact {times[1]:.3f}  x{times[1] / times[0]:.1f}")
    print(f"inserting {args.rows:,} rows into numeric(10,2), seconds")
    for values, fmt in (("already at scale", "{}.50"), ("to be rounded", "{}.5")):
        plain, kept = (_insert(args.rows, fmt, triggers) for triggers in (False, True))
        print(f"  values {values:16} no triggers {plain:.3f}  scale triggers {kept:.3f}")


def _insert(rows: int, fmt: str, triggers: bool) -> float:
    conn = sqlite3.connect(":memory:")
    sqlite_functions.register(conn)
    ddl = "CREATE TABLE s (id INTEGER PRIMARY KEY, p NUMERIC_TEXT(10,2) COLLATE pg_numeric)"
    with sqlite_functions.ScaleTriggers.kept(conn, ddl) if triggers else contextlib.nullcontext():
        conn.execute(ddl)
    t0 = time.perf_counter()
    conn.executemany("INSERT INTO s VALUES (?, ?)", ((i, fmt.format(i)) for i in range(rows)))
    conn.commit()
    return time.perf_counter() - t0


def _timed(conn: sqlite3.Connection, sql: str) -> float:
    t0 = time.perf_counter()
    conn.execute(sql).fetchone()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
