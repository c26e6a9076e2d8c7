"""A/B benchmark: the same pgbench point selects against two builds of the gateway,
interleaved round by round so machine noise falls on both alike (prints a table).

    python bench/ab_bench.py --a .venv-a/bin/python --b .venv-b/bin/python \\
        [--rounds 5] [--seconds 5] [--clients 1,8] [--backends noop,sqlite] \\
        [--a-args "..."] [--b-args "..."] [--otlp-sink]

Each interpreter has its own build of iris_pgwire installed: release wheels of main and
of a branch (`maturin build --release`, then `pip install` into two venvs). Compare like
with like: `maturin develop` installs a debug build, several times slower.
Backends: `noop` (bench/noop_backend.py: what is left is the gateway's own cost, where
an overhead shows most) and `sqlite`. `--a-args` / `--b-args` add server flags to one
build (one build twice with different flags compares settings); `--otlp-sink` starts an
OTLP/HTTP endpoint that accepts and discards spans, written `{otlp}` in those flags
(`--b-args "--otel-endpoint {otlp}"` measures tracing). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import shlex
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import statistics
import subprocess
import tempfile
import time
import re
from pathlib import Path

from execution_bench import ACCOUNTS, POINT_SELECT, ROOT, create_accounts, pgbench_tps, raise_fd_limit


class Build:
    """One gateway process of one build."""

    def __init__(self, python: str, name: str, tmp: Path, backend: str, extra: list[str]) -> None:
        args = ["--backend", "noop_backend:NoopBackend"] if backend == "noop" else [
            "--backend", "sqlite", "--sqlite-path", str(tmp / f"{name}.sqlite")]
        args += extra
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT / "bench")}
        self.log = open(tmp / f"{name}.log", "w+")
        self.proc = subprocess.Popen([python, "-m", "iris_pgwire.server", "--port", "0", "--log-level", "info",
                                      *args], env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=tmp)
        self.port = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.port:
            self.log.seek(0)
            m = re.search(r"listening on [\d.]+:(\d+)", self.log.read())
            self.port = int(m.group(1)) if m else 0
            time.sleep(0.05)
        if not self.port:
            raise SystemExit(f"{name} did not start")
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Sink(BaseHTTPRequestHandler):
    """OTLP/HTTP traces endpoint that reads and discards what it gets."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="python of build A (the baseline)")
    ap.add_argument("--b", required=True, help="python of build B")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--backends", default="noop,sqlite")
    ap.add_argument("--a-args", default="", help="extra server flags of build A")
    ap.add_argument("--b-args", default="", help="extra server flags of build B")
    ap.add_argument("--otlp-sink", action="store_true", help="serve an OTLP/HTTP sink, {otlp} in the flags")
    args = ap.parse_args()
    otlp = ""
    if args.otlp_sink:
        sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        otlp = f"http://127.0.0.1:{sink.server_address[1]}"
    extra = {label: shlex.split(getattr(args, f"{label.lower()}_args").replace("{otlp}", otlp)) for label in "AB"}
    raise_fd_limit()
    tmp = Path(tempfile.mkdtemp(prefix="iris-pgwire-ab-"))
    script = tmp / "point.sql"
    script.write_text(f"\\set aid random(1, {ACCOUNTS})\n{POINT_SELECT.format(':aid')};\n")
    results: dict[tuple, list[float]] = {}
    for backend in args.backends.split(","):
        builds = {label: Build(py, f"{label}-{backend}", tmp, backend, extra[label])
                  for label, py in (("A", args.a), ("B", args.b))}
        try:
            if backend == "sqlite":
                for b in builds.values():
                    create_accounts(b.dsn)
            for r in range(args.rounds):
                for protocol in ("simple", "prepared"):
                    for c in (int(c) for c in args.clients.split(",")):
                        # Alternate which build goes first, round by round.
                        order = ("A", "B") if r % 2 == 0 else ("B", "A")
                        for label in order:
                            tps = pgbench_tps(builds[label].dsn, protocol, c, args.seconds, script)
                            results.setdefault((backend, protocol, c, label), []).append(tps)
                            print(f"round {r + 1} {backend:6} {protocol:8} c={c:<3} {label}: {tps:,.0f} TPS", flush=True)
        finally:
            for b in builds.values():
                b.stop()
    print()
    print("| backend | protocol | clients | A median TPS | B median TPS | B / A |")
    print("|---|---|---|---|---|---|")
    for (backend, protocol, c, label), tps in results.items():
        if label != "A":
            continue
        a = statistics.median(tps)
        b = statistics.median(results[(backend, protocol, c, "B")])
        print(f"| {backend} | {protocol} | {c} | {a:,.0f} | {b:,.0f} | {b / a:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
