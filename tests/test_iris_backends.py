"""The embedded and DBAPI backends against the fake iris modules, through base.py's protocol."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import threading
import time
import uuid

import pytest

import iris_fakes
from iris_pgwire.errors import BackendError, ConfigError

DBAPI_CONFIG = {
    "iris_host": "localhost", "iris_port": 1972, "iris_namespace": "USER",
    "iris_user": "_SYSTEM", "iris_password": "SYS",
}
TABLE = (
    "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(50), d DATE, tm TIME, ts TIMESTAMP, "
    "p POSIXTIME, b BIT, n NUMERIC(10,2), f DOUBLE, u UNIQUEIDENTIFIER, big BIGINT, bin VARBINARY(20))"
)
COLUMNS = [
    ("id", "int4"), ("name", "varchar(50)"), ("d", "date"), ("tm", "time"), ("ts", "timestamp"),
    ("p", "timestamptz"), ("b", "bool"), ("n", "numeric(10,2)"), ("f", "float8"), ("u", "uuid"),
    ("big", "int8"), ("bin", "bytea"),
]


@pytest.fixture
def fakes(monkeypatch, tmp_path):
    iris_fakes.install(monkeypatch, tmp_path)
    yield tmp_path
    iris_fakes.purge()


def make_backend(kind: str, **extra):
    if kind == "embedded":
        from iris_pgwire.backends import embedded

        return embedded.create({"iris_namespace": "USER", **extra})
    from iris_pgwire.backends import dbapi

    return dbapi.create({**DBAPI_CONFIG, **extra})


@pytest.fixture(params=["embedded", "embedded-logical", "dbapi"])
def backend(request, fakes, monkeypatch):
    """dbapi, and embedded in ODBC select mode and (SetOption without effect) logical mode."""
    if request.param == "embedded-logical":
        monkeypatch.setenv("FAKE_IRIS_SELECTMODE_LOCKED", "1")
    b = make_backend(request.param.split("-")[0])
    if request.param.startswith("embedded"):
        assert b.select_mode == ("logical" if request.param == "embedded-logical" else "odbc")
    yield b
    b.close()


def rows(conn, sql, params=()):
    cur = conn.execute(sql, list(params))
    out = cur.fetch(1000)
    cur.close()
    return out


# --- describe -------------------------------------------------------------------


def test_describe_before_execute_types_an_empty_table(backend):
    conn = backend.connect()
    conn.execute(TABLE, [])
    assert conn.describe("SELECT * FROM t") == COLUMNS
    assert conn.describe("SELECT id, name FROM t WHERE id = ? ORDER BY name") == [("id", "int4"), ("name", "varchar(50)")]
    assert conn.describe("SELECT COUNT(*) AS c FROM t") == [("c", "int4")]
    assert conn.describe("SELECT TOP 5 name FROM t") == [("name", "varchar(50)")]


def test_describe_does_not_execute(backend):
    conn = backend.connect()
    conn.execute(TABLE, [])
    assert conn.describe("INSERT INTO t (id, name) VALUES (?, ?)") is None
    assert conn.describe("DELETE FROM t WHERE id = ?") is None
    assert rows(conn, "SELECT COUNT(*) AS c FROM t") == [(0,)]


def test_describe_reports_missing_table(backend):
    conn = backend.connect()
    with pytest.raises(BackendError) as err:
        conn.describe("SELECT * FROM missing")
    assert err.value.sqlstate == "42P01"


# --- values ------------------------------------------------------------------------

VALUES = [
    1, "héllo", "2024-02-29", "12:34:56", "2024-01-02 03:04:05.5", "2024-01-02 03:04:05+02",
    True, "12.50", 1.25, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", 2**40, b"\x00\xffbin",
]
EXPECTED = (
    1, "héllo", dt.date(2024, 2, 29), dt.time(12, 34, 56), dt.datetime(2024, 1, 2, 3, 4, 5, 500000),
    dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.timezone.utc), True, decimal.Decimal("12.5"), 1.25,
    uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), 2**40, b"\x00\xffbin",
)


def test_logical_values_round_trip(backend):
    conn = backend.connect()
    conn.execute(TABLE, [])
    cur = conn.execute(f"INSERT INTO t ({', '.join(n for n, _ in COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", VALUES)
    assert cur.rowcount == 1
    cur = conn.execute("SELECT * FROM t", [])
    assert cur.description == COLUMNS
    assert cur.fetch(10) == [EXPECTED]
    # the same values as WHERE parameters find the row (converted to logical form)
    assert rows(conn, "SELECT id FROM t WHERE d = ? AND tm = ? AND b = ?", ["2024-02-29", "12:34:56", True]) == [(1,)]


@pytest.mark.parametrize("day", [dt.date(1840, 12, 31), dt.date(1800, 1, 1), dt.date(9999, 12, 31)])
def test_dates_at_the_edges_of_horolog(backend, day):
    conn = backend.connect()
    conn.execute("CREATE TABLE dd (d DATE)", [])
    conn.execute("INSERT INTO dd (d) VALUES (?)", [day.isoformat()])
    assert rows(conn, "SELECT d FROM dd") == [(day,)]


@pytest.mark.parametrize("column,value", [
    ("ts", "infinity"), ("ts", "-infinity"), ("ts", "10000-01-01 00:00:00"), ("d", "infinity"),
    ("d", "5874897-12-31"), ("p", "infinity"), ("p", "10000-01-01 00:00:00+00"),
])
def test_dates_iris_cannot_hold_are_22008(backend, column, value):
    """PostgreSQL's infinities and years beyond 9999 have no IRIS value: 22008
    (datetime_field_overflow) as PostgreSQL answers for a value out of its own range,
    not an XX000 carrying Python's OverflowError."""
    conn = backend.connect()
    conn.execute("CREATE TABLE dd (d DATE, ts TIMESTAMP, p POSIXTIME)", [])
    with pytest.raises(BackendError) as err:
        conn.execute(f"INSERT INTO dd ({column}) VALUES (?)", [value])
    # The gateway's check (embedded) or IRIS's SQLCODE -146 (the driver's conversion, dbapi).
    assert err.value.sqlstate == "22008", err.value


def test_null_and_empty_string_stay_apart(backend):
    conn = backend.connect()
    conn.execute("CREATE TABLE s (id INT, v VARCHAR(10), n INT)", [])
    conn.execute("INSERT INTO s (id, v, n) VALUES (?, ?, ?)", [1, "", 0])
    conn.execute("INSERT INTO s (id, v, n) VALUES (?, ?, ?)", [2, None, None])
    conn.execute("INSERT INTO s (id, v) VALUES (3, '')", [])
    assert rows(conn, "SELECT id, v, n FROM s ORDER BY id") == [(1, "", 0), (2, None, None), (3, "", None)]
    assert rows(conn, "SELECT id FROM s WHERE v IS NULL") == [(2,)]
    assert rows(conn, "SELECT id FROM s WHERE v = ? ORDER BY id", [""]) == [(1,), (3,)]
    # nothing was stored as a Python object reference
    assert rows(conn, "SELECT COUNT(*) AS c FROM s WHERE v LIKE '%@%SYS.Python'") == [(0,)]


def test_embedded_storage_is_logical(fakes):
    """What the embedded backend binds (ODBC mode), seen through the raw fake API."""
    conn = make_backend("embedded").connect()
    conn.execute("CREATE TABLE s (id INT, v VARCHAR(10), d DATE)", [])
    conn.execute("INSERT INTO s (id, v, d) VALUES (?, ?, ?)", [1, "", "1841-01-01"])
    conn.execute("INSERT INTO s (id, v, d) VALUES (?, ?, ?)", [2, None, None])
    import iris

    sql = "SELECT id, v, d FROM s ORDER BY id"
    assert [list(r) for r in iris.sql.exec(sql)] == [[1, "\x00", "1841-01-01"], [2, "", ""]]
    iris.system.SQL.Util.SetOption("SelectMode", 0)
    assert [list(r) for r in iris.sql.exec(sql)] == [[1, "\x00", 1], [2, "", ""]]


def test_embedded_select_mode_and_its_warning(monkeypatch, fakes, caplog):
    b = make_backend("embedded")
    assert b.select_mode == "odbc" and "ODBC select mode" in b.describe_target()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    iris_fakes.install(monkeypatch, fakes, FAKE_IRIS_SELECTMODE_LOCKED="1")
    caplog.clear()
    b = make_backend("embedded")
    assert b.select_mode == "logical"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "the process option did not reach iris.sql" in warnings[0]


def test_embedded_starts_without_set_option(monkeypatch, fakes, caplog):
    """An irispython without %SYSTEM.SQL.Util.SetOption: logical mode, a warning, no failure."""
    import iris

    monkeypatch.delattr(iris.system.SQL.Util, "SetOption")
    b = make_backend("embedded")
    assert b.select_mode == "logical"
    assert any("SetOption failed" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    conn = b.connect()
    conn.execute("CREATE TABLE dd (d DATE)", [])
    conn.execute("INSERT INTO dd (d) VALUES (?)", ["2024-02-29"])
    assert rows(conn, "SELECT d FROM dd") == [(dt.date(2024, 2, 29),)]


def test_fake_stores_none_as_an_object_reference(fakes):
    """The trap the embedded backend must avoid is real in the fake."""
    import iris

    iris.sql.exec("CREATE TABLE s (v VARCHAR(40), n INT)")
    iris.sql.exec("INSERT INTO s (v) VALUES (?)", None)
    (v,) = next(iris.sql.exec("SELECT v FROM s"))
    assert v.endswith("@%SYS.Python")
    import irisbuiltins

    with pytest.raises(irisbuiltins.SQLError) as err:
        iris.sql.exec("INSERT INTO s (n) VALUES (?)", None)
    assert err.value.sqlcode == -104


def test_fake_select_mode(fakes):
    """The embedded face follows the job's select mode: logical values and a rejected
    ISO literal in logical mode; ISO text in and out, ISO literals filed and compared
    after SetOption("SelectMode", 1)."""
    import iris
    import irisbuiltins

    probe = "SELECT CAST('2000-01-01' AS DATE) AS d"
    iris.sql.exec("CREATE TABLE s (id INT, d DATE, tm TIME, p POSIXTIME, b BIT)")
    iris.sql.exec("INSERT INTO s (id, d, tm, p, b) VALUES (?, ?, ?, ?, ?)", 1, 67000, 45296, 1 << 60, 1)
    with pytest.raises(irisbuiltins.SQLError) as err:
        iris.sql.exec("INSERT INTO s (id, d) VALUES (2, '2024-02-29')")
    assert err.value.sqlcode == -104
    assert list(next(iris.sql.exec(probe))) == [58074]
    assert list(iris.sql.exec("SELECT id FROM s WHERE d = '2024-06-09'")) == []

    assert iris.system.SQL.Util.SetOption("SelectMode", 1) == 1
    assert list(next(iris.sql.exec(probe))) == ["2000-01-01"]
    iris.sql.exec("INSERT INTO s (id, d) VALUES (2, '2024-02-29')")
    iris.sql.exec("INSERT INTO s (id, d, tm, p, b) VALUES (?, ?, ?, ?, ?)",
                  3, "2024-03-01", "12:34:56.5", "2024-01-02 03:04:05+02:00", 0)
    assert [list(r) for r in iris.sql.exec("SELECT id, d, tm, p, b FROM s ORDER BY id")] == [
        [1, "2024-06-09", "12:34:56", "1970-01-01 00:00:00", 1],
        [2, "2024-02-29", "", "", ""],
        [3, "2024-03-01", "12:34:56.500000", "2024-01-02 01:04:05", 0],
    ]
    assert [r[0] for r in iris.sql.exec("SELECT id FROM s WHERE d = '2024-02-29'")] == [2]
    assert [r[0] for r in iris.sql.exec("SELECT id FROM s WHERE d >= ?", "2024-03-01")] == [1, 3]
    with pytest.raises(irisbuiltins.SQLError) as err:
        iris.sql.exec("INSERT INTO s (id, d) VALUES (?, ?)", 4, "2024-02-30")
    assert err.value.sqlcode == -146
    with pytest.raises(RuntimeError):
        iris.system.SQL.Util.SetOption("NoSuchOption", 1)

    iris.system.SQL.Util.SetOption("SelectMode", 0)
    assert list(iris.sql.exec("SELECT id FROM s WHERE d = '2024-02-29'")) == []
    assert list(next(iris.sql.exec("SELECT d FROM s WHERE id = 2"))) == [67000 - 101]


def test_fake_select_mode_locked(monkeypatch, tmp_path):
    """FAKE_IRIS_SELECTMODE_LOCKED=1: SetOption succeeds and changes nothing."""
    iris_fakes.install(monkeypatch, tmp_path, FAKE_IRIS_SELECTMODE_LOCKED="1")
    import iris

    assert iris.system.SQL.Util.SetOption("SelectMode", 1) == 1
    assert list(next(iris.sql.exec("SELECT CAST('2000-01-01' AS DATE) AS d"))) == [58074]
    iris_fakes.purge()


# --- errors --------------------------------------------------------------------------

ERRORS = [
    ("SELECT * FROM nosuch", [], "42P01", -30),
    ("SELECT nosuch FROM e", [], "42703", -29),
    ("INSERT INTO e (id, v) VALUES (?, ?)", [1, "dup"], "23505", -119),
    ("INSERT INTO e (id) VALUES (?)", [None], "23502", -108),
    ("INSERT INTO c (id, e_id) VALUES (?, ?)", [1, 99], "23503", -121),
    ("SELEC 1", [], "42601", -1),
    ("SELECT 1; SELECT 2", [], "42601", -25),
    ("INSERT INTO e (id) VALUES (2) RETURNING id", [], "42601", -1),
    ("CREATE TABLE e (id INT)", [], "XX000", -201),
]


@pytest.mark.parametrize("sql,params,sqlstate,sqlcode", ERRORS)
def test_sqlcode_maps_to_sqlstate(backend, sql, params, sqlstate, sqlcode):
    conn = backend.connect()
    conn.execute("CREATE TABLE e (id INT NOT NULL PRIMARY KEY, v VARCHAR(10))", [])
    conn.execute("CREATE TABLE c (id INT, e_id INT REFERENCES e(id))", [])
    conn.execute("INSERT INTO e (id, v) VALUES (1, 'x')", [])
    with pytest.raises(BackendError) as err:
        conn.execute(sql, params)
    assert err.value.sqlstate == sqlstate
    assert err.value.detail == f"IRIS SQLCODE {sqlcode}"


def test_trailing_semicolon_is_stripped(backend):
    conn = backend.connect()
    assert rows(conn, "SELECT 1 AS one;") == [(1,)]


def test_fake_rejects_trailing_semicolon(fakes):
    import iris
    import irisbuiltins

    with pytest.raises(irisbuiltins.SQLError) as err:
        iris.sql.exec("SELECT 1;")
    assert err.value.sqlcode == -25


def test_common_tables():
    from iris_pgwire.backends import iris_common as ic

    assert ic.parse_sqlcode("[SQLCODE: <-30>:<Table or view not found>]\n[Location: <Prepare>]\n"
                            "[%msg: < Table 'SQLUSER.X' not found>]") == (-30, "Table 'SQLUSER.X' not found")
    assert ic.parse_sqlcode("[SQLCODE: <-1>:<Invalid SQL statement>]") == (-1, "Invalid SQL statement")
    assert ic.parse_sqlcode("no code here") is None
    divide = ic.sql_error(-400, "Fatal error occurred <DIVIDE>zExecute+5^%sqlcq.USER.cls1.1")
    assert (divide.sqlstate, divide.message) == ("22012", "division by zero")
    assert ic.sql_error(-400, "Fatal error occurred").sqlstate == "XX000"
    assert [ic.sqlstate_for(c) for c in (-1, -25, -29, -30, -99, -108, -119, -120, -121, -124, -110, -114, -139, -400, -9999)] == [
        "42601", "42601", "42703", "42P01", "42501", "23502", "23505", "23505", "23503", "23503", "55P03", "55P03",
        "40001", "XX000", "XX000"]
    assert ic.pg_type(1091) == "date" and ic.pg_type(1092) == "time" and ic.pg_type(1093) == "timestamptz"
    assert ic.pg_type(11, 20) == "timestamptz" and ic.pg_type(93) == "timestamp" and ic.pg_type(-7) == "bool"
    assert ic.pg_type(-11) == "uuid" and ic.pg_type(None) == "text"
    # NUMERIC metadata becomes PostgreSQL's modifier; the DDL stand-in for unconstrained
    # numeric (38,18) and unusable metadata stay plain numeric; other types take none.
    assert ic.column_type(2, None, 10, 2) == "numeric(10,2)" and ic.column_type(3, None, "5", "0") == "numeric(5,0)"
    assert ic.column_type(2, None, 38, 18) == ic.column_type(2, None, None, None) == "numeric"
    assert ic.column_type(2, None, 5, 7) == ic.column_type(2, None, 0, 0) == "numeric"
    assert ic.column_type(12, None, 50, 0) == "varchar(50)" and ic.column_type(12, None, 65535, 0) == "text"
    assert ic.column_type(12, None, None, None) == "varchar" and ic.base_type("numeric(10,2)") == "numeric"
    assert ic.column_type(4, None, 10, 0) == "int4"
    assert ic.date_to_logical("1840-12-31") == 0 and ic.date_from_logical(67000) == dt.date(2024, 6, 9)
    assert ic.posix_to_logical("1970-01-01 00:00:00+00") == ic.POSIX_OFFSET


# (value, ODBC type, clientType) -> (logical-mode parameter, ODBC-mode parameter)
SELECT_MODE_PARAMS = [
    (("2024-02-29", 9, None), 67000 - 101, "2024-02-29"),
    ((dt.datetime(2024, 2, 29, 23, 0), 9, None), 67000 - 101, "2024-02-29"),
    (("12:34:56", 10, None), 45296, "12:34:56"),
    (("12:34:56.5", 10, None), 45296.5, "12:34:56.500000"),
    (("2024-01-02 03:04:05.5", 11, None), "2024-01-02 03:04:05.500000", "2024-01-02 03:04:05.500000"),
    (("2024-01-02 03:04:05+02", 11, 20), (1 << 60) + 1704157445 * 10**6, "2024-01-02 01:04:05"),
    (("1970-01-01 00:00:00", 11, 20), 1 << 60, "1970-01-01 00:00:00"),
    ((True, -7, None), 1, 1),
    (("f", -7, None), 0, 0),
    (("héllo", 12, None), "héllo", "héllo"),
    ((7, 4, None), 7, 7),
]


@pytest.mark.parametrize("args,logical,odbc", SELECT_MODE_PARAMS)
def test_parameters_follow_the_select_mode(args, logical, odbc):
    from iris_pgwire.backends import iris_common as ic

    assert ic.to_iris(*args) == ic.to_logical(*args) == logical
    assert ic.to_iris(*args, mode=ic.ODBC_MODE) == ic.to_odbc(*args) == odbc


def test_odbc_results_and_the_probe():
    from iris_pgwire.backends import iris_common as ic

    assert ic.from_logical("2024-02-29", "date") == dt.date(2024, 2, 29)
    assert ic.from_logical("12:34:56.5", "time") == dt.time(12, 34, 56, 500000)
    assert ic.from_logical("2024-01-02 03:04:05.25", "timestamp") == dt.datetime(2024, 1, 2, 3, 4, 5, 250000)
    assert ic.from_logical("2024-01-02 03:04:05", "timestamptz") == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert ic.from_logical(1, "bool") is True and ic.from_logical("0", "bool") is False
    assert ic.select_mode_from_probe(58074) == ic.select_mode_from_probe("58074") == ic.LOGICAL
    assert ic.select_mode_from_probe("2000-01-01") == ic.ODBC_MODE
    assert ic.select_mode_from_probe("01/01/2000") is None and ic.select_mode_from_probe(None) is None


# --- transactions ----------------------------------------------------------------------


def test_dbapi_transactions_are_per_connection(fakes):
    b = make_backend("dbapi")
    a, other = b.connect(), b.connect()
    a.execute("CREATE TABLE tx (id INT)", [])
    a.begin()
    a.execute("INSERT INTO tx (id) VALUES (?)", [1])
    assert rows(a, "SELECT COUNT(*) AS c FROM tx") == [(1,)]
    assert rows(other, "SELECT COUNT(*) AS c FROM tx") == [(0,)]
    a.rollback()
    assert rows(a, "SELECT COUNT(*) AS c FROM tx") == [(0,)]
    a.begin()
    a.execute("INSERT INTO tx (id) VALUES (?)", [2])
    a.commit()
    assert rows(other, "SELECT id FROM tx") == [(2,)]
    # autocommit again after commit: a statement outside a transaction is visible at once
    a.execute("INSERT INTO tx (id) VALUES (?)", [3])
    assert rows(other, "SELECT COUNT(*) AS c FROM tx") == [(2,)]


def test_fake_default_isolation_is_read_uncommitted(fakes):
    """Why the backends set READ COMMITTED: a raw IRIS job reads dirty rows."""
    import iris.dbapi as drv

    kw = dict(hostname="localhost", port=1972, namespace="USER", username="_SYSTEM", password="SYS")
    w, r = drv.connect(**kw), drv.connect(**kw)
    w.cursor().execute("CREATE TABLE tx (id INT)")
    w.setAutoCommit(False)
    w.cursor().execute("INSERT INTO tx (id) VALUES (1)")
    cur = r.cursor()
    cur.execute("SELECT COUNT(*) FROM tx")
    assert cur.fetchone() == (1,)
    cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    cur.execute("SELECT COUNT(*) FROM tx")
    assert cur.fetchone() == (0,)
    w.rollback()


def test_close_rolls_back(fakes):
    b = make_backend("embedded")
    a, other = b.connect(), b.connect()
    a.execute("CREATE TABLE tx (id INT)", [])
    a.begin()
    a.execute("INSERT INTO tx (id) VALUES (?)", [1])
    a.close()
    other.begin()
    assert rows(other, "SELECT COUNT(*) AS c FROM tx") == [(0,)]
    other.commit()


# --- DBAPI connection handling ---------------------------------------------------------


def test_dbapi_unreachable_at_startup_is_a_config_error(fakes):
    with pytest.raises(ConfigError) as err:
        make_backend("dbapi", iris_port=1999)
    text = str(err.value)
    assert "\n" not in text and "localhost:1999" in text and "COMMUNICATION LINK ERROR" in text


def test_dbapi_bad_password_is_a_config_error(fakes):
    with pytest.raises(ConfigError) as err:
        make_backend("dbapi", iris_password="wrong")
    assert "localhost:1972" in str(err.value)


def test_dbapi_connection_lost_later_is_08006(fakes):
    b = make_backend("dbapi")
    conn = b.connect()
    (fakes / "DOWN").write_text("")
    with pytest.raises(BackendError) as err:
        conn.execute("SELECT 1 AS one", [])
    assert err.value.sqlstate == "08006"
    with pytest.raises(BackendError) as err:
        b.connect()
    assert err.value.sqlstate == "08006"
    os.remove(fakes / "DOWN")
    assert rows(b.connect(), "SELECT 1 AS one") == [(1,)]


def test_dbapi_statement_timeout(fakes):
    conn = make_backend("dbapi").connect()
    conn.execute("CREATE TABLE big (i INT)", [])
    for i in range(60):
        conn.execute("INSERT INTO big (i) VALUES (?)", [i])
    conn.set_statement_timeout(500)
    t0 = time.monotonic()
    with pytest.raises(BackendError) as err:
        rows(conn, "SELECT COUNT(*) AS c FROM big a, big b, big c, big d, big e")
    assert err.value.sqlstate == "57014"
    assert time.monotonic() - t0 < 5


def test_embedded_requires_iris_sql(monkeypatch, tmp_path):
    iris_fakes.install(monkeypatch, tmp_path, FAKE_IRIS_EMBEDDED="0")
    from iris_pgwire.backends import embedded

    with pytest.raises(ConfigError) as err:
        embedded.create({})
    assert "irispython" in str(err.value)
    iris_fakes.purge()


# --- reset: what the pool runs before reusing a connection a call failed on --------


def test_reset_after_a_failed_or_cancelled_call(backend):
    """A transaction left open is rolled back (another connection then writes without
    waiting), a cancel that found nothing running is forgotten (the next error is that
    error, not 57014), and the job answers."""
    a, b = backend.connect(), backend.connect()
    a.execute("CREATE TABLE r (id INT PRIMARY KEY)", []).close()
    a.begin()
    a.execute("INSERT INTO r (id) VALUES (?)", [1]).close()
    a.cancel()
    a.reset()
    with pytest.raises(BackendError) as err:
        a.describe("SELECT id FROM nosuch")
    assert err.value.sqlstate == "42P01"
    b.begin()
    b.execute("INSERT INTO r (id) VALUES (?)", [2]).close()
    b.commit()
    assert rows(a, "SELECT id FROM r") == [(2,)]
    a.reset()  # on a clean connection too
    assert rows(a, "SELECT id FROM r") == [(2,)]
    a.close()
    b.close()


def test_fake_column_descriptions(fakes):
    """%DESCRIPTION after a column's type in CREATE TABLE and ADD COLUMN, read back from
    INFORMATION_SCHEMA.COLUMNS.DESCRIPTION; ALTER TABLE cannot change one (iris-facts)."""
    import iris
    import irisbuiltins

    def descriptions(table):
        return [tuple(r) for r in iris.sql.exec(
            "SELECT COLUMN_NAME, DESCRIPTION FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = ? "
            "ORDER BY ORDINAL_POSITION", table)]

    iris.sql.exec("CREATE TABLE d (id INT PRIMARY KEY, j VARCHAR(100) %DESCRIPTION 'pgtype:jsonb' COLLATE %EXACT, "
                  "f REAL %DESCRIPTION 'it''s real' NOT NULL)")
    iris.sql.exec("ALTER TABLE d ADD COLUMN v VECTOR(DOUBLE, 2) %DESCRIPTION 'pgtype:vector(2)'")
    assert descriptions("d") == [("id", ""), ("j", "pgtype:jsonb"), ("f", "it's real"), ("v", "pgtype:vector(2)")]
    iris.sql.exec("INSERT INTO d (id, j, f) VALUES (1, 'x', 1.5)")
    assert [list(r) for r in iris.sql.exec("SELECT j, f FROM d")] == [["x", 1.5]]
    for bad in ("ALTER TABLE d ALTER COLUMN j %DESCRIPTION 'x'",
                "CREATE TABLE e (a INT NOT NULL %DESCRIPTION 'late')",
                "CREATE TABLE e (a INT %DESCRIPTION ?)"):
        with pytest.raises(irisbuiltins.SQLError) as err:
            iris.sql.exec(bad)
        assert err.value.sqlcode == -1, bad
    iris.sql.exec("ALTER TABLE d DROP COLUMN v")
    iris.sql.exec("DROP TABLE d")
    iris.sql.exec("CREATE TABLE d (id INT PRIMARY KEY, j VARCHAR(100))")
    assert descriptions("d") == [("id", ""), ("j", "")], "a dropped table's descriptions go with it"
    # Quoted names, and a literal holding a comma and a quote before the description.
    iris.sql.exec('CREATE TABLE IF NOT EXISTS "Q" ("N" VARCHAR(9) DEFAULT \'a,\'\'b\', '
                  '"Doc" VARCHAR(99) %DESCRIPTION \'pgtype:json\')')
    assert descriptions("Q") == [("N", ""), ("Doc", "pgtype:json")]


def test_fake_alter_column_and_rename(fakes):
    """ALTER TABLE as IRIS documents it (RSQL_altertable): ALTER COLUMN f NULL | NOT NULL |
    datatype | [SET] DEFAULT spec | DROP DEFAULT | RENAME new, and RENAME newtable; the
    PostgreSQL spellings are not IRIS SQL (-1), nor ALTER TABLE of a view."""
    import iris
    import irisbuiltins

    def code(sql):
        with pytest.raises(irisbuiltins.SQLError) as err:
            iris.sql.exec(sql)
        return err.value.sqlcode

    def columns(table):
        return [tuple(r) for r in iris.sql.exec(
            "SELECT COLUMN_NAME, IS_NULLABLE, DATA_TYPE, DESCRIPTION FROM INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table)]

    iris.sql.exec("CREATE TABLE a (id INT NOT NULL, name VARCHAR(10) NOT NULL, n INT DEFAULT 5, "
                  "j VARCHAR(99) %DESCRIPTION 'pgtype:jsonb', v VECTOR(DOUBLE, 2))")
    for pg in ("ALTER TABLE a ALTER COLUMN name DROP NOT NULL", "ALTER TABLE a ALTER COLUMN name SET NOT NULL",
               "ALTER TABLE a ALTER COLUMN name TYPE VARCHAR(20)", "ALTER TABLE a ALTER COLUMN name SET DATA TYPE INT",
               "ALTER TABLE a RENAME COLUMN n TO m", "ALTER TABLE a RENAME TO b"):
        assert code(pg) == -1, pg
    iris.sql.exec("ALTER TABLE a ALTER COLUMN name NULL")
    iris.sql.exec("INSERT INTO a (id) VALUES (1)")
    assert code("ALTER TABLE a ALTER COLUMN name NOT NULL") == -108, "a row holds NULL"
    iris.sql.exec("UPDATE a SET name = 'x'")
    iris.sql.exec("ALTER TABLE a ALTER name NOT NULL")
    assert code("INSERT INTO a (id) VALUES (2)") == -108
    iris.sql.exec("ALTER TABLE a ALTER COLUMN name VARCHAR(20)")
    iris.sql.exec("INSERT INTO a (id, name) VALUES (2, 'twelve chars')")
    iris.sql.exec("ALTER TABLE a ALTER COLUMN n SET DEFAULT 7")
    iris.sql.exec("INSERT INTO a (id, name) VALUES (3, 'c')")
    iris.sql.exec("ALTER TABLE a ALTER COLUMN n DROP DEFAULT")
    iris.sql.exec("INSERT INTO a (id, name) VALUES (4, 'd')")
    assert [list(r) for r in iris.sql.exec("SELECT id, n FROM a ORDER BY id")] == [[1, 5], [2, 5], [3, 7], [4, ""]]
    iris.sql.exec("ALTER TABLE a ALTER COLUMN j RENAME doc")
    iris.sql.exec("ALTER TABLE a RENAME b")
    assert code("SELECT id FROM a") == -30
    assert [(c, nullable, description) for c, nullable, _type, description in columns("b")] == [
        ("id", "NO", ""), ("name", "NO", ""), ("n", "YES", ""), ("doc", "YES", "pgtype:jsonb"), ("v", "YES", "")]
    length = "SELECT CHARACTER_MAXIMUM_LENGTH FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'b' AND COLUMN_NAME = 'name'"
    assert [list(r) for r in iris.sql.exec(length)] == [[20]]
    # The renamed table's vector column still refuses a plain string (its filing check followed it).
    assert code("INSERT INTO b (id, name, v) VALUES (5, 'e', '1,2')") == -104
    iris.sql.exec("CREATE VIEW w AS SELECT id FROM b")
    assert code("ALTER TABLE w RENAME w2") == -30


def test_fake_create_table_as_and_drop_options(fakes):
    """CREATE TABLE .. AS SELECT gives the columns the query's types (MIN/MAX of a DATE is a
    DATE); DROP TABLE / DROP VIEW / DROP COLUMN take IRIS's RESTRICT | CASCADE [%DELDATA]."""
    import iris

    iris.sql.exec('CREATE TABLE "b" ("author" VARCHAR(20), "released" DATE, "n" INT)')
    iris.sql.exec('INSERT INTO "b" VALUES (\'A\', 50000, 1)')
    iris.sql.exec('CREATE TABLE "st" AS SELECT "author", COUNT(*) AS books, MAX("released") AS latest FROM "b" '
                  'GROUP BY "author"')
    assert [tuple(r) for r in iris.sql.exec(
        "SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'st' "
        "ORDER BY ORDINAL_POSITION")] == [("author", "varchar"), ("books", "integer"), ("latest", "date")]
    iris.sql.exec('CREATE VIEW "v" AS SELECT "author" FROM "b"')
    iris.sql.exec('DROP VIEW "v" CASCADE')
    iris.sql.exec('ALTER TABLE "b" DROP COLUMN "n" RESTRICT %NODELDATA')
    iris.sql.exec('DROP TABLE "st" CASCADE %DELDATA')
    assert [list(r) for r in iris.sql.exec(
        "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME IN ('st', 'v', 'b')")] == [["b"]]
