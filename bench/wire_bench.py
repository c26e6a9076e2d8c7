"""Wire-level throughput of the gateway on the sqlite backend (prints figures; no assertions).

    .venv/bin/python bench/wire_bench.py [--seconds 5] [--rows 100000] [--clients 8]

Measures, against a freshly started server (release build recommended:
`maturin develop --release`):
  - simple-protocol `SELECT 1` round trips per second, one client;
  - prepared (extended protocol) point selects per second, one client;
  - the same with N concurrent clients;
  - rows per second for a large result in text and binary format.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "iris_pgwire.server", "--port", str(port),
         "--sqlite-path", os.path.join(tmp, "bench.sqlite"), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    dsn = f"host=127.0.0.1 port={port} user=bench dbname=bench"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            psycopg.connect(dsn, connect_timeout=1).close()
            return proc, dsn
        except psycopg.OperationalError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def rate(label: str, count: int, seconds: float, unit: str) -> None:
    print(f"{label:<44} {count / seconds:>12,.0f} {unit}/s  ({count:,} in {seconds:.2f}s)")


def loop(seconds: float, fn) -> int:
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        fn()
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, dsn = start_server(tmp)
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute("create table kv (id integer primary key, v text, n double precision)")
                with c.cursor() as cur:
                    cur.executemany(
                        "insert into kv values (%s, %s, %s)",
                        [(i, f"value {i}", i * 0.5) for i in range(args.rows)],
                    )

                cur = c.cursor()
                n = loop(args.seconds, lambda: cur.execute("SELECT 1", prepare=False).fetchall())
                rate("simple query SELECT 1, 1 client", n, args.seconds, "queries")
                n = loop(args.seconds, lambda: cur.execute(
                    "select v from kv where id = %s", (n % args.rows,), prepare=True).fetchall())
                rate("prepared point select, 1 client", n, args.seconds, "queries")

                for binary in (False, True):
                    start = time.monotonic()
                    with c.cursor(binary=binary) as bc:
                        rows = len(bc.execute("select id, v, n from kv").fetchall())
                    rate(f"large result ({'binary' if binary else 'text'})", rows, time.monotonic() - start, "rows")

            counts = [0] * args.clients

            def worker(i: int) -> None:
                with psycopg.connect(dsn, autocommit=True) as wc:
                    wcur = wc.cursor()
                    counts[i] = loop(args.seconds, lambda: wcur.execute(
                        "select v from kv where id = %s", (i,), prepare=True).fetchall())

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rate(f"prepared point select, {args.clients} clients", sum(counts), args.seconds, "queries")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
