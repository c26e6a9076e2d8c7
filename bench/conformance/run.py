"""Runs the drivers' own test suites against PostgreSQL 15 and the gateway's backends,
keeps the outcomes in target/conformance/results.json and writes docs/conformance.md.
Use bench/conformance/run.sh, which first installs what this needs.

  run.py [--suites psycopg,pg8000,node-postgres] [--targets postgres15,sqlite,embedded,dbapi]
         [--report-only]

A partial run replaces only the runs it made in results.json; the doc is rebuilt from
all of them."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import suites  # noqa: E402
from targets import ROOT, TARGETS, started  # noqa: E402

SUITES = ("psycopg", "pg8000", "node-postgres")
SCOPES = {
    "psycopg": "tests/ without the *_async.py twins of the sync tests (same statements), "
               "pool/ (needs psycopg_pool) and the suite's `slow`, `timing` and `flakey` markers.",
    "pg8000": "All of test/ but the three test_benchmarks.py files (timings; they need "
              "pytest-benchmark).",
    "node-postgres": "test/integration, one test per *-tests.js file (the suite's runner stops a "
                     "file at its first failure); unit tests (no server), native (pg-native) "
                     "and Cloudflare-worker tests not run.",
}


def make_suite(name: str, cache: Path):
    python = cache / "venv" / "bin" / "python"
    if name == "psycopg":
        return suites.Psycopg(cache, python)
    if name == "pg8000":
        return suites.Pg8000(cache, python)
    if name == "node-postgres":
        return suites.NodePostgres(cache, cache / "node" / "node_modules")
    raise ValueError(f"unknown suite {name!r} (one of {', '.join(SUITES)})")


def commit() -> str:
    """The checkout's commit, `+` when it has changes not committed (what the run tested)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short=10", "HEAD") or "unknown"
    return head + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--suites", default=",".join(SUITES))
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--results", type=Path, default=ROOT / "target" / "conformance" / "results.json")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "conformance.md")
    ap.add_argument("--report-only", action="store_true")
    opts = ap.parse_args()

    results = json.loads(opts.results.read_text()) if opts.results.exists() else {"suites": {}}
    out = opts.results.parent
    out.mkdir(parents=True, exist_ok=True)
    if not opts.report_only:
        for name in opts.suites.split(","):
            suite = make_suite(name, opts.cache)
            data = results["suites"].setdefault(name, {"runs": {}})
            data.update(version=suite.version, origin=suite.origin, scope=SCOPES[name],
                        date=dt.date.today().isoformat(), commit=commit())
            # The offline run depends on the suite only: made once per suite version.
            have_offline = data["runs"].get("offline", {}).get("version") == suite.version
            for target in [*([] if have_offline else ["offline"]), *opts.targets.split(",")]:
                start = time.monotonic()
                print(f"== {name} on {target}", flush=True)
                if target == "offline":
                    outcomes = suite.run(None, out)
                else:
                    with started(target) as server:
                        outcomes = suite.run(server, out)
                seconds = time.monotonic() - start
                if outcomes or target != "offline":
                    data["runs"][target] = {"seconds": seconds, "version": suite.version, "outcomes": outcomes}
                counts = {o: sum(1 for v in outcomes.values() if v[0] == o) for o in ("passed", "failed", "skipped")}
                print(f"   {counts} in {seconds:.0f} s", flush=True)
                opts.results.write_text(json.dumps(results, indent=1, sort_keys=True))
    entries = report.load_classes(HERE / "classes.toml")
    doc, failures = report.build(results, entries)
    opts.doc.write_text(doc)
    report.write_failures(opts.results.parent / "failures.tsv", failures)
    print(f"wrote {opts.doc} and {opts.results.parent / 'failures.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
