#!/usr/bin/env python3
"""Writes the client compatibility matrix (docs/clients.md and the summary table in
README.md) from the junit XML report of a test run, so the matrix says what the tests
showed and cannot drift from them.

    scripts/client-matrix.py REPORT.xml [--check]

Only tests/clients/ counts: each file there names its client and the version under test
(junit properties `client`, `client_version`, see tests/clients/conftest.py). A file of
the run that has no test on one of the targets leaves the matrix untouched (a partial
run, `-k`, must not shrink it). --check exits 1 when the files differ from what the
report gives, without writing them.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "clients.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- client-matrix:begin -->", "<!-- client-matrix:end -->"
TARGETS = ("pg15", "gateway")
# tests/clients/test_iris_doubles.py: the same client programs over the IRIS backends' doubles.
IRIS = ("embedded", "dbapi")


@dataclass
class Case:
    module: str
    feature: str
    target: str
    outcome: str  # passed, xfail, failed, skipped
    reason: str
    seconds: float


@dataclass
class Client:
    name: str
    version: str
    modules: list[str] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)

    def on(self, target: str, outcome: str | None = None) -> list[Case]:
        return [c for c in self.cases if c.target == target and (outcome is None or c.outcome == outcome)]


def feature_name(test: str) -> tuple[str, str]:
    """'test_types[binary-gateway]' -> ('types (binary)', 'gateway')."""
    m = re.fullmatch(r"test_(\w+?)(?:\[(.*)\])?", test)
    base, params = (m.group(1), m.group(2) or "") if m else (test, "")
    parts = [p for p in params.split("-") if p]
    target = next((p for p in parts if p in TARGETS + IRIS), "")
    rest = [p for p in parts if p not in TARGETS + IRIS]
    if base == "step" and rest:  # test_iris_doubles: [backend-program-step]
        return rest[-1].replace("_", " "), target
    name = base.replace("_", " ")
    return (f"{name} ({', '.join(rest)})" if rest else name), target


def outcome_of(tc: ET.Element) -> tuple[str, str]:
    for child in tc:
        if child.tag in ("failure", "error"):
            return "failed", (child.get("message") or "").splitlines()[0][:200]
        if child.tag == "skipped":
            msg = child.get("message") or ""
            if child.get("type") == "pytest.xfail":
                return "xfail", msg
            return "skipped", re.sub(r"^Skipped: ", "", msg)
    return "passed", ""


def read_report(path: Path) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        module = tc.get("classname", "")
        if ".clients." not in f".{module}." and not module.startswith("clients."):
            continue
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        if "client" not in props:
            continue
        feature, target = feature_name(tc.get("name", ""))
        outcome, reason = outcome_of(tc)
        c = clients.setdefault(props["client"], Client(props["client"], props.get("client_version", "?")))
        if module not in c.modules:
            c.modules.append(module)
        c.cases.append(Case(module, feature, target, outcome, reason, float(tc.get("time") or 0)))
    return clients


def matrix_files() -> set[str]:
    """The test files of tests/clients/ that report under a client (CLIENT, or
    client_module() for test_iris_doubles.py); others there (TLS) are not matrix rows."""
    return {f"tests.clients.{p.stem}" for p in (ROOT / "tests" / "clients").glob("test_*.py")
            if re.search(r"^(CLIENT = |def client_module\()", p.read_text(), re.M)}


def complete(clients: dict[str, Client]) -> bool:
    """Every matrix file of tests/clients/ ran, on both targets."""
    files = matrix_files()
    ran = {m for c in clients.values() for m in c.modules}
    return ran == files and all(c.on(t) for c in clients.values() for t in TARGETS)


def features(cases: list[Case]) -> str:
    return ", ".join(dict.fromkeys(c.feature for c in cases)) or "—"


def by_reason(cases: list[Case]) -> list[tuple[str, list[Case]]]:
    groups: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.reason].append(c)
    return sorted(groups.items())


def summary_table(clients: dict[str, Client]) -> str:
    rows = ["| client | version tested | PostgreSQL 15 | gateway (sqlite) | gateway gaps (why) "
            "| IRIS doubles: embedded / dbapi |",
            "|---|---|---|---|---|---|"]
    for c in sorted(clients.values(), key=lambda c: c.name.lower()):
        def score(t: str) -> str:
            parts = [f"{len(c.on(t, 'passed'))}/{len(c.on(t))} pass"]
            for outcome in ("xfail", "failed", "skipped"):
                if c.on(t, outcome):
                    parts.append(f"{len(c.on(t, outcome))} {outcome}")
            return ", ".join(parts)
        gaps = "; ".join(sorted({short_reason(x.reason) for x in c.on("gateway", "xfail")})) or "none"
        if c.on("gateway", "failed"):
            gaps += "; FAILING: " + features(c.on("gateway", "failed"))
        iris = " / ".join(iris_score(c, b) for b in IRIS) if c.on(IRIS[0]) else "—"
        rows.append(f"| [{c.name}](docs/clients.md#{anchor(c.name)}) | {c.version} | {score('pg15')} "
                    f"| {score('gateway')} | {gaps} | {iris} |")
    return "\n".join(rows)


def iris_score(c: Client, backend: str) -> str:
    """'9/10' on one IRIS double; its failures named (xfails are counted in the total)."""
    score = f"{len(c.on(backend, 'passed'))}/{len(c.on(backend))}"
    if c.on(backend, "failed"):
        score += f" ({len(c.on(backend, 'failed'))} FAILING)"
    return score


def short_reason(reason: str) -> str:
    """'needs pg_catalog: issue 11 (why)' -> 'pg_catalog (issue 11)'; a gateway gap keeps
    its first clause."""
    m = re.match(r"needs ([^:]+): issue (\d+)", reason)
    if m:
        return f"{m.group(1)} (issue {m.group(2)})"
    if reason.startswith("pending emulation"):
        return reason.split(",")[0]
    if reason.startswith("gateway gap"):
        return reason.split(":", 1)[1].split(";")[0].split(",")[0].strip()
    return reason


def anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", name.lower()).replace(" ", "-")


def details(clients: dict[str, Client]) -> str:
    out = []
    for c in sorted(clients.values(), key=lambda c: c.name.lower()):
        out.append(f"## {c.name}\n")
        files = ", ".join(f"`{m.replace('.', '/')}.py`" for m in c.modules)
        out.append(f"Version tested: {c.version}. Test files: {files}.\n")
        out.append(f"- **Works on the gateway** (same results as PostgreSQL 15): {features(c.on('gateway', 'passed'))}.")
        for reason, cases in by_reason(c.on("gateway", "xfail")):
            out.append(f"- **Not yet** ({reason}): {features(cases)}.")
        for reason, cases in by_reason(c.on("gateway", "failed")):
            out.append(f"- **FAILING** ({reason}): {features(cases)}.")
        for reason, cases in by_reason(c.on("gateway", "skipped") + c.on("pg15", "skipped")):
            out.append(f"- Skipped ({reason}): {features(cases)}.")
        iris = [x for b in IRIS for x in c.cases if x.target == b]
        if iris:
            out.append(f"- **On the IRIS doubles** (embedded and dbapi backends, same steps compared with "
                       f"PostgreSQL 15): works on both: {features([x for x in c.on(IRIS[0], 'passed') if any(y.feature == x.feature for y in c.on(IRIS[1], 'passed'))])}.")
            for reason, cases in by_reason([x for x in iris if x.outcome != "passed"]):
                backends = "/".join(dict.fromkeys(x.target for x in cases))
                out.append(f"  - differs on {backends} ({reason}): {features(cases)}.")
        if c.on("pg15", "failed"):
            out.append(f"- **Fails on PostgreSQL 15 too** (a test bug): {features(c.on('pg15', 'failed'))}.")
        out.append("")
    return "\n".join(out)


def timings(clients: dict[str, Client]) -> str:
    """Seconds each client's tests took (both targets, building its program included):
    printed with the run, not written to the docs, where they would change every run."""
    lines = [f"  {sum(x.seconds for x in c.cases):6.1f} s  {c.name}"
             for c in sorted(clients.values(), key=lambda c: -sum(x.seconds for x in c.cases))]
    total = sum(x.seconds for c in clients.values() for x in c.cases)
    return "client-matrix: time per client in this run\n" + "\n".join(lines) + f"\n  {total:6.1f} s  total"


# Tools asked for in the matrix that cannot be installed on the project's machines (only
# the package registries are reachable), and why.
NOT_INSTALLABLE = """## Not in the matrix: cannot be installed here

- **Prisma's migrate engine** (`prisma migrate`, `prisma db push`): a Rust binary the `prisma`
  CLI downloads from Prisma's own host, which is not a package registry. The matrix runs
  Prisma's client as applications do (above): npm installs the packages without their install
  scripts (`npm ci --ignore-scripts`: `@prisma/engines`' postinstall would fetch the binaries),
  `prisma generate` (prisma-client-js: JavaScript and the Wasm query compiler, no engine) runs
  with `PRISMA_SCHEMA_ENGINE_BINARY` naming an existing file, since every CLI command first
  looks for the migrate engine and generate never runs it; and the tables come from the script
  `prisma migrate diff --from-empty --script` writes for the schema
  (tests/clients/node/prisma/migration.sql), run as one simple-protocol query as
  `prisma migrate deploy` runs it.
- **dbt-core 1.12** builds from a wheel that its build step downloads from outside PyPI;
  the matrix tests dbt-core 1.11 (the newest line that installs from PyPI alone).
"""


def render_doc(clients: dict[str, Client]) -> str:
    return f"""# Client compatibility matrix

Generated by `scripts/client-matrix.py` from the junit report of the last full test run
(`scripts/test.sh` writes it and regenerates this file and the README's table): do not edit
by hand. Every client has one test file under `tests/clients/`, run with the client's
default settings against PostgreSQL 15 and against the gateway (sqlite backend), both
requiring SCRAM-SHA-256 from the test user: every client logs in with a password. A test
marked xfail (strict) is a known gap with its reason, usually a feature another issue adds;
it fails the run the day it starts passing, so this table is updated with it.

Columns: tests passed of those run per target, and the gateway's gaps with their reasons.
Every test runs the same steps on both targets with the same expected values.

{summary_table(clients).replace("(docs/clients.md#", "(#")}

The last column: tests that pass over the IRIS backends (`--backend embedded` and
`--backend dbapi`, on the IRIS doubles of `tests/fakes`, which follow what IRIS documents),
of those run there: the client's own test file where it runs on the doubles too
(`IRIS_DOUBLES = True`), else the steps of its program compared with PostgreSQL 15
(`tests/clients/test_iris_doubles.py`). A step IRIS itself cannot do is a strict xfail whose
reason names the IRIS limit and what to write instead.

{details(clients)}
{NOT_INSTALLABLE}"""


def render_readme(text: str, clients: dict[str, Client]) -> str:
    block = (f"{BEGIN}\n<!-- generated by scripts/client-matrix.py from the test run; "
             f"details in docs/clients.md -->\n{summary_table(clients)}\n{END}")
    if BEGIN in text and END in text:
        return re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    raise SystemExit(f"{README}: markers {BEGIN} / {END} missing")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    clients = read_report(args.report)
    if not complete(clients):
        print("client-matrix: the report does not cover every client on both targets "
              "(partial run); docs/clients.md left as it is")
        return 0
    print(timings(clients))
    want = {DOC: render_doc(clients), README: render_readme(README.read_text(), clients)}
    stale = [p for p, text in want.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"client-matrix: {p.relative_to(ROOT)} is not what this run shows")
        return 1 if stale else 0
    for p in stale:
        p.write_text(want[p])
        print(f"client-matrix: wrote {p.relative_to(ROOT)} (commit it with the change that moved it)")
    if not stale:
        print("client-matrix: docs/clients.md and README.md are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
