"""Client tests against a real IRIS instance; skipped unless IRIS_HOST is set.

    IRIS_HOST=localhost IRIS_PORT=1972 IRIS_NAMESPACE=USER IRIS_USER=_SYSTEM \
    IRIS_PASSWORD=SYS pytest tests/iris

Needs intersystems-irispython (pip install 'iris-pgwire[dbapi]') and the built
extension. Every check here is one the fakes (tests/fakes) claim to model: a
failure means the fake or a "(verify)" fact in iris_common.py is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest

if not os.environ.get("IRIS_HOST"):
    pytest.skip("IRIS_HOST is not set: the real-IRIS suite needs an instance "
                "(IRIS_HOST, IRIS_PORT, IRIS_NAMESPACE, IRIS_USER, IRIS_PASSWORD)", allow_module_level=True)

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("iris.dbapi", reason="pip install 'iris-pgwire[dbapi]'")

CONFIG = {
    "iris_host": os.environ["IRIS_HOST"],
    "iris_port": int(os.environ.get("IRIS_PORT", "1972")),
    "iris_namespace": os.environ.get("IRIS_NAMESPACE", "USER"),
    "iris_user": os.environ.get("IRIS_USER", "_SYSTEM"),
    "iris_password": os.environ.get("IRIS_PASSWORD", "SYS"),
}
TABLE = f"pgwire_t_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def backend():
    from iris_pgwire.backends import dbapi

    b = dbapi.create(CONFIG)
    yield b
    c = b.connect()
    try:
        c.execute(f"DROP TABLE {TABLE}", [])
    except Exception:
        pass
    b.close()


@pytest.fixture(scope="module")
def server():
    args = [sys.executable, "-m", "iris_pgwire.server", "--backend", "dbapi", "--port", "0"]
    for key, value in CONFIG.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port, lines = None, []
    deadline = time.monotonic() + 30
    while port is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        port = int(m.group(1)) if m else None
    if port is None:
        proc.kill()
        pytest.fail("server did not start:\n" + "".join(lines))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    yield port
    proc.terminate()
    proc.wait(10)


def test_backend_describe_and_round_trip(backend):
    c = backend.connect()
    c.execute(f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, name VARCHAR(50), d DATE, tm TIME, "
              f"ts TIMESTAMP, p POSIXTIME, b BIT, n NUMERIC(10,2))", [])
    assert c.describe(f"SELECT * FROM {TABLE}") == [
        ("id", "int4"), ("name", "varchar"), ("d", "date"), ("tm", "time"), ("ts", "timestamp"),
        ("p", "timestamptz"), ("b", "bool"), ("n", "numeric")]
    c.execute(f"INSERT INTO {TABLE} (id, name, d, tm, ts, p, b, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              [1, "", "2024-02-29", "12:34:56", "2024-01-02 03:04:05", "2024-01-02 03:04:05+00", True, "1.5"])
    c.execute(f"INSERT INTO {TABLE} (id, name) VALUES (?, ?)", [2, None])
    rows = c.execute(f"SELECT id, name, d, tm, b FROM {TABLE} ORDER BY id", []).fetch(10)
    assert rows == [(1, "", dt.date(2024, 2, 29), dt.time(12, 34, 56), True), (2, None, None, None, None)]


def test_sqlstates(backend):
    c = backend.connect()
    from iris_pgwire.errors import BackendError

    for sql, state in [("SELECT * FROM pgwire_no_such_table", "42P01"), (f"SELECT nosuch FROM {TABLE}", "42703"),
                       (f"INSERT INTO {TABLE} (id) VALUES (1)", "23505"), ("SELEC 1", "42601")]:
        with pytest.raises(BackendError) as err:
            c.execute(sql, [])
        assert err.value.sqlstate == state, (sql, err.value)


def test_clients_through_the_gateway(server, backend):
    with psycopg.connect(host="127.0.0.1", port=server, user="u", dbname="d", autocommit=True) as c:
        assert c.execute("SELECT 1").fetchone() == (1,)
        assert c.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone() == (2,)


def test_sessions_do_not_see_uncommitted_rows(server, backend):
    a = psycopg.connect(host="127.0.0.1", port=server, user="u", dbname="d")
    b = psycopg.connect(host="127.0.0.1", port=server, user="u", dbname="d", autocommit=True)
    try:
        a.execute(f"INSERT INTO {TABLE} (id, name) VALUES (100, 'uncommitted')")
        assert b.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE id = 100").fetchone() == (0,)
        a.rollback()
    finally:
        a.close()
        b.close()


def test_cursor_with_hold_reads_on_after_commit(server, backend):
    """A WITH HOLD cursor keeps reading the IRIS result set it opened after COMMIT (the
    doubles assume an open result set survives the commit of its job's transaction)."""
    with psycopg.connect(host="127.0.0.1", port=server, user="u", dbname="d") as c:
        with c.cursor(name="held", withhold=True) as cur:
            cur.itersize = 1
            cur.execute(f"SELECT id FROM {TABLE} ORDER BY id")
            first = cur.fetchone()
            c.commit()
            assert (first, cur.fetchall()) == ((1,), [(2,)])
