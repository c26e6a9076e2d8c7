"""The servers a suite runs against, each fresh for one suite run: a throwaway
PostgreSQL 15 cluster (the reference), and the gateway with its defaults on sqlite and on
the IRIS doubles (tests/fakes, embedded and dbapi), started as the project's tests start
them (tests/helpers/pgcluster.py, tests/helpers/gateway.py, tests/test_iris_e2e.py)."""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from suites import Server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

TARGETS = ("postgres15", "sqlite", "embedded", "dbapi")


@contextmanager
def started(name: str):
    if name == "postgres15":
        from helpers.pgcluster import PgCluster

        cluster = PgCluster(max_connections=100)
        try:
            cluster.start()
            if cluster.user != "postgres":
                # Not root: initdb's superuser is the OS user; pg8000's tests log in as postgres.
                cluster._run(str(cluster.bindir / "psql"), "-X", "-q", "-h", str(cluster.sockdir),
                             "-p", str(cluster.port), "-U", cluster.user, "-d", "postgres",
                             "-c", "create role postgres superuser login")
            yield Server(name, cluster.host, cluster.port)
        finally:
            cluster.stop()
    elif name == "sqlite":
        from helpers.gateway import GatewayProcess

        gw = GatewayProcess().start()
        try:
            yield Server(name, gw.host, gw.port)
        finally:
            gw.stop()
            gw.cleanup()
    elif name in ("embedded", "dbapi"):
        from test_iris_e2e import Server as DoublesGateway

        with tempfile.TemporaryDirectory(prefix=f"iris-pgwire-conformance-{name}-") as data:
            gw = DoublesGateway(name, Path(data))
            try:
                # The two IRIS targets share the doubles' SQL engine, and embedded runs in ODBC
                # select mode, so equal counts are expected: make sure each is the backend it says.
                if not any(f"starting on the {name} backend" in line for line in gw.lines):
                    raise RuntimeError(f"the {name} target did not start the {name} backend:\n" + "".join(gw.lines))
                yield Server(name, "127.0.0.1", gw.port)
            finally:
                gw.stop()
    else:
        raise ValueError(f"unknown target {name!r} (one of {', '.join(TARGETS)})")
