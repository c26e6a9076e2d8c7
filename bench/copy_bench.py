"""COPY throughput and memory (prints a table; no assertions, not part of the tests).

    .venv/bin/python bench/copy_bench.py [--rows 1000000] [--iris-rows 200000] [--rss-rows 10000000]

Release build recommended (`maturin develop --release`). In one run, against fresh
servers: COPY FROM STDIN rows/s for a 3-column table (int, int, text) in text and binary
format into the gateway on sqlite, on the IRIS dbapi double (tests/fakes) and into
PostgreSQL 15 itself (a throwaway cluster, tests/helpers/pgcluster.py); COPY TO STDOUT
rows/s; `pgbench -i -s 10` (unmodified, its DDL and COPY) end to end; the gateway's peak RSS (VmHWM) after a large COPY FROM, beside its RSS after a
small one, which shows memory does not grow with the size of a COPY. The client sends
pre-encoded data in 64 KiB chunks, so the figures are the servers'.
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers.pgcluster import PgCluster  # noqa: E402

TABLE = "CREATE TABLE bench_copy (id int, grp int, label text)"
CHUNK = 64 * 1024


def text_chunks(rows: int):
    buf = []
    size = 0
    for i in range(rows):
        line = b"%d\t%d\tlabel number %d\n" % (i, i % 100, i)
        buf.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)


def binary_chunks(rows: int):
    buf = [b"PGCOPY\n\xff\r\n\0" + struct.pack("!ii", 0, 0)]
    size = 0
    for i in range(rows):
        label = b"label number %d" % i
        tup = struct.pack("!hiiiii", 3, 4, i, 4, i % 100, len(label)) + label
        buf.append(tup)
        size += len(tup)
        if size >= CHUNK:
            yield b"".join(buf)
            buf, size = [], 0
    buf.append(struct.pack("!h", -1))
    yield b"".join(buf)


class Gateway:
    def __init__(self, tmp: Path, *args: str, env: dict | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "iris_pgwire.server", "--port", "0", "--log-level", "info", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp, env={**os.environ, **(env or {})})
        self.port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.port is None:
            line = self.proc.stdout.readline()
            m = re.search(r"listening on [\d.]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
        if self.port is None:
            self.proc.kill()
            raise SystemExit("gateway did not start")
        subprocess.Popen(["cat"], stdin=self.proc.stdout, stdout=subprocess.DEVNULL)
        self.dsn = f"host=127.0.0.1 port={self.port} user=bench dbname=bench"

    def rss_kib(self, field: str) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def copy_in(dsn: str, rows: int, binary: bool) -> float:
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_copy")
        cur.execute(TABLE)
        chunks = list(binary_chunks(rows) if binary else text_chunks(rows))
        started = time.perf_counter()
        with cur.copy("COPY bench_copy FROM STDIN" + (" (FORMAT binary)" if binary else "")) as copy:
            for chunk in chunks:
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        assert cur.statusmessage == f"COPY {rows}", cur.statusmessage
        return elapsed


def copy_out(dsn: str, rows: int, binary: bool) -> float:
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor() as cur:
        started = time.perf_counter()
        size = 0
        with cur.copy("COPY bench_copy TO STDOUT" + (" (FORMAT binary)" if binary else "")) as copy:
            for chunk in copy:
                size += len(chunk)
        elapsed = time.perf_counter() - started
        assert size > rows
        return elapsed


PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def pgbench_init(port: int, scale: int) -> float:
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres", "PGDATABASE": "postgres"}
    started = time.perf_counter()
    r = subprocess.run([PGBENCH, "-i", "-s", str(scale)], capture_output=True, text=True, env=env, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"pgbench -i failed: {r.stderr}")
    return time.perf_counter() - started


def line(label: str, rows: int, seconds: float, reference: float | None = None) -> None:
    extra = f"  {100 * reference / seconds:5.0f}% of PostgreSQL" if reference else ""
    print(f"{label:<48} {rows / seconds:>12,.0f} rows/s  ({rows:,} in {seconds:6.2f} s){extra}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--iris-rows", type=int, default=200_000, help="rows for the IRIS double (slow by design)")
    ap.add_argument("--rss-rows", type=int, default=10_000_000)
    ap.add_argument("--pgbench-scale", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pg = PgCluster()
        pg.start()
        try:
            results = {}
            for binary in (False, True):
                fmt = "binary" if binary else "text"
                results[("pg", fmt, "in")] = copy_in(pg.dsn, args.rows, binary)
                results[("pg", fmt, "out")] = copy_out(pg.dsn, args.rows, binary)
            results["pgbench pg"] = pgbench_init(pg.port, args.pgbench_scale)
        finally:
            pg.stop()

        gw = Gateway(tmp, "--sqlite-path", str(tmp / "bench.sqlite"))
        try:
            for binary in (False, True):
                fmt = "binary" if binary else "text"
                results[("sqlite", fmt, "in")] = copy_in(gw.dsn, args.rows, binary)
                results[("sqlite", fmt, "out")] = copy_out(gw.dsn, args.rows, binary)
            results["pgbench sqlite"] = pgbench_init(gw.port, args.pgbench_scale)
        finally:
            gw.stop()

        fakes = ROOT / "tests" / "fakes"
        env = {"PYTHONPATH": f"{fakes}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "FAKE_IRIS_DATA": str(tmp / "iris"),
               "FAKE_IRIS_EMBEDDED": "0"}
        gw = Gateway(tmp, "--backend", "dbapi", "--iris-host", "localhost", "--iris-port", "1972", env=env)
        try:
            for binary in (False, True):
                fmt = "binary" if binary else "text"
                results[("iris", fmt, "in")] = copy_in(gw.dsn, args.iris_rows, binary)
            results[("iris", "text", "out")] = copy_out(gw.dsn, args.iris_rows, False)
            results["pgbench iris"] = pgbench_init(gw.port, args.pgbench_scale)
        finally:
            gw.stop()

        print(f"COPY, 3 columns (int, int, text); {args.rows:,} rows ({args.iris_rows:,} for the IRIS double)")
        for fmt in ("text", "binary"):
            pg_in = results[("pg", fmt, "in")]
            line(f"COPY FROM ({fmt}) PostgreSQL 15", args.rows, pg_in)
            line(f"COPY FROM ({fmt}) gateway, sqlite", args.rows, results[("sqlite", fmt, "in")], pg_in)
            line(f"COPY FROM ({fmt}) gateway, IRIS dbapi double", args.iris_rows, results[("iris", fmt, "in")])
        for fmt in ("text", "binary"):
            pg_out = results[("pg", fmt, "out")]
            line(f"COPY TO ({fmt}) PostgreSQL 15", args.rows, pg_out)
            line(f"COPY TO ({fmt}) gateway, sqlite", args.rows, results[("sqlite", fmt, "out")], pg_out)
        line("COPY TO (text) gateway, IRIS dbapi double", args.iris_rows, results[("iris", "text", "out")])
        accounts = args.pgbench_scale * 100_000
        for who, label in (("pg", "PostgreSQL 15"), ("sqlite", "gateway, sqlite"), ("iris", "gateway, IRIS dbapi double")):
            seconds = results[f"pgbench {who}"]
            print(f"pgbench -i -s {args.pgbench_scale} {label:<33} {seconds:8.2f} s  ({accounts / seconds:,.0f} accounts/s)")

        # Memory: peak RSS after a small COPY and after a large one, fresh server each.
        for rows in (args.rows // 10, args.rss_rows):
            gw = Gateway(tmp, "--sqlite-path", str(tmp / f"rss{rows}.sqlite"))
            try:
                before = gw.rss_kib("VmRSS")
                seconds = copy_in(gw.dsn, rows, False)
                peak = gw.rss_kib("VmHWM")
            finally:
                gw.stop()
            print(f"peak RSS, COPY FROM of {rows:>12,} rows (text)      {peak / 1024:8.1f} MiB"
                  f"  (at start {before / 1024:.1f} MiB; {rows / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
