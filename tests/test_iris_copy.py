"""COPY, pgbench -i and cancel over the IRIS doubles (--backend embedded / dbapi on the
fake iris modules, as in test_iris_e2e.py)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import threading
import time

import pytest

psycopg = pytest.importorskip("psycopg")

from test_iris_e2e import Server  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


@pytest.fixture(params=["embedded", "dbapi"])
def server(request, tmp_path):
    s = Server(request.param, tmp_path, "--copy-batch-rows", "7")
    s.backend = request.param
    yield s
    s.stop()


ITEMS = "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), born DATE, ok BOOLEAN)"


def test_copy_in_and_out(server):
    with server.connect(autocommit=True) as c, c.cursor() as cur:
        cur.execute(ITEMS)
        with cur.copy("COPY items FROM STDIN") as copy:
            for i in range(1, 21):
                copy.write_row((i, "" if i == 2 else f"n{i}", dt.date(2024, 1, i), i % 2 == 0))
            copy.write_row((21, None, None, None))
        assert cur.statusmessage == "COPY 21"
        cur.execute("SELECT id, name, born, ok FROM items WHERE id IN (1, 2, 21) ORDER BY id")
        assert cur.fetchall() == [(1, "n1", dt.date(2024, 1, 1), False), (2, "", dt.date(2024, 1, 2), True),
                                  (21, None, None, None)]
        with cur.copy("COPY (SELECT id, name, born, ok FROM items WHERE id <= 2 OR id = 21 ORDER BY id) "
                      "TO STDOUT WITH (FORMAT csv)") as copy:
            out = b"".join(bytes(chunk) for chunk in copy)
    assert out == b'1,n1,2024-01-01,f\n2,"",2024-01-02,t\n21,,,\n'
    # The rows went to IRIS in batches of --copy-batch-rows.
    assert server.trace().count("INSERT INTO items") >= 1


def test_copy_error_names_line_and_commits_nothing(server):
    with server.connect(autocommit=True) as c, c.cursor() as cur:
        cur.execute(ITEMS)
        data = b"".join(b"%d\tx\t\\N\t\\N\n" % i for i in range(1, 12)) + b"5\tdup\t\\N\t\\N\n"
        with pytest.raises(psycopg.errors.UniqueViolation) as info:
            with cur.copy("COPY items FROM STDIN") as copy:
                copy.write(data)
        assert info.value.diag.context == "COPY items, line 12"
        with pytest.raises(psycopg.errors.InvalidDatetimeFormat) as info:
            with cur.copy("COPY items (id, born) FROM STDIN") as copy:
                copy.write(b"100\t2024-01-01\n101\tnot a date\n")
        assert info.value.diag.context == 'COPY items, line 2, column born: "not a date"'
        assert cur.execute("SELECT count(*) FROM items").fetchone() == (0,)


@pytest.mark.skipif(not os.path.exists(PGBENCH), reason="pgbench comes with postgresql-15")
def test_pgbench_init(tmp_path):
    for backend in ("embedded", "dbapi"):
        server = Server(backend, tmp_path / backend)
        try:
            env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(server.port), "PGUSER": "u", "PGDATABASE": "d"}
            r = subprocess.run([PGBENCH, "-i", "-s", "1"], capture_output=True, text=True, timeout=300, env=env)
            assert r.returncode == 0, r.stderr + "".join(server.lines)
            with server.connect(autocommit=True) as c:
                assert c.execute("SELECT count(*) FROM pgbench_accounts").fetchone() == (100000,)
                with pytest.raises(psycopg.errors.UniqueViolation):
                    c.execute("INSERT INTO pgbench_branches (bid, bbalance) VALUES (1, 0)")
        finally:
            server.stop()


def test_cancel_stops_an_iris_statement(server):
    with server.connect(autocommit=True) as c:
        c.execute("CREATE TABLE n (i INT)")
        with c.cursor() as cur:
            cur.executemany("INSERT INTO n (i) VALUES (%s)", [(i,) for i in range(200)])
        timer = threading.Timer(0.5, c.cancel)
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled) as info:
                c.execute("SELECT COUNT(*) FROM n a, n b, n c, n d")
        finally:
            timer.cancel()
        assert str(info.value).startswith("canceling statement due to user request")
        assert time.monotonic() - started < 10
        assert c.execute("SELECT COUNT(*) FROM n").fetchone() == (200,)


def test_statement_timeout_stops_an_iris_statement(server):
    """statement_timeout goes through the cancel path (CANCEL QUERY / CancelQuery) on both
    IRIS backends; in a transaction block the block is aborted, as in PostgreSQL."""
    with server.connect(options="-c statement_timeout=500") as c:
        c.execute("CREATE TABLE n (i INT)")
        with c.cursor() as cur:
            cur.executemany("INSERT INTO n (i) VALUES (%s)", [(i,) for i in range(200)])
        c.commit()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as info:
            c.execute("SELECT COUNT(*) FROM n a, n b, n c, n d")
        assert info.value.diag.message_primary == "canceling statement due to statement timeout"
        assert time.monotonic() - started < 10
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            c.execute("SELECT 1")
        c.rollback()
        assert c.execute("SELECT COUNT(*) FROM n").fetchone() == (200,)
