"""End to end: the real server with --backend embedded / dbapi over the fake iris
modules (tests/fakes on PYTHONPATH), driven by psycopg and asyncpg."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")
pytest.importorskip("iris_pgwire._core", reason="build the extension first: maturin develop")

from helpers.workloads import ledger_workload  # noqa: E402

FAKES = str(Path(__file__).resolve().parent / "fakes")
DBAPI_FLAGS = ["--iris-host", "localhost", "--iris-port", "1972", "--iris-namespace", "USER",
               "--iris-user", "_SYSTEM", "--iris-password", "SYS"]


class Server:
    def __init__(self, backend: str, data: Path, *extra: str, env: dict | None = None) -> None:
        self.data = data
        environ = dict(os.environ)
        environ["PYTHONPATH"] = os.pathsep.join([FAKES, environ.get("PYTHONPATH", "")])
        environ["FAKE_IRIS_DATA"] = str(data)
        environ["FAKE_IRIS_LOCK_TIMEOUT"] = "3"
        environ["FAKE_IRIS_TRACE"] = str(data / "trace.log")
        if backend == "dbapi":
            environ["FAKE_IRIS_EMBEDDED"] = "0"  # a plain Python has no iris.sql
        environ.update(env or {})
        args = [sys.executable, "-m", "iris_pgwire.server", "--backend", backend, "--port", "0", *extra]
        if backend == "dbapi":
            args += DBAPI_FLAGS
        self.proc = subprocess.Popen(args, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(r"listening on [\d.]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.lines) + self.proc.stdout.read())
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def connect(self, **kw):
        return psycopg.connect(host="127.0.0.1", port=self.port, user="u", dbname="d", **kw)

    def trace(self) -> str:
        p = self.data / "trace.log"
        return p.read_text() if p.exists() else ""

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(params=["embedded", "dbapi"])
def server(request, tmp_path):
    s = Server(request.param, tmp_path)
    s.backend = request.param
    yield s
    s.stop()


SCHEMA = "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), born DATE, ok BOOLEAN)"


def test_simple_query_results(server):
    with server.connect(autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO items (id, name, born, ok) VALUES (1, 'one', '2024-02-29', 1)")
        c.execute("INSERT INTO items (id, name, born, ok) VALUES (2, '', NULL, 0)")
        c.execute("INSERT INTO items (id, name, born, ok) VALUES (3, NULL, '1840-12-31', 0)")
        rows = c.execute("SELECT id, name, born, ok FROM items ORDER BY id").fetchall()
    assert rows == [(1, "one", dt.date(2024, 2, 29), True), (2, "", None, False), (3, None, dt.date(1840, 12, 31), False)]


def test_string_date_literals_filed_and_compared(server):
    """PostgreSQL-style '2024-02-29' for a DATE column: IRIS reads it in ODBC select
    mode (dbapi always; embedded once it has set the mode)."""
    with server.connect(autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO items (id, name, born) VALUES (1, 'leap', '2024-02-29')")
        c.execute("INSERT INTO items (id, name, born) VALUES (2, 'later', '2024-03-01')")
        c.execute("UPDATE items SET born = '2024-03-02' WHERE id = 2")
        assert c.execute("SELECT id FROM items WHERE born = '2024-02-29'").fetchall() == [(1,)]
        assert c.execute("SELECT id FROM items WHERE born > '2024-02-29'").fetchall() == [(2,)]
        assert c.execute("SELECT born FROM items WHERE id = 2").fetchone() == (dt.date(2024, 3, 2),)


def test_parameters_keep_null_and_empty_apart(server):
    with server.connect(autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO items (id, name, born, ok) VALUES (%s, %s, %s, %s)", (1, "", dt.date(2000, 1, 2), True))
        c.execute("INSERT INTO items (id, name, born, ok) VALUES (%s, %s, %s, %s)", (2, None, None, False))
        assert c.execute("SELECT id FROM items WHERE name = %s", ("",)).fetchall() == [(1,)]
        assert c.execute("SELECT id, name, born, ok FROM items ORDER BY id").fetchall() == [
            (1, "", dt.date(2000, 1, 2), True), (2, None, None, False)]


NUMERICS = "CREATE TABLE nums (id INT PRIMARY KEY, a NUMERIC(10,2), b NUMERIC, c NUMERIC(5,0))"
# Unconstrained NUMERIC values are canonical here: IRIS keeps no display scale ('1.50'
# reads back as 1.5, where PostgreSQL keeps the trailing zero; documented in docs/types.md).
NUMERIC_ROWS = [(1, "1.5", "1.25", "3"), (2, "2.345", "0.1", "4.6"), (3, "-12345678.9", "1234567.125", "-7")]


def _numeric_read(target_connect, binary: bool):
    with target_connect(autocommit=True) as c:
        c.execute(NUMERICS)
        for row in NUMERIC_ROWS:
            c.execute("INSERT INTO nums (id, a, b, c) VALUES (%s, %s, %s, %s)", row)
        with c.cursor(binary=binary) as cur:
            cur.execute("SELECT a, b, c, (a), nums.a FROM nums ORDER BY id")
            described = [(d.type_code, d.precision, d.scale) for d in cur.description]
            return described, [tuple(str(v) for v in r) for r in cur.fetchall()]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_numeric_columns_read_like_postgresql(server, pg15, binary):
    """IRIS returns canonical numbers (1.5 for a NUMERIC(10,2) value); the column's
    precision and scale from IRIS metadata make them read as PostgreSQL's 1.50, and
    RowDescription carries numeric(p,s) like PostgreSQL's, for column references."""
    import psycopg as pg
    want = _numeric_read(lambda **kw: pg.connect(pg15.dsn, **kw), binary)
    try:
        got = _numeric_read(server.connect, binary)
    finally:
        with pg.connect(pg15.dsn, autocommit=True) as c:
            c.execute("DROP TABLE nums")
    assert got == want


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_uuid_columns_read_back_as_uuid(server, binary):
    """A uuid column is an IRIS UNIQUEIDENTIFIER (GUID in the metadata), so it reads back
    typed uuid, as on PostgreSQL (as VARCHAR(36) it read back as varchar strings)."""
    u = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    with server.connect(autocommit=True) as c:
        c.execute("CREATE TABLE uu (id INT PRIMARY KEY, u UUID)")
        c.execute("INSERT INTO uu VALUES (1, %s)", (u,))
        cur = c.cursor(binary=binary)
        cur.execute("SELECT u FROM uu WHERE u = %s", (u,))
        assert cur.description[0].type_code == 2950
        assert cur.fetchall() == [(u,)]


def test_bytea_literals_are_their_bytes(server):
    """'\\x..'::bytea literals (psycopg2 and other client-side binding send bytes so) are
    written to IRIS as CHAR(code) || .. cast to VARBINARY: IRIS has no binary literal,
    and a string cast to VARBINARY is its characters."""
    with server.connect(autocommit=True) as c:
        c.execute("CREATE TABLE blobs (id INT PRIMARY KEY, b BYTEA)")
        c.execute("INSERT INTO blobs VALUES (1, '\\x00ff1027'::bytea)", prepare=False)
        assert c.execute("SELECT b FROM blobs WHERE b = '\\x00ff1027'::bytea").fetchall() == [(b"\x00\xff\x10\x27",)]
        assert c.execute("SELECT '\\x0102'::bytea AS x, 'abc'::bytea AS y").fetchone() == (b"\x01\x02", b"abc")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            c.execute("SELECT '\\x0'::bytea")


def test_string_columns_described_like_postgresql(server, pg15):
    """text reads back as text (the DDL's VARCHAR(65535) stand-in) and varchar(n)
    carries its length in RowDescription, as JDBC and GUI tools expect."""
    import psycopg as pg

    def read(connect):
        with connect(autocommit=True) as c:
            c.execute("CREATE TABLE strs (id INT PRIMARY KEY, t TEXT, v VARCHAR(20))")
            c.execute("INSERT INTO strs (id, t, v) VALUES (1, 'long text', 'short')")
            cur = c.execute("SELECT t, v, strs.v, upper(v) AS u FROM strs")
            return [(d.name, d.type_code, d.display_size) for d in cur.description], cur.fetchall()

    want = read(lambda **kw: pg.connect(pg15.dsn, **kw))
    try:
        got = read(server.connect)
    finally:
        with pg.connect(pg15.dsn, autocommit=True) as c:
            c.execute("DROP TABLE strs")
    # upper(v) is text in PostgreSQL; IRIS types the expression as VARCHAR of v's length.
    assert got[0][:3] == want[0][:3] and got[0][3][2] is None and got[1] == want[1]


@pytest.mark.parametrize("sql,sqlstate", [
    ("SELECT * FROM nosuch", "42P01"),
    ("SELECT nosuch FROM items", "42703"),
    ("INSERT INTO items (id, name) VALUES (1, 'dup')", "23505"),
    ("INSERT INTO items (name) VALUES ('no id')", "23502"),
    ("SELEC 1", "42601"),
])
def test_error_sqlstates(server, sql, sqlstate):
    with server.connect(autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO items (id, name) VALUES (1, 'x')")
        with pytest.raises(psycopg.Error) as err:
            c.execute(sql)
        assert err.value.sqlstate == sqlstate, (err.value, server.trace())
        # the session is usable after the error
        assert c.execute("SELECT COUNT(*) FROM items").fetchone() == (1,)


def asyncpg_run(server, work):
    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="u", database="d")
        try:
            await conn.execute(SCHEMA)
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_asyncpg(server):
    async def work(conn):
        await conn.execute("INSERT INTO items (id, name) VALUES ($1, $2)", 1, "a")
        rows = await conn.fetch("SELECT id, name FROM items WHERE id = $1", 1)
        with pytest.raises(asyncpg.PostgresError) as err:
            await conn.fetch("SELECT * FROM nosuch")
        return [tuple(r) for r in rows], err.value.sqlstate

    assert asyncpg_run(server, work) == ([(1, "a")], "42P01")


def test_asyncpg_typed_parameters(server):
    async def work(conn):
        await conn.execute("INSERT INTO items (id, name, born, ok) VALUES ($1, $2, $3, $4)", 1, "", dt.date(2024, 1, 1), True)
        return [tuple(r) for r in await conn.fetch("SELECT id, name, born, ok FROM items")]

    assert asyncpg_run(server, work) == [(1, "", dt.date(2024, 1, 1), True)]


# --- embedded select mode: ODBC when IRIS lets the job set it, else logical --------

TEMPORAL = "CREATE TABLE ev (id INT PRIMARY KEY, d DATE, t TIME, ts TIMESTAMP, tz TIMESTAMPTZ)"
TEMPORAL_ROW = (dt.date(2024, 2, 29), dt.time(12, 34, 56, 500000), dt.datetime(2024, 1, 2, 3, 4, 5, 250000),
                dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))))


@pytest.fixture(params=["odbc", "locked"])
def embedded(request, tmp_path):
    """The embedded backend in ODBC mode, and on an instance where SetOption("SelectMode")
    does not reach iris.sql (the backend stays in logical mode)."""
    env = {"FAKE_IRIS_SELECTMODE_LOCKED": "1"} if request.param == "locked" else {}
    s = Server("embedded", tmp_path, env=env)
    s.mode = request.param
    try:
        expected = "IRIS select mode: " + ("ODBC" if s.mode == "odbc" else "logical")
        assert any(expected in line for line in s.lines), s.lines
        yield s
    finally:
        s.stop()


def test_embedded_logs_its_select_mode(embedded):
    log = "".join(embedded.lines)
    # The backend's own warnings (the server adds one when no --hba-file is given).
    warnings = [line for line in embedded.lines if "WARNING iris_pgwire.backends" in line]
    if embedded.mode == "odbc":
        assert "IRIS select mode: ODBC" in log and warnings == []
    else:
        assert "IRIS select mode: logical" in log
        assert len(warnings) == 1 and "ODBC select mode" in warnings[0] and "DATE '2024-02-29'" in warnings[0]


def test_embedded_temporal_parameters_psycopg(embedded):
    with embedded.connect(autocommit=True) as c:
        c.execute(TEMPORAL)
        c.execute("INSERT INTO ev (id, d, t, ts, tz) VALUES (%s, %s, %s, %s, %s)", (1, *TEMPORAL_ROW))
        c.execute("INSERT INTO ev (id, d) VALUES (%s, %s)", (2, dt.date(1840, 12, 31)))
        row = c.execute("SELECT d, t, ts, tz FROM ev WHERE d = %s AND t = %s", TEMPORAL_ROW[:2]).fetchone()
        assert row == TEMPORAL_ROW
        assert c.execute("SELECT id FROM ev WHERE tz = %s", (TEMPORAL_ROW[3],)).fetchall() == [(1,)]
        assert c.execute("SELECT id, d FROM ev WHERE d < %s", (dt.date(2000, 1, 1),)).fetchall() == [
            (2, dt.date(1840, 12, 31))]


def test_embedded_temporal_parameters_asyncpg(embedded):
    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=embedded.port, user="u", database="d")
        try:
            await conn.execute(TEMPORAL)
            await conn.execute("INSERT INTO ev (id, d, t, ts, tz) VALUES ($1, $2, $3, $4, $5)", 1, *TEMPORAL_ROW)
            return [tuple(r) for r in await conn.fetch("SELECT d, t, ts, tz FROM ev WHERE d = $1", TEMPORAL_ROW[0])]
        finally:
            await conn.close()

    assert asyncio.run(run()) == [TEMPORAL_ROW]


def test_embedded_string_date_literal_by_mode(embedded):
    """ODBC mode files and compares '2024-02-29'. Logical mode rejects it with an
    error (SQLCODE -104 -> XX000), matches nothing with it, and takes DATE '..'."""
    with embedded.connect(autocommit=True) as c:
        c.execute(SCHEMA)
        c.execute("INSERT INTO items (id, born) VALUES (1, DATE '2024-02-29')")
        if embedded.mode == "odbc":
            c.execute("INSERT INTO items (id, born) VALUES (2, '2024-02-29')")
            assert c.execute("SELECT id FROM items WHERE born = '2024-02-29' ORDER BY id").fetchall() == [(1,), (2,)]
            return
        with pytest.raises(psycopg.Error) as err:
            c.execute("INSERT INTO items (id, born) VALUES (2, '2024-02-29')")
        assert err.value.sqlstate == "XX000" and err.value.diag.message_detail == "IRIS SQLCODE -104"
        assert c.execute("SELECT id FROM items WHERE born = '2024-02-29'").fetchall() == []
        assert c.execute("SELECT id FROM items WHERE born = DATE '2024-02-29'").fetchall() == [(1,)]


def test_transactions_never_see_uncommitted_rows(server):
    with server.connect(autocommit=True) as setup:
        setup.execute(SCHEMA)
    a = server.connect()
    b = server.connect(autocommit=True)
    try:
        a.execute("INSERT INTO items (id, name) VALUES (1, 'uncommitted')")  # opens a transaction
        seen: list = []

        def read():
            try:
                seen.append(b.execute("SELECT COUNT(*) FROM items").fetchone()[0])
            except psycopg.Error as e:
                seen.append(e.sqlstate)

        t = threading.Thread(target=read)
        t.start()
        t.join(2.0)
        assert seen == [0]  # its own job: reads committed data only, without waiting
        a.rollback()
        a.execute("INSERT INTO items (id, name) VALUES (2, 'committed')")
        a.commit()
        assert b.execute("SELECT id FROM items").fetchall() == [(2,)]
    finally:
        a.close()
        b.close()


def test_dbapi_sessions_write_in_parallel_transactions(tmp_path):
    s = Server("dbapi", tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            c.execute(SCHEMA)
        a, b = s.connect(), s.connect()
        a.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
        assert b.execute("SELECT COUNT(*) FROM items").fetchone() == (0,)
        a.commit()
        assert b.execute("SELECT COUNT(*) FROM items").fetchone() == (1,)
        b.commit()
        a.close()
        b.close()
    finally:
        s.stop()


def test_dbapi_unreachable_iris_fails_clearly(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([FAKES, os.environ.get("PYTHONPATH", "")]),
               FAKE_IRIS_DATA=str(tmp_path), FAKE_IRIS_EMBEDDED="0")
    args = [sys.executable, "-m", "iris_pgwire.server", "--backend", "dbapi", "--port", "0",
            "--iris-host", "localhost", "--iris-port", "1999"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if "iris-pgwire:" in line]
    assert len(errors) == 1 and "localhost:1999" in errors[0], proc.stderr


def test_dbapi_iris_going_away_gives_08006_and_the_pool_reconnects(tmp_path):
    """IRIS lost after start-up: statements fail with 08006 (the session stays
    usable, the broken connection is dropped) and once IRIS is back the pool
    connects again after its backoff; no restart needed."""
    s = Server("dbapi", tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            c.execute("CREATE TABLE k (id INT)")
            c.execute("INSERT INTO k (id) VALUES (1)")
            (tmp_path / "DOWN").write_text("")  # the fake's switch: IRIS unreachable
            for _ in range(2):  # the lost connection, then a failed reconnect
                with pytest.raises(psycopg.OperationalError) as err:
                    c.execute("SELECT id FROM k")
                assert err.value.sqlstate == "08006"
            os.remove(tmp_path / "DOWN")
            deadline = time.monotonic() + 15
            while True:
                try:
                    assert c.execute("SELECT id FROM k").fetchall() == [(1,)]
                    break
                except psycopg.OperationalError as e:
                    assert e.sqlstate == "08006" and time.monotonic() < deadline
                    time.sleep(0.2)
        assert any("next attempt in" in line for line in s.lines), "the pool logs its backoff"
    finally:
        s.stop()


@pytest.mark.parametrize("backend", ["embedded", "dbapi"])
def test_many_sessions_over_a_small_pool(tmp_path, backend):
    """40 sessions, 5 backend connections: every committed row lands once, no rolled-back row does."""
    s = Server(backend, tmp_path, "--pool-size", "5")
    try:
        with s.connect(autocommit=True) as c:
            c.execute(SCHEMA)
        errors: list = []

        def work(i: int) -> None:
            try:
                with s.connect() as conn:
                    conn.execute(f"INSERT INTO items (id, name) VALUES ({i}, 'kept')")
                    conn.commit()
                    conn.execute(f"INSERT INTO items (id, name) VALUES ({1000 + i}, 'dropped')")
                    conn.rollback()
            except Exception as e:  # collected, asserted below
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        with s.connect(autocommit=True) as c:
            assert c.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM items").fetchone() == (40, 0, 39)
    finally:
        s.stop()


def test_statement_timeout_follows_the_session(tmp_path):
    """SET statement_timeout reaches the DBAPI cursor (setQueryTimeout) of whichever
    pooled connection runs the session's next statement; a slow query gets 57014."""
    s = Server("dbapi", tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            c.execute("CREATE TABLE n (i INT)")
            c.cursor().executemany("INSERT INTO n (i) VALUES (%s)", [(k,) for k in range(400)])
            slow = "SELECT COUNT(*) FROM n a, n b, n c WHERE a.i + b.i + c.i = -1"
            c.execute("SET statement_timeout = '1s'")
            start = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled):
                c.execute(slow)
            assert time.monotonic() - start < 10
            c.execute("RESET statement_timeout")
            assert c.execute("SELECT COUNT(*) FROM n").fetchone() == (400,)
    finally:
        s.stop()


def test_parameterised_limit_offset_and_release(tmp_path):
    """IRIS takes no markers in TOP/LIMIT: bound values are written into the SQL.
    RELEASE SAVEPOINT, which IRIS lacks, completes without reaching it.
    (Before 2025.1 OFFSET becomes a %VID window, which the fake does not model.)"""
    s = Server("dbapi", tmp_path, "--iris-version", "2025.1")
    try:
        with s.connect(autocommit=True) as c:
            c.execute("CREATE TABLE n (i INT)")
            c.cursor().executemany("INSERT INTO n (i) VALUES (%s)", [(k,) for k in range(10)])
            rows = c.execute("SELECT i FROM n ORDER BY i LIMIT %s OFFSET %s", (3, 4)).fetchall()
            assert rows == [(4,), (5,), (6,)]
            assert c.execute("SELECT i FROM n ORDER BY i LIMIT %s", ("2",)).fetchall() == [(0,), (1,)]
            with pytest.raises(psycopg.errors.InvalidRowCountInLimitClause):
                c.execute("SELECT i FROM n ORDER BY i LIMIT %s", (-1,))
            with c.transaction():
                c.execute("SAVEPOINT a")
                c.execute("INSERT INTO n (i) VALUES (%s)", (99,))
                cur = c.execute("RELEASE SAVEPOINT a")
                assert cur.statusmessage == "RELEASE"
            assert c.execute("SELECT COUNT(*) FROM n").fetchone() == (11,)
    finally:
        s.stop()


def test_begin_isolation_level_reaches_iris(tmp_path):
    """BEGIN ISOLATION LEVEL READ COMMITTED runs IRIS's SET TRANSACTION before the
    transaction; levels IRIS lacks are refused with 0A000 instead of silently weakened."""
    s = Server("dbapi", tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            c.execute("CREATE TABLE n (i INT)")
            before = s.trace().count("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            c.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            c.execute("INSERT INTO n (i) VALUES (1)")
            c.execute("COMMIT")
            assert s.trace().count("SET TRANSACTION ISOLATION LEVEL READ COMMITTED") > before
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                c.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            assert c.execute("SELECT COUNT(*) FROM n").fetchone() == (1,)
    finally:
        s.stop()


def test_thousand_dbapi_sessions_over_a_pool_of_fifty(tmp_path):
    """The pooling workload of test_pool.py over the DBAPI backend: 1,000 psycopg
    sessions, 50 IRIS connections (jobs), no lost or cross-visible writes."""
    s = Server("dbapi", tmp_path, "--pool-size", "50", "--pool-timeout", "120", "--max-connections", "2000",
               env={"FAKE_IRIS_LOCK_TIMEOUT": "120"})
    try:
        dsn = f"host=127.0.0.1 port={s.port} user=u dbname=d"
        elapsed = ledger_workload(dsn, 1000, 3)
        print(f"1000 sessions x 3 tx over 50 dbapi connections: {elapsed:.1f}s")
    finally:
        s.stop()


@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_embedded_rows_from_result_set_metadata_only(tmp_path, protocol):
    """An instance whose prepared statements have no metadata accessor: the columns come
    from the result set after execution, and a SELECT still returns its rows."""
    s = Server("embedded", tmp_path, env={"FAKE_IRIS_STATEMENT_METADATA": "0"})
    try:
        with s.connect(autocommit=True) as c:
            c.execute(SCHEMA)
            c.execute("INSERT INTO items (id, name) VALUES (1, 'one')")
            c.execute("INSERT INTO items (id, name) VALUES (2, 'two')")
            query = "SELECT id, name FROM items WHERE id >= %s ORDER BY id"
            if protocol == "simple":
                cur = c.cursor()
                cur.execute(query.replace("%s", "1"))
            else:
                cur = c.execute(query, (1,), prepare=True)
            assert [d.name for d in cur.description] == ["id", "name"]
            assert cur.fetchall() == [(1, "one"), (2, "two")]
    finally:
        s.stop()
