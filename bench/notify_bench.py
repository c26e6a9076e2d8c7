"""LISTEN / NOTIFY on the gateway beside PostgreSQL 15 (prints a table; asserts nothing).

    python bench/notify_bench.py [--rounds 300] [--burst 10000] [--fanout 50]

Servers, each started fresh: PostgreSQL 15, the gateway on sqlite, and the gateway on the
embedded IRIS double (for the IRIS row: notifications sent by another IRIS job with
iris_pgwire.notify, taken by the gateway's poller at its default 0.25 s interval).
Figures, psycopg 3 clients:
  wake p50/p99   an idle listener blocked in notifies(): NOTIFY sent, notification in hand
  burst/s        one transaction of --burst distinct NOTIFYs, until the listener has them all
  fanout p50     one NOTIFY to --fanout idle listeners, until the last has it
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from helpers.gateway import GatewayProcess  # noqa: E402
from helpers.pgcluster import PgCluster  # noqa: E402

FAKES = ROOT / "tests" / "fakes"


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def wake(dsn: str, rounds: int) -> list[float]:
    with connect(dsn) as a, connect(dsn) as b:
        a.execute("LISTEN bench")
        out = []
        for i in range(rounds):
            start = [0.0]

            def send():
                time.sleep(0.002)
                start[0] = time.perf_counter()
                b.execute("NOTIFY bench, '%s'" % i)

            t = threading.Thread(target=send)
            t.start()
            next(a.notifies(timeout=5, stop_after=1))
            out.append(time.perf_counter() - start[0])
            t.join()
        return out


def burst(dsn: str, n: int) -> float:
    with connect(dsn) as a, connect(dsn) as b:
        a.execute("LISTEN burst")
        start = time.perf_counter()
        with b.transaction():
            with b.cursor() as cur:
                cur.executemany("select pg_notify('burst', %s)", [(str(i),) for i in range(n)])
        got = sum(1 for _ in a.notifies(timeout=30, stop_after=n))
        assert got == n, got
        return n / (time.perf_counter() - start)


def fanout(dsn: str, listeners: int, rounds: int = 20) -> list[float]:
    conns = [connect(dsn) for _ in range(listeners)]
    try:
        for c in conns:
            c.execute("LISTEN fan")
        out = []
        with connect(dsn) as b:
            for _ in range(rounds):
                done = []
                threads = [threading.Thread(target=lambda c=c: done.append(next(c.notifies(timeout=5, stop_after=1))))
                           for c in conns]
                for t in threads:
                    t.start()
                time.sleep(0.05)
                start = time.perf_counter()
                b.execute("NOTIFY fan")
                for t in threads:
                    t.join()
                out.append(time.perf_counter() - start)
        return out
    finally:
        for c in conns:
            c.close()


def iris_wake(tmp: Path, rounds: int) -> list[float]:
    """Another IRIS job notifies (iris_pgwire.notify); the gateway's poller delivers."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAKES), os.environ.get("PYTHONPATH", "")]),
           "FAKE_IRIS_DATA": str(tmp)}
    gw = GatewayProcess(("--backend", "embedded"), env).start()
    job = subprocess.Popen([sys.executable, "-c", "import sys, iris_pgwire\nfor line in sys.stdin:\n"
                            "    iris_pgwire.notify('iris', line.strip())\n    print(flush=True)\n"],
                           env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        with connect(gw.dsn) as a:
            a.execute("LISTEN iris")
            out = []
            for i in range(rounds):
                start = time.perf_counter()
                job.stdin.write(f"{i}\n")
                job.stdin.flush()
                job.stdout.readline()
                next(a.notifies(timeout=5, stop_after=1))
                out.append(time.perf_counter() - start)
            return out
    finally:
        job.stdin.close()
        job.wait(10)
        gw.stop()


def ms(xs: list[float], q: float) -> str:
    xs = sorted(xs)
    return f"{xs[min(len(xs) - 1, int(q * len(xs)))] * 1000:.2f}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--burst", type=int, default=10000)
    p.add_argument("--fanout", type=int, default=50)
    args = p.parse_args()
    pg = PgCluster(max_connections=args.fanout + 20)
    pg.start()
    gw = GatewayProcess().start()
    try:
        print(f"{'server':<14} {'wake p50 ms':>12} {'wake p99 ms':>12} {'burst/s':>10} {'fanout p50 ms':>14}")
        for name, dsn in (("pg15", pg.dsn), ("gw-sqlite", gw.dsn)):
            w = wake(dsn, args.rounds)
            b = burst(dsn, args.burst)
            f = fanout(dsn, args.fanout)
            print(f"{name:<14} {ms(w, .5):>12} {ms(w, .99):>12} {b:>10.0f} {statistics.median(f) * 1000:>14.2f}")
        with tempfile.TemporaryDirectory() as tmp:
            w = iris_wake(Path(tmp), min(args.rounds, 40))
            print(f"{'gw-embedded*':<14} {ms(w, .5):>12} {ms(w, .99):>12} {'':>10} {'':>14}")
        print("* sent from IRIS code (iris_pgwire.notify in another IRIS-double job), polled every 0.25 s")
    finally:
        gw.stop()
        pg.stop()


if __name__ == "__main__":
    main()
