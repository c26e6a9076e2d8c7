"""Cost of the sqlite backend's exact aggregates against SQLite's own (prints figures;
no assertions). The translator turns sum()/avg() into pg_sum()/pg_avg()
(python/iris_pgwire/backends/sqlite_functions.py); this measures what that costs.

    .venv/bin/python bench/sqlite_functions_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
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


def _timed(conn: sqlite3.Connection, sql: str) -> float:
    t0 = time.perf_counter()
    conn.execute(sql).fetchone()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
