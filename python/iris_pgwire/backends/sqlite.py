"""The built-in sqlite backend (stdlib sqlite3): try the gateway with no IRIS.

One sqlite3 connection per client session, so transactions are isolated; WAL
mode so readers do not block the writer. The Rust core sends SQL already
translated for SQLite (``?NNN`` markers) and manages transactions explicitly
(the connection itself is in autocommit mode).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import uuid
from typing import Any, Optional, Sequence

from iris_pgwire.backends import sqlite_catalog
from iris_pgwire.backends import sqlite_alter
from iris_pgwire.backends import sqlite_enums
from iris_pgwire.backends import sqlite_functions as sql_functions
from iris_pgwire.backends.sqlite_functions import ScaleTriggers
from iris_pgwire.backends.base import Column
from iris_pgwire.errors import BackendError, ConfigError

# sqlite error text -> (SQLSTATE, message template); the first match wins.
_ERRORS = [
    (re.compile(r"no such table: (?:main\.|temp\.)?(\S+)"), "42P01", 'relation "{0}" does not exist'),
    (re.compile(r"no such column: (\S+)"), "42703", 'column "{0}" does not exist'),
    (re.compile(r"no such function: (\S+)"), "42883", "function {0} does not exist"),
    (re.compile(r'table "?([^"\s]+)"? already exists'), "42P07", 'relation "{0}" already exists'),
    (re.compile(r'index "?([^"\s]+)"? already exists'), "42P07", 'relation "{0}" already exists'),
    (re.compile(r"UNIQUE constraint failed: (.*)"), "23505", "duplicate key value violates unique constraint ({0})"),
    (re.compile(r"NOT NULL constraint failed: (.*)"), "23502", 'null value in column "{0}" violates not-null constraint'),
    (re.compile(r"FOREIGN KEY constraint failed"), "23503", "insert or update violates foreign key constraint"),
    # The translator's range check of numeric(p,s) columns (numeric_fits).
    (re.compile(r"CHECK constraint failed: pgw_numeric_overflow_(\d+)_(\d+)"), "22003",
     "numeric field overflow: a field with precision {0}, scale {1} must round to an absolute value less than 10^({0}-{1})"),
    # The translator's check of integer columns: text SQLite could not convert.
    (re.compile(r"CHECK constraint failed: pgw_integer_input_(\w+)"), "22P02", "invalid input syntax for type {0}"),
    (re.compile(r"CHECK constraint failed: (.*)"), "23514", "new row violates check constraint ({0})"),
    (re.compile(r"database is locked"), "55P03", "could not obtain lock: database is locked"),
    # Connection.interrupt(), called by cancel().
    (re.compile(r"^interrupted$"), "57014", "canceling statement due to user request"),
    (re.compile(r"(near .*: syntax error|incomplete input|syntax error)"), "42601", "syntax error: {0}"),
    (re.compile(r"cannot (?:start|commit|rollback).*transaction"), "25000", "{0}"),
    (re.compile(r"datatype mismatch"), "42804", "datatype mismatch"),
]


def _map_error(err: sqlite3.Error) -> BackendError:
    text = str(err)
    raised = sql_functions.take_raised()
    if raised is not None and text.startswith(("user-defined function", "user-defined aggregate")):
        return raised
    for pattern, state, template in _ERRORS:
        m = pattern.search(text)
        if m:
            args = m.groups() or (text,)
            return BackendError(state, template.format(*args), detail=f"sqlite: {text}")
    state = "23000" if isinstance(err, sqlite3.IntegrityError) else "XX000"
    return BackendError(state, text)


def _pg_type(decltype: str, enums: Optional[set[str]] = None) -> str:
    """A column's declared type as a PostgreSQL type name for the Rust registry.

    The translator keeps PostgreSQL type names in CREATE TABLE, so most
    decltypes are already PostgreSQL names; others follow SQLite's affinity
    rules. An empty string (an expression) is left for the core to type.
    """
    t = decltype.strip().lower()
    if not t:
        return ""
    if t.endswith("[]"):  # the translator's array columns: PostgreSQL array text
        return t
    base = t.split("(")[0].strip()
    if enums and t in enums:  # an enum column: the type's name (sqlite_enums.py)
        return t
    if base == "numeric_text":  # the translator's exact numeric (see numeric_collation)
        return "numeric" + t[len(base):]
    if base in _PG_NAMES:
        return t
    if "int" in base:
        return "int8"
    if any(k in base for k in ("char", "clob", "text")):
        return "text"
    if "blob" in base:
        return "bytea"
    if any(k in base for k in ("real", "floa", "doub")):
        return "float8"
    if base in ("datetime",):
        return "timestamp"
    return "numeric"


_PG_NAMES = {
    "bool", "boolean", "smallint", "int2", "integer", "int", "int4", "bigint", "int8",
    "real", "float4", "double precision", "float8", "double", "numeric", "decimal",
    "text", "varchar", "character varying", "char", "character", "bpchar", "name",
    "bytea", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid",
    "json", "jsonb", "oid", "vector", "time without time zone", "time with time zone",
    "timestamp without time zone", "timestamp with time zone",
}

# `?NNN` markers outside quotes and comments (views cannot hold parameters).
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?\d*", re.S)


# Describe views: temporary, one name per use (see SqliteConnection._describe_uncached).
_PROBE_PREFIX = "__pgwire_describe_"


def _params_to_null(sql: str) -> str:
    return _TOKENS.sub(lambda m: "NULL" if m.group(0).startswith("?") else m.group(0), sql)


class SqliteCursor:
    def __init__(self, cursor: sqlite3.Cursor, description: Optional[list[Column]]) -> None:
        self._cursor = cursor
        self.description = description
        self.rowcount = cursor.rowcount

    def fetch(self, n: int) -> list[tuple]:
        try:
            return self._cursor.fetchmany(n)
        except sqlite3.Error as e:
            raise _map_error(e) from None

    def close(self) -> None:
        self._cursor.close()


class SqliteConnection:
    def __init__(self, conn: sqlite3.Connection, write_lock: threading.Lock, lock_timeout: float,
                 enums: Optional[sqlite_enums.Enums] = None) -> None:
        self._conn = conn
        self._enums = enums or sqlite_enums.Enums()
        self._write_lock = write_lock
        self._lock_timeout = lock_timeout
        #: the session's lock_timeout in ms (0: wait up to lock_timeout seconds)
        self._lock_ms = 0
        self._holds_lock = False
        # describe() results by SQL text, valid while the schema does not change.
        self._described: dict[str, Optional[list[Column]]] = {}
        self._schema_version = -1
        #: describe views made on this connection (each gets a name of its own)
        self._probes = 0

    def _schema_changed(self) -> None:
        version = self._conn.execute("PRAGMA schema_version").fetchone()[0]
        if version != self._schema_version:
            self._described.clear()
            self._schema_version = version

    def describe(self, sql: str) -> Optional[list[Column]]:
        try:
            self._schema_changed()
        except sqlite3.Error as e:
            raise _map_error(e) from None
        if sql in self._described:
            return self._described[sql]
        cols = self._describe_uncached(sql)
        self._described[sql] = cols
        return cols

    def _describe_uncached(self, sql: str) -> Optional[list[Column]]:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head in ("SELECT", "WITH", "VALUES"):
            # A temporary view exposes each column's declared type without running the
            # query. Its name is new at every use: one an interrupted describe failed to
            # drop is never in the way (reset() removes it before the connection is reused).
            self._probes += 1
            view = f"{_PROBE_PREFIX}{self._probes}"
            try:
                self._conn.execute(f"CREATE TEMP VIEW {view} AS {_params_to_null(sql)}")
                try:
                    info = self._conn.execute(f"PRAGMA temp.table_info({view})").fetchall()
                finally:
                    self._conn.execute(f"DROP VIEW IF EXISTS temp.{view}")
            except sqlite3.Error as e:
                raise _map_error(e) from None
            decltypes = [(row[2] or "").strip().lower() for row in info]
            unknown = any(d and d.split("(")[0].strip() not in _PG_NAMES for d in decltypes)
            enums = self._enums.names(self._conn) if unknown else None
            return [(row[1], _pg_type(row[2] or "", enums)) for row in info]
        # DML (RETURNING rows are described by the core from an equivalent SELECT).
        return None

    def reset(self) -> None:
        """Called by the pool before reusing a connection on which a call failed or was
        cancelled: end a transaction left open (and its write lock), drop describe views
        an interrupted describe left, restore the busy timeout, and check it answers."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        self._release()
        left = self._conn.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'view' AND substr(name, 1, ?) = ?",
            (len(_PROBE_PREFIX), _PROBE_PREFIX)).fetchall()
        for (name,) in left:
            self._conn.execute(f"DROP VIEW IF EXISTS temp.{name}")
        self._described.clear()
        self.set_lock_timeout(self._lock_ms)
        self._conn.execute("SELECT 1").fetchall()

    def execute(self, sql: str, params: Sequence[Any], describe: bool = True) -> SqliteCursor:
        head = sql.lstrip()[:8].upper()
        described = self.describe(sql) if describe and head.startswith(("SELECT", "WITH", "VALUES")) else None
        table_ddl = head.startswith(("CREATE", "ALTER"))
        alter = sqlite_alter.match(sql) if table_ddl else None
        if sqlite_enums.TABLE in sql:
            self._enums.invalidate()
        try:
            if alter is not None:
                return SqliteCursor(alter(self._conn), None)
            with ScaleTriggers.kept(self._conn, sql) if table_ddl else contextlib.nullcontext():
                try:
                    cur = self._conn.execute(sql, params)
                except sqlite3.OperationalError as e:
                    if not self._enums.missing_collation(self._conn, e):
                        raise
                    cur = self._conn.execute(sql, params)
        except sqlite3.Error as e:
            raise self._error(e) from None
        except (OverflowError, ValueError) as e:
            raise BackendError("22003", str(e)) from None
        description = None
        # DDL returns no rows, though sqlite3 reports the description of the query
        # ALTER TABLE .. ADD COLUMN runs internally to check existing rows.
        if cur.description is not None and not head.startswith(("CREATE", "ALTER", "DROP")):
            description = described
            if description is None or len(description) != len(cur.description):
                description = [(d[0], "") for d in cur.description]
        return SqliteCursor(cur, description)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one DML statement for every row (COPY FROM); returns the rows affected.
        A failure names the failing row's index in ``BackendError.row``."""
        done = 0

        def counted():
            nonlocal done
            for row in rows:
                done += 1
                yield row

        try:
            cur = self._conn.executemany(sql, counted())
        except sqlite3.Error as e:
            err = self._error(e)
            err.row = done - 1
            raise err from None
        except (OverflowError, ValueError) as e:
            err = BackendError("22003", str(e))
            err.row = done - 1
            raise err from None
        return cur.rowcount

    def cancel(self) -> None:
        """Stop the statement running on this connection (called from another thread)."""
        self._conn.interrupt()

    def set_lock_timeout(self, ms: int) -> None:
        """lock_timeout in ms (0: the backend's own wait): bounds the wait for the write
        lock of another session's transaction (begin) and sqlite's busy wait (a write
        outside a transaction), both then 55P03 as PostgreSQL words it."""
        self._lock_ms = max(int(ms), 0)
        wait_ms = self._lock_ms or int(self._lock_timeout * 1000)
        self._conn.execute(f"PRAGMA busy_timeout = {wait_ms}")

    def _lock_timed_out(self) -> BackendError:
        return BackendError("55P03", "canceling statement due to lock timeout")

    def _error(self, err: sqlite3.Error) -> BackendError:
        mapped = _map_error(err)
        if self._lock_ms and mapped.sqlstate == "55P03":
            return self._lock_timed_out()
        return mapped

    def begin(self) -> None:
        # SQLite has one writer at a time. Transactions queue on a lock of this
        # server (waiters wake when it is released, unlike sqlite's polling busy
        # handler, which can starve a waiter), then BEGIN IMMEDIATE takes the
        # database's write lock up front so no read has to upgrade later.
        if not self._write_lock.acquire(timeout=self._lock_ms / 1000.0 or self._lock_timeout):
            if self._lock_ms:
                raise self._lock_timed_out()
            raise BackendError(
                "55P03",
                f"could not obtain lock: other sessions' transactions held the database for {self._lock_timeout:.0f}s",
                hint="the sqlite backend runs one transaction at a time",
            )
        self._holds_lock = True
        try:
            self._run("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            if self._conn.in_transaction:
                self._run("COMMIT")
        except BackendError:
            # A deferred foreign key failing at COMMIT leaves SQLite's transaction open;
            # PostgreSQL's has ended (rolled back).
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._release()

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._run("ROLLBACK")
        self._release()

    def _release(self) -> None:
        if self._holds_lock and not self._conn.in_transaction:
            self._holds_lock = False
            self._write_lock.release()

    def _run(self, sql: str) -> None:
        try:
            self._conn.execute(sql)
        except sqlite3.Error as e:
            raise self._error(e) from None

    def close(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        finally:
            self._release()
            self._conn.close()


class SqliteBackend:
    name = "sqlite"
    dialect = "sqlite"

    def __init__(self, path: str, lock_timeout: float = 30.0) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._lock_timeout = lock_timeout
        #: enum labels, shared by the connections (sqlite_enums.py)
        self._enums = sqlite_enums.Enums()
        if path == ":memory:":
            # One in-memory database shared by all sessions of this server.
            self._target = f"file:iris_pgwire_{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keepalive = sqlite3.connect(self._target, uri=True)
            self._keepalive.executescript(sqlite_catalog.OWN_TABLES)
        else:
            self._target = path
            self._keepalive = None
            try:
                probe = sqlite3.connect(path)
                probe.execute("PRAGMA journal_mode=WAL")
                probe.executescript(sqlite_catalog.OWN_TABLES)
                probe.close()
            except sqlite3.Error as e:
                raise ConfigError(f"cannot open sqlite database {path!r}: {e}") from None

    def describe_target(self) -> str:
        return f"sqlite {self.path} (SQLite {sqlite3.sqlite_version})"

    def connect(self) -> SqliteConnection:
        try:
            conn = sqlite3.connect(
                self._target,
                uri=self._keepalive is not None,
                isolation_level=None,
                check_same_thread=False,
                timeout=30.0,
            )
            conn.execute("PRAGMA foreign_keys=ON")
            # PostgreSQL's LIKE is case-sensitive (ILIKE is translated to lower() LIKE lower()).
            conn.execute("PRAGMA case_sensitive_like=ON")
        except sqlite3.Error as e:
            raise BackendError("08006", f"cannot open sqlite database: {e}") from None
        sql_functions.register(conn)
        self._enums.register(conn, sql_functions.raise_error)
        return SqliteConnection(conn, self._write_lock, self._lock_timeout, self._enums)

    def catalog_snapshot(self) -> dict[str, Any]:
        """The schema for the catalog engine (pg_catalog, information_schema)."""
        conn = sqlite3.connect(self._target, uri=self._keepalive is not None, timeout=30.0)
        try:
            # An index on a numeric column names the pg_numeric collation.
            sql_functions.register(conn)
            return sqlite_catalog.snapshot(conn, _pg_type)
        except sqlite3.Error as e:
            raise _map_error(e) from None
        finally:
            conn.close()

    def close(self) -> None:
        if self._keepalive is not None:
            self._keepalive.close()


def create(cfg: dict[str, Any]) -> SqliteBackend:
    return SqliteBackend(
        cfg.get("sqlite_path") or "iris_pgwire.sqlite",
        lock_timeout=float(cfg.get("pool_timeout") or 30),
    )
