"""The execution path against its references, in one run on one machine (prints a table).

    scripts/bench.sh [--seconds 5] [--clients 1,8,64] [--write docs/performance.md]

Servers, each started fresh here:
  pg15          PostgreSQL 15 direct (a throwaway cluster, as in the tests)
  pgbouncer     PgBouncer (Debian's package) in front of that PostgreSQL, session pooling
  gw-sqlite     the gateway on its sqlite backend
  gw-noop       the gateway on a backend that does nothing (bench/noop_backend.py)
  gw-embedded-jN  the gateway on the embedded backend over the project's IRIS double,
                on N job worker processes (--iris-jobs N, N in --jobs: 1, 2, 4)
Figures: pgbench point-select TPS (simple and prepared protocol) at each client count;
p50/p99 latency of a prepared point select from psycopg, and for the IRIS double the same
statement called directly on the backend (the gateway's added latency is the difference);
rows/s streaming 1M rows (text and binary, a raw protocol client that does not decode);
RSS per idle connection with 10,000 idle sessions (1,000 on the embedded gateway) and RSS
of one job worker; a pgbench tpcb-like run (-i, then -c 8) on the double with its failed
transactions. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from helpers.net import free_port  # noqa: E402
from helpers.pgcluster import PgCluster, find_bindir  # noqa: E402

FAKES = ROOT / "tests" / "fakes"
POINT_SELECT = "SELECT abalance FROM pgbench_accounts WHERE aid = {}"
ACCOUNTS = 1000
STREAM_ROWS = 1_000_000
IDLE = 10_000


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Gateway:
    def __init__(self, name: str, tmp: Path, *args: str, env: dict | None = None) -> None:
        self.name = name
        environ = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        cmd = [sys.executable, "-m", "iris_pgwire.server", "--port", "0", "--log-level", "info",
               "--max-connections", str(IDLE + 200), *args]
        self.log = open(tmp / f"{name}.log", "w+")
        self.proc = subprocess.Popen(cmd, env=environ, stdout=self.log, stderr=subprocess.STDOUT, cwd=tmp)
        self.port = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.port:
            self.log.seek(0)
            m = re.search(r"listening on [\d.]+:(\d+)", self.log.read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.log.seek(0)
            raise SystemExit(f"{name} did not start:\n{self.log.read()}")
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def rss_kb(self, pid: int | None = None) -> int:
        for line in Path(f"/proc/{pid or self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def worker_pids(self) -> list[int]:
        """Its job workers (children running iris_pgwire.worker)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid), "-f", "iris_pgwire.worker"],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class PgBouncer:
    """PgBouncer as the postgres user (it refuses root too), session pooling: Debian's 1.18
    has no protocol-level prepared statements in transaction mode."""

    def __init__(self, tmp: Path, pg: PgCluster, clients: int) -> None:
        self.dir = tmp / "pgbouncer"
        self.dir.mkdir()
        self.port = free_port()
        (self.dir / "users.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            f"[databases]\npostgres = host=127.0.0.1 port={pg.port} dbname=postgres user=postgres\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir}/users.txt\npool_mode = session\n"
            f"max_client_conn = {IDLE + 200}\ndefault_pool_size = {clients + 4}\n"
            f"logfile = {self.dir}/pgbouncer.log\npidfile = {self.dir}/pgbouncer.pid\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        cmd = ["pgbouncer", "-q", str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for f in self.dir.iterdir():
                shutil.chown(f, "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                psycopg.connect(self.dsn, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise SystemExit("pgbouncer did not start: " + (self.dir / "pgbouncer.log").read_text())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def create_accounts(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS pgbench_accounts")
        c.execute("CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler varchar(84))")
        with c.transaction():
            c.cursor().executemany(
                "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES (%s, %s, %s, %s)",
                [(i, 1, i % 97, "x" * 84) for i in range(1, ACCOUNTS + 1)],
            )


def pgbench_tps(dsn: str, protocol: str, clients: int, seconds: float, script: Path) -> float:
    host, port = re.search(r"host=(\S+) port=(\d+)", dsn).groups()
    cmd = [str(find_bindir() / "pgbench"), "-n", "-f", str(script), "-M", protocol, "-c", str(clients),
           "-j", str(min(clients, 2)), "-T", str(int(seconds)), "-h", host, "-p", port, "-U", "postgres", "postgres"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 4 + 120)
    m = re.search(r"tps = ([\d.]+) \(without initial", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not m or (failed and failed.group(1) != "0"):
        print(f"    pgbench {protocol} c={clients} failed: {(out.stdout + out.stderr)[-600:]}", file=sys.stderr)
        return float("nan")
    return float(m.group(1))


def latencies_us(run_once, n: int) -> tuple[float, float]:
    for _ in range(200):
        run_once(0)
    samples = []
    for i in range(n):
        t = time.perf_counter_ns()
        run_once(i)
        samples.append((time.perf_counter_ns() - t) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def client_latency(dsn: str, n: int) -> tuple[float, float]:
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.cursor()
        sql = POINT_SELECT.format("%s")

        def once(i: int) -> None:
            cur.execute(sql, (i % ACCOUNTS + 1,), prepare=True)
            cur.fetchall()

        return latencies_us(once, n)


def direct_double_latency(tmp: Path, n: int) -> tuple[float, float]:
    """The point select called directly on the embedded backend over the IRIS double."""
    os.environ["FAKE_IRIS_DATA"] = str(tmp / "direct-double")
    sys.path.insert(0, str(FAKES))
    from iris_pgwire.backends import embedded

    backend = embedded.create({})
    conn = backend.connect()
    conn.execute("CREATE TABLE pgbench_accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, "
                 "filler VARCHAR(84))", [])
    for i in range(1, ACCOUNTS + 1):
        conn.execute("INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES (?, ?, ?, ?)",
                     [i, 1, i % 97, "x" * 84])
    sql = POINT_SELECT.format("?")

    def once(i: int) -> None:
        cur = conn.execute(sql, [i % ACCOUNTS + 1])
        cur.fetch(1000)
        cur.close()

    try:
        return latencies_us(once, n)
    finally:
        conn.close()


def startup_packet() -> bytes:
    body = struct.pack("!i", 3 << 16) + b"user\0postgres\0database\0postgres\0\0"
    return struct.pack("!i", len(body) + 4) + body


def read_until_ready(s: socket.socket) -> bytes:
    """Everything up to ReadyForQuery, without decoding messages (a client that costs nothing)."""
    chunks, tail = [], b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        chunks.append(chunk)
        tail = (tail + chunk)[-64:]
        if re.search(rb"Z\x00\x00\x00\x05[ITE]$", tail):
            return tail


def stream_rows_per_s(port: int, binary: bool) -> float:
    sql = b"SELECT id, v, t FROM big"
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(startup_packet())
        read_until_ready(s)

        def msg(tag: bytes, body: bytes) -> bytes:
            return tag + struct.pack("!i", len(body) + 4) + body

        if binary:
            request = (msg(b"P", b"\0" + sql + b"\0\0\0") + msg(b"B", b"\0\0" + struct.pack("!hhhh", 0, 0, 1, 1))
                       + msg(b"E", b"\0" + struct.pack("!i", 0)) + msg(b"S", b""))
        else:
            request = msg(b"Q", sql + b"\0")
        t = time.perf_counter()
        s.sendall(request)
        tail = read_until_ready(s)
        elapsed = time.perf_counter() - t
    rows = int(re.search(rb"SELECT (\d+)", tail).group(1))
    return rows / elapsed


def idle_rss_per_connection(gw: Gateway, count: int = IDLE) -> float:
    before = gw.rss_kb()
    socks = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(startup_packet())
            read_until_ready(s)
            socks.append(s)
        time.sleep(1)
        return (gw.rss_kb() - before) * 1024 / count
    finally:
        for s in socks:
            s.close()


def pgbench_tpcb(dsn: str, clients: int, seconds: float) -> str:
    """pgbench -i (scale 1), then the built-in tpcb-like script: TPS and failed transactions."""
    host, port = re.search(r"host=(\S+) port=(\d+)", dsn).groups()
    conn = ["-h", host, "-p", port, "-U", "postgres", "postgres"]
    init = subprocess.run([str(find_bindir() / "pgbench"), "-i", "-q", *conn], capture_output=True, text=True,
                          timeout=600)
    if init.returncode != 0:
        print(f"    pgbench -i failed: {(init.stdout + init.stderr)[-600:]}", file=sys.stderr)
        return "init failed"
    out = subprocess.run([str(find_bindir() / "pgbench"), "-n", "-c", str(clients), "-j", "2", "-T", str(int(seconds)),
                          *conn], capture_output=True, text=True, timeout=seconds * 4 + 120)
    tps = re.search(r"tps = ([\d.]+) \(without initial", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not tps:
        print(f"    pgbench tpcb-like failed: {(out.stdout + out.stderr)[-600:]}", file=sys.stderr)
        return "failed"
    return f"{fmt(float(tps.group(1)))} TPS, {failed.group(1) if failed else '?'} failed"


def fill_big_sqlite(gw: Gateway, path: Path) -> None:
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big (id int, v bigint, t text)")
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO big VALUES (?, ?, ?)", ((i, i * 2, f"row {i}") for i in range(STREAM_ROWS)))
    db.commit()
    db.close()


def fill_big_pg(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TABLE big AS SELECT g::int AS id, g * 2::bigint AS v, 'row ' || g AS t "
                  f"FROM generate_series(0, {STREAM_ROWS - 1}) g")


def fmt(v: float, digits: int = 0) -> str:
    return "n/a" if v != v else f"{v:,.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--clients", default="1,8,64")
    ap.add_argument("--latency-samples", type=int, default=3000)
    ap.add_argument("--jobs", default="1,2,4", help="--iris-jobs of the embedded gateways")
    ap.add_argument("--tpcb-seconds", type=float, default=30)
    ap.add_argument("--skip-idle", action="store_true", help="skip the 10,000 idle connections")
    ap.add_argument("--write", help="replace the execution table in this markdown file")
    args = ap.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    embedded = [f"gw-embedded-j{j}" for j in jobs]
    raise_fd_limit()
    tmp = Path(tempfile.mkdtemp(prefix="iris-pgwire-bench-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    script = tmp / "point.sql"
    script.write_text(f"\\set aid random(1, {ACCOUNTS})\n{POINT_SELECT.format(':aid')};\n")
    pg = PgCluster(max_connections=max(clients) + 40)
    servers: dict[str, object] = {}
    results: dict[str, dict[str, str]] = {}
    try:
        pg.start()
        servers["pg15"] = pg
        servers["pgbouncer"] = PgBouncer(tmp, pg, max(clients))
        servers["gw-sqlite"] = Gateway("gw-sqlite", tmp, "--backend", "sqlite", "--sqlite-path", str(tmp / "gw.sqlite"))
        servers["gw-noop"] = Gateway("gw-noop", tmp, "--backend", "noop_backend:NoopBackend",
                                     env={"PYTHONPATH": str(ROOT / "bench")})
        for j, name in zip(jobs, embedded):
            servers[name] = Gateway(name, tmp, "--backend", "embedded", "--iris-jobs", str(j),
                                    env={"PYTHONPATH": str(FAKES), "FAKE_IRIS_DATA": str(tmp / f"double-j{j}")})
        dsn = {name: s.dsn if hasattr(s, "dsn") and not isinstance(s, PgCluster) else
               f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres" for name, s in servers.items()}
        for name in ("pg15", "gw-sqlite", *embedded):
            create_accounts(dsn[name])
        for name in servers:
            row = results.setdefault(name, {})
            for protocol in ("simple", "prepared"):
                for c in clients:
                    tps = pgbench_tps(dsn[name], protocol, c, args.seconds, script)
                    row[f"{protocol} c={c}"] = fmt(tps)
                    print(f"{name:12} pgbench {protocol:8} {c:3} clients: {fmt(tps):>10} TPS", flush=True)
            p50, p99 = client_latency(dsn[name], args.latency_samples)
            row["p50 us"], row["p99 us"] = fmt(p50), fmt(p99)
            print(f"{name:12} point select latency p50 {p50:.0f} us, p99 {p99:.0f} us", flush=True)
        direct = direct_double_latency(tmp, args.latency_samples)
        results["IRIS double, direct call"] = {"p50 us": fmt(direct[0]), "p99 us": fmt(direct[1])}
        pg_rtt = float(results["pg15"]["p50 us"].replace(",", ""))
        added = {}
        for name in embedded:
            added[name] = float(results[name]["p50 us"].replace(",", "")) - direct[0]
            print(f"{name}: added latency {added[name]:.0f} us p50 (PostgreSQL 15 round trip {pg_rtt:.0f} us)")
        for name in embedded:
            gw = servers[name]
            pids = gw.worker_pids()
            if pids:
                per_job = sum(gw.rss_kb(p) for p in pids) / len(pids)
                results[name]["RSS/job"] = f"{per_job / 1024:.1f} MB"
                print(f"{name}: RSS per job worker {per_job / 1024:.1f} MB ({len(pids)} workers)")
            if not args.skip_idle:
                per = idle_rss_per_connection(gw, 1000)
                results[name]["idle RSS/conn"] = f"{per / 1024:.1f} KB"
                print(f"{name}: RSS per idle connection (1,000 idle): {per / 1024:.1f} KB")
        tpcb_on = embedded[-1]
        tpcb = pgbench_tpcb(dsn[tpcb_on], 8, args.tpcb_seconds)
        print(f"{tpcb_on}: pgbench tpcb-like -c 8 -T {args.tpcb_seconds:g}: {tpcb}")

        fill_big_pg(dsn["pg15"])
        fill_big_sqlite(servers["gw-sqlite"], tmp / "gw.sqlite")
        for name, port in (("pg15", pg.port), ("gw-sqlite", servers["gw-sqlite"].port)):
            for binary in (False, True):
                r = stream_rows_per_s(port, binary)
                results[name][f"stream {'binary' if binary else 'text'} rows/s"] = fmt(r)
                print(f"{name:12} streaming {STREAM_ROWS:,} rows {'binary' if binary else 'text'}: {fmt(r)} rows/s")
        if not args.skip_idle:
            per = idle_rss_per_connection(servers["gw-sqlite"])
            results["gw-sqlite"]["idle RSS/conn"] = f"{per / 1024:.1f} KB"
            print(f"gw-sqlite    RSS per idle connection ({IDLE:,} idle): {per / 1024:.1f} KB")
    finally:
        for name, s in servers.items():
            if name != "pg15":
                s.stop()
        pg.stop()
    table = render(results, clients, added, pg_rtt, (tpcb_on, args.tpcb_seconds, tpcb))
    print()
    print(table)
    if args.write:
        write_section(Path(args.write), table)
    return 0


def number(v: str) -> float:
    try:
        return float(v.replace(",", ""))
    except (AttributeError, ValueError):
        return float("nan")


def render(results: dict, clients: list[int], added: dict, pg_rtt: float, tpcb: tuple) -> str:
    cols = [f"{p} c={c}" for p in ("simple", "prepared") for c in clients] + [
        "p50 us", "p99 us", "stream text rows/s", "stream binary rows/s", "idle RSS/conn", "RSS/job"]
    lines = [
        f"Measured {dt.date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}, release build; pgbench point select on {ACCOUNTS:,} rows, "
        f"TPS (simple / prepared protocol) by client count; latency from one psycopg client.",
        "",
        "| server | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for name, row in results.items():
        lines.append(f"| {name} | " + " | ".join(row.get(c, "") for c in cols) + " |")
    lines += ["", "Added latency of the gateway over a direct call on the IRIS double (p50): "
              + ", ".join(f"{name} {v:.0f} us" for name, v in added.items())
              + f"; a whole PostgreSQL 15 round trip (p50): {pg_rtt:.0f} us (target: round trip + 50 us)."]
    on, seconds, outcome = tpcb
    lines += ["", f"pgbench tpcb-like on {on} (`pgbench -i`, then `-c 8 -T {seconds:g}`): {outcome}."]
    scaling = []
    for name in added:
        row = results[name]
        one = number(row.get(f"prepared c={clients[0]}", ""))
        cells = [f"{number(row.get(f'prepared c={c}', '')) / one:.2f}" for c in clients[1:]]
        scaling.append(f"| {name} | " + " | ".join(cells) + " |")
    if scaling and len(clients) > 1:
        lines += ["", "| prepared TPS ratio to 1 client | " + " | ".join(f"c={c}" for c in clients[1:]) + " |",
                  "|---" * len(clients) + "|", *scaling]
    ratios = []
    for c in clients:
        for p in ("simple", "prepared"):
            key = f"{p} c={c}"
            try:
                gw = float(results["gw-sqlite"][key].replace(",", ""))
                noop = float(results["gw-noop"][key].replace(",", ""))
                ref = float(results["pg15"][key].replace(",", ""))
                bouncer = float(results["pgbouncer"][key].replace(",", ""))
            except (KeyError, ValueError):
                continue
            ratios.append(f"| {key} | {gw / ref:.2f} | {noop / bouncer:.2f} |")
    if ratios:
        lines += ["", "| ratio | gw-sqlite / pg15 | gw-noop / pgbouncer |", "|---|---|---|", *ratios]
    return "\n".join(lines)


START, END = "<!-- execution-bench:start -->", "<!-- execution-bench:end -->"


def write_section(path: Path, table: str) -> None:
    text = path.read_text() if path.exists() else "# Performance\n\n"
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## Execution path\n\n" + block + "\n"
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
