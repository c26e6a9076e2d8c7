"""Embedded backend: SQL through ``iris.sql`` inside the IRIS process (``irispython``).

One OS process is one IRIS job: every thread shares one transaction and one
namespace. So the gateway runs each connection of this backend on a job worker
process of its own (``--iris-jobs``, src/workers/): an ``EmbeddedConnection`` owns
its process's job, and each worker opens exactly one. The gateway's own process uses
this backend only to read the catalog (no transaction) and to cancel a worker's
statement (``cancel_job``: ``$SYSTEM.SQL.CancelQuery(pid)``).

The job runs in ODBC select mode when the instance lets it (``select_mode``,
probed at start-up): dates and times then travel as ISO text and PostgreSQL-style
literals such as ``'2024-02-29'`` work for DATE columns. Otherwise it stays in
logical mode (+$H days, seconds, POSIX integers; see iris_common). In both,
``""`` is NULL, ``"\\x00"`` is the empty string, and a Python None must never be
bound (it would be stored as an object reference string such as ``13@%SYS.Python``).
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Sequence

from iris_pgwire import iris_notify
from iris_pgwire.backends import iris_catalog
from iris_pgwire.backends import iris_common as ic
from iris_pgwire.backends.base import Column
from iris_pgwire.errors import BackendError, ConfigError

_STATEMENT_CACHE_SIZE = 256

log = logging.getLogger(__name__)


def _import_iris():
    return ic.import_iris(
        "sql",
        "the embedded backend runs inside IRIS: start it with "
        "`irispython -m iris_pgwire.server --backend embedded` (iris.sql is not importable here)",
    )


def available() -> bool:
    """True when running inside IRIS (``iris.sql`` importable)."""
    try:
        _import_iris()
        return True
    except ConfigError:
        return False


def _error(exc: BaseException) -> BaseException:
    """SQLError (irisbuiltins) -> BackendError with the mapped SQLSTATE."""
    code = getattr(exc, "sqlcode", None)
    if code is None:
        return exc
    return ic.sql_error(int(code), str(getattr(exc, "message", "") or exc))


def _items(listish) -> list:
    """A %ListOfObjects (Count/GetAt, 1-based) or a Python sequence as a list."""
    if listish is None:
        return []
    if hasattr(listish, "Count") and hasattr(listish, "GetAt"):
        return [listish.GetAt(i) for i in range(1, listish.Count() + 1)]
    return list(listish)


def _metadata(stmt):
    """Statement metadata (verify the accessor on a real instance: the facts name
    ``_GetMetadata()`` on result sets and ``%Metadata`` on %SQL.Statement)."""
    for name in ("_GetMetadata", "GetMetadata"):
        fn = getattr(stmt, name, None)
        if fn is not None:
            return fn()
    return getattr(stmt, "_Metadata", None) or getattr(stmt, "Metadata", None)


def _columns(meta) -> Optional[list[Column]]:
    """Result columns of statement or result-set metadata (None: no rows)."""
    cols = _items(getattr(meta, "columns", None))
    return [
        (c.colName, ic.column_type(c.ODBCType, getattr(c, "clientType", None),
                                   getattr(c, "precision", None), getattr(c, "scale", None)))
        for c in cols
    ] or None


class _Prepared:
    __slots__ = ("stmt", "columns", "param_types", "described")

    def __init__(self, stmt) -> None:
        meta = _metadata(stmt)
        self.stmt = stmt
        # False when the statement has no metadata accessor (seen as possible on some
        # instances): its columns then come from the result set after execution.
        self.described = meta is not None
        self.columns: Optional[list[Column]] = _columns(meta)
        self.param_types = [
            (getattr(p, "ODBCType", None), getattr(p, "clientType", None))
            for p in _items(getattr(meta, "parameters", None))
        ]


class EmbeddedCursor:
    def __init__(self, rs, columns: Optional[list[Column]], rowcount: int) -> None:
        self._rs = iter(rs) if rs is not None else None
        self.description = columns
        self.rowcount = rowcount
        self._types = [ic.base_type(t) for _, t in columns] if columns else []

    def fetch(self, n: int) -> list[tuple]:
        if self._rs is None:
            return []
        out = []
        for row in self._rs:
            out.append(tuple(
                None if v is None else ic.from_logical(v, t)
                for v, t in zip((ic.embedded_value(x) for x in row), self._types)
            ))
            if len(out) >= n:
                break
        if len(out) < n:
            self._rs = None
        return out

    def close(self) -> None:
        self._rs = None


class EmbeddedConnection:
    def __init__(self, backend: "EmbeddedBackend") -> None:
        self._backend = backend
        self._iris = backend.iris
        self._cache: dict[str, _Prepared] = {}
        self._in_txn = False
        self._closed = False
        self._cancelling = False

    def _prepare(self, sql: str) -> _Prepared:
        sql = ic.check_one_statement(sql)
        p = self._cache.get(sql)
        if p is None:
            try:
                p = _Prepared(self._iris.sql.prepare(sql))
            except Exception as exc:
                raise _error(exc) from None
            if len(self._cache) >= _STATEMENT_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[sql] = p
        return p

    def describe(self, sql: str) -> Optional[list[Column]]:
        p = self._prepare(sql)
        if p.described or not ic.is_query(sql):
            return p.columns
        # No statement metadata: the result set of a query that returns no rows says.
        probe, markers = ic.describe_sql(sql)
        try:
            rs = self._iris.sql.exec(probe, *[ic.embedded_param(None)] * markers)
        except Exception as exc:
            raise _error(exc) from None
        return _columns(_metadata(rs))

    def execute(self, sql: str, params: Sequence[Any], describe: bool = True) -> EmbeddedCursor:
        self._check()
        if _is_ddl(sql):
            self._cache.clear()  # IRIS purges cached queries when a table changes
        p = self._prepare(sql)
        types = p.param_types or [(None, None)] * len(params)
        bound = [
            ic.embedded_param(None if v is None else ic.to_iris(v, *t, mode=self._backend.select_mode))
            for v, t in zip(params, types)
        ]
        self._cancelling = False
        try:
            rs = p.stmt.execute(*bound)
        except Exception as exc:
            raise self._cancel_error(exc) or _error(exc) from None
        columns = p.columns if p.described else _columns(_metadata(rs))
        rowcount = -1 if columns else _rowcount(rs)
        return EmbeddedCursor(rs if columns else None, columns, rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """One prepared DML statement executed for every row (COPY FROM), inside the
        caller's IRIS transaction; a failure names its row in ``BackendError.row``."""
        self._check()
        self._cancelling = False
        total = 0
        p = self._prepare(sql)
        mode = self._backend.select_mode
        for i, params in enumerate(rows):
            types = p.param_types or [(None, None)] * len(params)
            bound = [
                ic.embedded_param(None if v is None else ic.to_iris(v, *t, mode=mode))
                for v, t in zip(params, types)
            ]
            try:
                rs = p.stmt.execute(*bound)
            except Exception as exc:
                err = self._cancel_error(exc) or _error(exc)
                if isinstance(err, BackendError):
                    err.row = i
                raise err from None
            total += max(_rowcount(rs), 0)
        return total

    def cancel(self) -> None:
        """Stop the statement this job runs: $SYSTEM.SQL.CancelQuery($JOB) (iris-facts, verify)."""
        self._cancelling = True
        self._iris.system.SQL.CancelQuery(self._iris.system.Process.ProcessID())

    def _cancel_error(self, exc: BaseException) -> Optional[BackendError]:
        if not self._cancelling:
            return None
        self._cancelling = False
        return BackendError("57014", "canceling statement due to user request", detail=str(exc))

    def begin(self) -> None:
        self._check()
        self._run("START TRANSACTION")
        self._in_txn = True

    def commit(self) -> None:
        self._end("COMMIT")

    def rollback(self) -> None:
        self._end("ROLLBACK")

    def _end(self, verb: str) -> None:
        if not self._in_txn:
            return
        try:
            self._run(verb)
        except BaseException:
            if verb == "COMMIT":
                self._run_quietly("ROLLBACK")  # never leave the job in a transaction
            raise
        finally:
            self._in_txn = False

    def _run(self, sql: str) -> None:
        try:
            self._iris.sql.exec(sql)
        except Exception as exc:
            raise _error(exc) from None

    def _run_quietly(self, sql: str) -> None:
        try:
            self._iris.sql.exec(sql)
        except Exception:
            pass

    def reset(self) -> None:
        """Called by the pool before reusing a connection on which a call failed or was
        cancelled: forget a cancel that found nothing to stop, end a transaction left
        open, drop prepared statements an interrupted call may have left half-made, and
        check the job answers."""
        self._check()
        self._cancelling = False
        self._cache.clear()
        if self._in_txn:
            self._end("ROLLBACK")
        self._run("SELECT 1")

    def set_statement_timeout(self, ms: int) -> None:
        """Not enforceable here: iris.sql has no query timeout (documented in docs/iris.md)."""

    def take_notifications(self, limit: int) -> list:
        """Committed NOTIFYs sent from IRIS code (iris_pgwire/iris_notify.py), taken off the queue."""
        return iris_notify.take(self, limit)

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self._in_txn:
                self._end("ROLLBACK")
        finally:
            self._closed = True

    def _check(self) -> None:
        if self._closed:
            raise BackendError("08003", "connection is closed")


def _is_ddl(sql: str) -> bool:
    head = sql.lstrip()[:8].upper()
    return head.startswith(("CREATE", "ALTER", "DROP", "TRUNCATE"))


def _rowcount(rs) -> int:
    """Rows affected by DML: result ``.rowcount`` / %ROWCOUNT (verify)."""
    for name in ("rowcount", "_ROWCOUNT", "ROWCOUNT"):
        value = getattr(rs, name, None)
        if isinstance(value, int):
            return value
    return -1


def _sql_util(iris):
    """%SYSTEM.SQL.Util (verify which of the two spellings resolves in irispython)."""
    try:
        return iris.system.SQL.Util
    except AttributeError:
        return iris.cls("%SYSTEM.SQL.Util")


def _select_odbc_mode(iris) -> str:
    """Ask for ODBC select mode and return the mode statements really run in.

    %SYSTEM.SQL.Util.SetOption("SelectMode", 1) sets the process default, which
    a new %SQL.Statement's %SelectMode (so iris.sql) starts from (verify). The
    probe decides, whatever SetOption said; start-up never fails here.
    """
    reason = "the process option did not reach iris.sql"
    try:
        status = _sql_util(iris).SetOption("SelectMode", 1)
        if status not in (1, "1", True):
            reason = f"SetOption returned {status!r}"
    except Exception as exc:
        reason = f"SetOption failed: {exc}"
    try:
        value = next(iter(iris.sql.exec(ic.SELECT_MODE_PROBE)))[0]
        mode = ic.select_mode_from_probe(value)
        if mode is None:
            reason = f"the probe returned {value!r}"
    except Exception as exc:
        mode, reason = None, f"the probe failed: {_error(exc)}"
    if mode == ic.ODBC_MODE:
        log.info("IRIS select mode: ODBC (dates and times travel as ISO text)")
        return mode
    log.info("IRIS select mode: logical")
    log.warning(
        "could not run this IRIS job in ODBC select mode (%s): a string literal for a DATE, TIME or "
        "POSIXTIME column such as '2024-02-29' is rejected on INSERT/UPDATE (SQLCODE -104) and matches "
        "nothing in WHERE; write DATE '2024-02-29' / CAST(.. AS DATE) or pass a parameter", reason)
    return ic.LOGICAL


class EmbeddedBackend:
    #: Connections take notifications sent from IRIS code (iris_notify.py).
    notify_queue = True
    name = "embedded"
    dialect = "iris"
    #: Job workers when --iris-jobs is not given (docs/iris.md: sizing).
    default_jobs = 4

    def __init__(
        self,
        namespace: str = "USER",
        *,
        isolation: str = "READ COMMITTED",
        **options: Any,
    ) -> None:
        self.iris = _import_iris()
        self.namespace = namespace
        try:
            self.iris.system.Process.SetNamespace(namespace)
        except Exception as exc:
            raise ConfigError(f"cannot switch this IRIS job to namespace {namespace}: {exc}") from None
        # PostgreSQL's default; IRIS starts every job at READ UNCOMMITTED.
        try:
            self.iris.sql.exec(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        except Exception as exc:
            raise ConfigError(f"cannot set isolation level {isolation}: {_error(exc)}") from None
        self.select_mode = _select_odbc_mode(self.iris)

    def connect(self) -> EmbeddedConnection:
        return EmbeddedConnection(self)

    def catalog_snapshot(self) -> dict:
        """The schema for the gateway's catalog engine, from INFORMATION_SCHEMA."""
        conn = self.connect()
        try:
            return iris_catalog.snapshot(lambda sql: iris_catalog.fetch_all(conn, sql))
        finally:
            conn.close()

    def cancel_job(self, pid: int) -> None:
        """Stop the statement job ``pid`` (a job worker) runs: $SYSTEM.SQL.CancelQuery(pid)
        from this process (iris-facts: without a statement id it cancels the query that
        process runs; SQLCODE -400 when none runs, which is not an error here)."""
        try:
            self.iris.system.SQL.CancelQuery(int(pid))
        except Exception as exc:
            log.debug("CancelQuery(%s): %s", pid, _error(exc))

    def describe_target(self) -> str:
        return (f"IRIS namespace {self.namespace}, one IRIS job per job worker, "
                f"{'ODBC' if self.select_mode == ic.ODBC_MODE else 'logical'} select mode")

    def close(self) -> None:
        pass


def create(config: dict) -> EmbeddedBackend:
    """Backend from the CLI config: iris_namespace, iris_isolation."""
    opts = {"isolation": config["iris_isolation"]} if config.get("iris_isolation") else {}
    return EmbeddedBackend(config.get("iris_namespace") or "USER", **opts)
