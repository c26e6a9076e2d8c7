"""DBAPI backend: intersystems-irispython (``iris.dbapi``) connections to IRIS.

Every connection is its own IRIS job on the server, so transactions are
per connection. The driver is threadsafety 1: one connection is used by one
thread at a time (the Rust pool guarantees it).

describe(): the driver has no prepare-without-execute (its cursor offers
execute/direct_execute/executemany only), so a query is described by
executing it wrapped as ``SELECT * FROM (<query>) WHERE 1=0`` with NULL
parameters: IRIS prepares the real query, returns its column metadata and
no rows. A top-level ORDER BY/LIMIT is dropped from the wrapped text (it does
not change the columns and IRIS refuses ORDER BY in a subquery without TOP).
``WITH`` queries cannot be wrapped and are executed with NULL parameters,
rows discarded. Statements other than queries return no rows in IRIS (no
RETURNING): None, without executing.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any, Optional, Sequence

from iris_pgwire import iris_notify
from iris_pgwire.backends import iris_catalog
from iris_pgwire.backends import iris_common as ic
from iris_pgwire.backends.base import Column
from iris_pgwire.errors import BackendError, ConfigError

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_ACCESS_DENIED = re.compile(r"ACCESS DENIED|Access Denied|authentication failed", re.I)
_LINK = re.compile(r"COMMUNICATION LINK|connection (is )?closed|connection lost", re.I)
_TIMEOUT = re.compile(r"timed? ?out|query timeout", re.I)  # driver text (verify)


def _driver():
    """The DB-API module: ``iris.dbapi`` (5.x), else the package's ``iris.connect``."""
    try:
        import iris.dbapi as drv  # type: ignore[import-not-found]

        return drv
    except ImportError:
        pass
    return ic.import_iris("connect", "the dbapi backend needs intersystems-irispython: pip install 'iris-pgwire[dbapi]'")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())


def _param(value: Any) -> Any:
    """DBAPI parameters go through the driver (ODBC conversions): None is NULL,
    '' is the empty string; only booleans need IRIS's 0/1."""
    if isinstance(value, bool):
        return 1 if value else 0
    return value


class DbapiCursor:
    def __init__(self, cur, columns: Optional[list[Column]], rowcount: int, owner: "DbapiConnection") -> None:
        self._cur = cur
        self.description = columns
        self.rowcount = rowcount
        self._types = [ic.base_type(t) for _, t in columns] if columns else []
        self._owner = owner

    def fetch(self, n: int) -> list[tuple]:
        if self._cur is None or not self._types:
            return []
        try:
            rows = self._cur.fetchmany(n)
        except Exception as exc:
            raise self._owner._error(exc) from None
        if len(rows) < n:
            self.close()
        return [tuple(None if v is None else ic.from_logical(v, t) for v, t in zip(r, self._types)) for r in rows]

    def close(self) -> None:
        if self._cur is not None:
            try:
                self._cur.close()
            except Exception:
                pass
            self._cur = None


class DbapiConnection:
    def __init__(self, backend: "DbapiBackend", raw) -> None:
        self._backend = backend
        self._raw = raw
        self._broken = False
        self._in_txn = False
        self._timeout_s = 0
        self._described: dict[str, Optional[list[Column]]] = {}
        #: set by cancel(): the error that ends the running statement is the cancel's
        self._cancelling = False
        self._pid: Optional[int] = None
        self.set_statement_timeout(backend.statement_timeout_ms)
        if hasattr(raw, "setAutoCommit"):
            raw.setAutoCommit(True)
        # PostgreSQL's default; every IRIS job starts at READ UNCOMMITTED.
        self._admin(f"SET TRANSACTION ISOLATION LEVEL {backend.isolation}")
        self._pid = self._job_pid()

    def _job_pid(self) -> Optional[int]:
        """This connection's IRIS job ($JOB), which CANCEL QUERY names (verify)."""
        cur = self._cursor()
        try:
            cur.execute("SELECT $JOB")
            row = cur.fetchone()
            return int(row[0]) if row else None
        except Exception:
            return None
        finally:
            cur.close()

    # errors

    def _error(self, exc: BaseException) -> BackendError:
        text = str(exc)
        if self._cancelling:
            self._cancelling = False
            return BackendError("57014", "canceling statement due to user request", detail=_first_line(exc))
        parsed = ic.parse_sqlcode(text)
        if parsed is not None:
            return ic.sql_error(*parsed)
        if _LINK.search(text) or self._raw_closed():
            self._broken = True
            return BackendError("08006", f"lost the connection to IRIS: {_first_line(exc)}")
        if self._timeout_s and _TIMEOUT.search(text):
            return BackendError("57014", "canceling statement due to statement timeout", detail=_first_line(exc))
        return BackendError("XX000", _first_line(exc))

    def _raw_closed(self) -> bool:
        try:
            return bool(self._raw.isClosed())
        except Exception:
            return False

    def _check(self) -> None:
        if self._broken:
            raise BackendError("08006", "the connection to IRIS was lost")

    def _cursor(self):
        try:
            cur = self._raw.cursor()
            if self._timeout_s and hasattr(cur, "setQueryTimeout"):
                cur.setQueryTimeout(self._timeout_s)
            return cur
        except Exception as exc:
            raise self._error(exc) from None

    def _admin(self, sql: str) -> None:
        cur = self._cursor()
        try:
            cur.execute(sql)
        except Exception as exc:
            raise self._error(exc) from None
        finally:
            cur.close()

    # protocol

    def describe(self, sql: str) -> Optional[list[Column]]:
        self._check()
        sql = ic.check_one_statement(sql)
        if sql in self._described:
            return self._described[sql]
        if not ic.is_query(sql):
            return None
        wrapped, n = ic.describe_sql(sql)
        cur = self._cursor()
        try:
            cur.execute(wrapped, [None] * n)
            cols = _columns(cur.description)
        except Exception as exc:
            raise self._error(exc) from None
        finally:
            cur.close()
        if len(self._described) > 256:
            self._described.clear()
        self._described[sql] = cols
        return cols

    def execute(self, sql: str, params: Sequence[Any], describe: bool = True) -> DbapiCursor:
        self._check()
        self._cancelling = False
        sql = ic.check_one_statement(sql)
        if sql.lstrip()[:6].upper() in ("CREATE", "ALTER ", "DROP T", "DROP V", "DROP I"):
            self._described.clear()
        cur = self._cursor()
        try:
            cur.execute(sql, [_param(v) for v in params])
            cols = _columns(cur.description)
            rowcount = -1 if cols else cur.rowcount
        except Exception as exc:
            cur.close()
            raise self._error(exc) from None
        if not cols:
            cur.close()
            cur = None
        return DbapiCursor(cur, cols, rowcount if isinstance(rowcount, int) else -1, self)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """One DML statement for every row, through the driver's batch execution (COPY FROM)."""
        self._check()
        self._cancelling = False
        sql = ic.check_one_statement(sql)
        batch = [[_param(v) for v in row] for row in rows]
        cur = self._cursor()
        try:
            cur.executemany(sql, batch)
            done = cur.rowcount
            return done if isinstance(done, int) and done >= 0 else len(batch)
        except Exception as exc:
            err = self._error(exc)
            err.row = _failed_row(cur, len(batch))
            raise err from None
        finally:
            cur.close()

    def cancel(self) -> None:
        """Stop the running statement from another job: CANCEL QUERY <pid> (iris-facts)."""
        if self._pid is None:
            return
        self._cancelling = True
        self._backend.cancel_query(self._pid)

    def begin(self) -> None:
        self._check()
        try:
            self._raw.setAutoCommit(False)
        except Exception as exc:
            raise self._error(exc) from None
        self._in_txn = True

    def commit(self) -> None:
        self._end(self._raw.commit)

    def rollback(self) -> None:
        self._end(self._raw.rollback)

    def _end(self, fn) -> None:
        self._check()
        try:
            fn()
            self._raw.setAutoCommit(True)
        except Exception as exc:
            raise self._error(exc) from None
        finally:
            self._in_txn = False

    def reset(self) -> None:
        """Called by the pool before reusing a connection on which a call failed or was
        cancelled: forget a cancel that found nothing to stop, end a transaction left
        open, go back to autocommit, and check the job answers (a broken one: 08006,
        and the pool opens another)."""
        self._check()
        self._cancelling = False
        self._described.clear()
        if self._in_txn:
            self.rollback()
        else:
            try:
                self._raw.setAutoCommit(True)
            except Exception as exc:
                raise self._error(exc) from None
        self._admin("SELECT 1")

    def set_statement_timeout(self, ms: int) -> None:
        """statement_timeout in ms (0 = none), applied with cursor.setQueryTimeout,
        whose unit is whole seconds: rounded up."""
        self._timeout_s = int(math.ceil(ms / 1000.0)) if ms and ms > 0 else 0

    def take_notifications(self, limit: int) -> list:
        """Committed NOTIFYs sent from IRIS code (iris_pgwire/iris_notify.py), taken off the queue."""
        return iris_notify.take(self, limit)

    def close(self) -> None:
        try:
            if self._in_txn and not self._broken:
                self._raw.rollback()
        except Exception:
            pass
        try:
            self._raw.close()
        except Exception:
            pass


def _failed_row(cur, size: int) -> Optional[int]:
    """Index of the row that failed a batch: the driver's rowcount counts the rows applied
    before it (verify against the real driver); None when it does not say."""
    done = getattr(cur, "rowcount", None)
    return done if isinstance(done, int) and 0 <= done < size else None


def _columns(description) -> Optional[list[Column]]:
    if not description:
        return None
    # PEP 249: (name, type_code, display_size, internal_size, precision, scale, null_ok)
    return [(d[0], ic.column_type(d[1], None, d[4], d[5])) for d in description]


class DbapiBackend:
    #: Connections take notifications sent from IRIS code (iris_notify.py).
    notify_queue = True
    name = "dbapi"
    dialect = "iris"
    #: The `password` access method checks a client's password by logging in to IRIS as
    #: that user (password pass-through); such sessions use that user's own connections.
    logs_in_users = True

    def __init__(
        self,
        host: str = "localhost",
        port: int = 1972,
        namespace: str = "USER",
        user: str = "_SYSTEM",
        password: str = "SYS",
        sslconfig: Optional[str] = None,
        *,
        timeout: int = 10,
        sharedmemory: Optional[bool] = None,
        isolation: str = "READ COMMITTED",
        statement_timeout_ms: int = 0,
        probe: bool = True,
        **options: Any,
    ) -> None:
        self.driver = _driver()
        self.host, self.port, self.namespace = host, int(port), namespace
        self.isolation = isolation
        self.statement_timeout_ms = int(statement_timeout_ms or 0)
        if sharedmemory is None:
            sharedmemory = host in _LOCAL_HOSTS and not sslconfig
        self._kwargs = dict(
            hostname=host, port=self.port, namespace=namespace, username=user, password=password,
            timeout=int(timeout), sharedmemory=bool(sharedmemory),
        )
        if sslconfig:
            self._kwargs["sslconfig"] = sslconfig
        self._started = False
        self._canceller = None
        self._cancel_lock = threading.Lock()
        if probe:
            self.connect().close()

    def connect(self, user: Optional[str] = None, password: Optional[str] = None) -> DbapiConnection:
        """A new IRIS job, logged in as the configured user, or as ``user`` (pass-through)."""
        kwargs = self._kwargs if user is None else {**self._kwargs, "username": user, "password": password}
        try:
            raw = self.driver.connect(**kwargs)
        except Exception as exc:
            reason = _first_line(exc)
            if user is not None and _ACCESS_DENIED.search(str(exc)):
                # The reason stays in the gateway's log; the client only learns the login failed.
                raise BackendError("28P01", f"IRIS refused the login of {user}: {reason}") from None
            if not self._started:
                raise ConfigError(
                    f"cannot connect to IRIS at {self.host}:{self.port} (namespace {self.namespace}): {reason}"
                ) from None
            raise BackendError("08006", f"cannot connect to IRIS at {self.host}:{self.port}: {reason}") from None
        try:
            conn = DbapiConnection(self, raw)
        except BaseException as exc:
            try:
                raw.close()
            except Exception:
                pass
            if not self._started and isinstance(exc, BackendError):
                raise ConfigError(
                    f"IRIS at {self.host}:{self.port} refused the session setup: {exc.message}"
                ) from None
            raise
        self._started = True
        return conn

    def cancel_query(self, pid: int) -> None:
        """CANCEL QUERY <pid> on a connection of its own (needs %CANCEL_QUERY)."""
        with self._cancel_lock:
            try:
                if self._canceller is None:
                    self._canceller = self.driver.connect(**self._kwargs)
                cur = self._canceller.cursor()
                try:
                    cur.execute(f"CANCEL QUERY {int(pid)}")
                finally:
                    cur.close()
            except Exception as exc:
                self._canceller = None
                raise BackendError("XX000", f"could not cancel IRIS job {pid}: {_first_line(exc)}") from None

    def catalog_snapshot(self) -> dict:
        """The schema for the gateway's catalog engine, from INFORMATION_SCHEMA."""
        conn = self.connect()
        try:
            return iris_catalog.snapshot(lambda sql: iris_catalog.fetch_all(conn, sql))
        finally:
            conn.close()

    def describe_target(self) -> str:
        return f"IRIS {self.host}:{self.port} namespace {self.namespace} (intersystems-irispython)"

    def close(self) -> None:
        pass


def create(config: dict) -> DbapiBackend:
    """Backend from the CLI config (iris_host, iris_port, iris_namespace, iris_user,
    iris_password, iris_sslconfig; un-prefixed host/port there are the gateway's
    own listen address and are not used)."""
    keys = ("host", "port", "namespace", "user", "password", "sslconfig",
            "timeout", "sharedmemory", "isolation", "statement_timeout_ms", "probe")
    opts = {k: config["iris_" + k] for k in keys if config.get("iris_" + k) is not None}
    return DbapiBackend(**opts)
