"""DBAPI face of the fake (``iris.dbapi`` of intersystems-irispython 5.x).

Every connection is its own job (its own transaction). PEP 249, qmark,
threadsafety 1. Errors carry '[SQLCODE: <-n>:<text>]' plus '[Location: <..>]'
and '[%msg: <..>]' lines; classes follow the real module (OperationalError for
an unreachable server, IntegrityError for constraints, ProgrammingError for
SQL errors). Cursors have setQueryTimeout/getQueryTimeout and no cancel().
"""

from __future__ import annotations

import os
import time
from typing import Any, Optional, Sequence

from _fakeiris import values
from _fakeiris.engine import FakeSQLError, Instance, Job, Prepared, users

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"


class Warning(Exception):  # noqa: A001 (PEP 249 name)
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


_LINK = "<COMMUNICATION LINK ERROR> Failed to connect to server; Details: "


def _error(exc: FakeSQLError) -> DatabaseError:
    text = f"[SQLCODE: <{exc.sqlcode}>:<{exc.category}>]\n[Location: <{exc.location}>]\n[%msg: <{exc.message}>]"
    if exc.sqlcode in (-108, -119, -120, -121, -122, -123, -124):
        return IntegrityError(text)
    if exc.sqlcode in (-110, -114, -139):
        return OperationalError(text)
    if exc.sqlcode in (-1, -25, -29, -30, -99, -359):
        return ProgrammingError(text)
    if exc.sqlcode in (-104, -146, -147):
        return DataError(text)
    return DatabaseError(text)


def _down(instance: Instance) -> bool:
    return os.path.exists(os.path.join(instance.directory, "DOWN"))


def connect(
    hostname: Optional[str] = None,
    port: Optional[int] = None,
    namespace: Optional[str] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    timeout: int = 10,
    sharedmemory: bool = True,
    logfile: Optional[str] = None,
    sslconfig: Optional[str] = None,
    autoCommit: bool = True,
    isolationLevel: Optional[int] = None,
    featureOptions: Optional[int] = None,
    accessToken: Optional[str] = None,
    *,
    connectionstr: Optional[str] = None,
) -> "IRISConnection":
    if connectionstr:
        hostport, _, namespace = connectionstr.partition("/")
        hostname, _, p = hostport.partition(":")
        port = int(p)
    if hostname is None or port is None or namespace is None:
        raise TypeError(
            "invalid arguments: connectionstr or hostname, port and namespace are required. timeout, "
            "sharedmemory, logfile, sslconfig, autoCommit, isolationLevel, featureOptions and accessToken are optional."
        )
    instance = Instance.current()
    hosts = {"localhost", "127.0.0.1", os.environ.get("FAKE_IRIS_HOST", "localhost")}
    if hostname not in hosts or int(port) != int(os.environ.get("FAKE_IRIS_PORT", "1972")) or _down(instance):
        raise OperationalError(_LINK + "Error code: -1 Error message: ")
    if sslconfig and not os.environ.get("ISC_SSLconfigurations"):
        raise OperationalError(
            _LINK + "Error code: 2 Error message: <SSL Error> Environment variable "
            "'ISC_SSLconfigurations' not defined\n.\nReason: (2) No such file or directory"
        )
    known = users().get(username or "")
    if known is None or known[0] != password:
        raise OperationalError(_LINK + "<ACCESS DENIED>")  # (verify) exact text
    try:
        job = Job(namespace)
        job.mode = "odbc"  # xDBC connections run in ODBC select mode
        job.user, job.select_only = username, known[1]
    except FakeSQLError as exc:
        raise OperationalError(_LINK + exc.message) from None
    conn = IRISConnection(job, hostname, int(port), bool(sharedmemory) and hostname in ("localhost", "127.0.0.1"))
    conn.setAutoCommit(autoCommit)
    if isolationLevel is not None:
        # JDBC numbering: 1 READ UNCOMMITTED, 2 READ COMMITTED (verify for this driver).
        job.isolation = {1: "READ UNCOMMITTED", 2: "READ COMMITTED"}.get(int(isolationLevel), job.isolation)
    return conn


class IRISConnection:
    def __init__(self, job: Job, hostname: str, port: int, shm: bool) -> None:
        self._job = job
        self.hostname = hostname
        self.port = port
        self._shm = shm
        self._autocommit = True

    # fake-only helpers for tests
    @property
    def _fake_job(self) -> Job:
        return self._job

    def _check(self) -> None:
        if self._job.closed:
            raise InterfaceError("Connection is closed")
        if _down(self._job.instance):
            raise OperationalError("<COMMUNICATION LINK ERROR> Connection lost; Details: server closed the connection")

    def cursor(self) -> "Cursor":
        self._check()
        return Cursor(self)

    def commit(self) -> None:
        self._check()
        self._call(self._job.commit)

    def rollback(self) -> None:
        self._check()
        self._call(self._job.rollback)

    def close(self) -> None:
        self._job.close()

    def isClosed(self) -> bool:
        return self._job.closed

    def isUsingSharedMemory(self) -> bool:
        return self._shm

    def setAutoCommit(self, value: bool) -> None:
        self._autocommit = bool(value)
        self._job.commit_mode = "IMPLICIT" if value else "EXPLICIT"

    @property
    def autocommit(self) -> bool:
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.setAutoCommit(value)

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except FakeSQLError as exc:
            raise _error(exc) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Cursor:
    arraysize = 1

    def __init__(self, conn: IRISConnection) -> None:
        self._conn = conn
        self._rows: list = []
        self._prepared: Optional[Prepared] = None
        self._closed = False
        self._timeout = 0
        self.description = None
        self.rowcount = -1
        self.lastrowid = None

    def setQueryTimeout(self, timeout: int) -> None:
        if not isinstance(timeout, int):
            raise TypeError("Value of 'query timeout' must be an int")
        if timeout < 0:
            raise ValueError("queryTimeout cannot be a negative value.")
        self._timeout = timeout

    def getQueryTimeout(self) -> int:
        return self._timeout

    def execute(self, operation: str, parameters: Optional[Sequence[Any]] = None) -> int:
        if self._closed:
            raise InterfaceError("Cursor is closed")
        self._conn._check()
        job = self._conn._job
        params = list(parameters or [])
        try:
            prepared = job.prepare(operation)
            if len(params) != len(prepared.params):
                raise FakeSQLError(-1, f"{len(prepared.params)} parameters expected, {len(params)} given")
            bound = [values.dbapi_bind(v, p) for v, p in zip(params, prepared.params)]
            result = self._with_timeout(job, lambda: job.execute(prepared, bound))
        except FakeSQLError as exc:
            raise _error(exc) from None
        self._prepared = prepared
        cols = prepared.columns
        self.description = (
            None if cols is None else tuple(
                (c.colName, values.dbapi_type_code(c), c.precision, c.precision, c.precision, c.scale, bool(c.isNullable))
                for c in cols
            )
        )
        self._rows = [tuple(values.dbapi_value(v, c) for v, c in zip(r, cols)) for r in result.rows] if cols else []
        self.rowcount = result.rowcount
        return self.rowcount

    def _with_timeout(self, job: Job, run):
        if not self._timeout:
            return run()
        deadline = time.monotonic() + self._timeout
        conn = job.conn
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
        try:
            return run()
        except FakeSQLError as exc:
            if "interrupted" in exc.message:
                raise OperationalError(f"Query timed out after {self._timeout} seconds") from None  # (verify) text
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def executemany(self, operation: str, seq_of_parameters) -> tuple:
        """Batch execution: one prepare, every parameter set bound and checked up front
        (a list or tuple of sequences, as the driver serialises it), then the rows run in
        order on the server. A failing row stops the batch: the rows before it stay
        applied (in the open transaction) and ``rowcount`` counts them (verify against the
        real driver)."""
        if self._closed:
            raise InterfaceError("Cursor is closed")
        if not isinstance(seq_of_parameters, (list, tuple)):
            raise TypeError("seq_of_parameters must be a list or tuple of sequences")
        self._conn._check()
        job = self._conn._job
        self.description, self._rows, self.rowcount = None, [], 0
        try:
            prepared = job.prepare(operation)
            batch = []
            for params in seq_of_parameters:
                params = list(params)
                if len(params) != len(prepared.params):
                    raise FakeSQLError(-1, f"{len(prepared.params)} parameters expected, {len(params)} given")
                batch.append([values.dbapi_bind(v, p) for v, p in zip(params, prepared.params)])

            def run() -> None:
                for bound in batch:
                    self.rowcount += max(job.execute(prepared, bound).rowcount, 0)

            self._with_timeout(job, run)
        except FakeSQLError as exc:
            raise _error(exc) from None
        self._prepared = prepared
        return ()

    def fetchone(self):
        if self.description is None:
            raise ProgrammingError("no result set")
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: Optional[int] = None) -> tuple:
        if self.description is None:
            raise ProgrammingError("no result set")
        n = self.arraysize if size is None else size
        out, self._rows = self._rows[:n], self._rows[n:]
        return tuple(out)

    def fetchall(self) -> tuple:
        return self.fetchmany(len(self._rows))

    def close(self) -> None:
        self._closed = True
        self._rows = []

    def isClosed(self) -> bool:
        return self._closed

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

