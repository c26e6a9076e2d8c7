"""Embedded-Python face of the fake: iris.sql and iris.system, one job per process.

Statements take the job's select mode when prepared (%SQL.Statement's
%SelectMode starts from the process setting): logical values in logical mode,
ODBC text for DATE/TIME/POSIXTIME in ODBC mode. ``iris.system.SQL.Util.SetOption
("SelectMode", n)`` sets it; FAKE_IRIS_SELECTMODE_LOCKED=1 makes that a no-op
(an instance where the process option does not reach iris.sql);
FAKE_IRIS_STATEMENT_METADATA=0 gives prepared statements no metadata accessor
(an instance where only result sets offer ``_GetMetadata()``).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

import irisbuiltins
from _fakeiris import values
from _fakeiris.engine import FakeSQLError, Job, Prepared

_job: Optional[Job] = None
_job_guard = threading.Lock()


def _the_job() -> Job:
    """The IRIS job this OS process is (created on first use, like irispython)."""
    global _job
    with _job_guard:
        if _job is None or _job.closed:
            _job = Job(os.environ.get("IRISNAMESPACE", "USER"), pid=os.getpid())
        return _job


def _sql_error(exc: FakeSQLError, statement: str) -> irisbuiltins.SQLError:
    return irisbuiltins.SQLError(exc.sqlcode, exc.message, statement)


class _ListOfObjects:
    """%ListOfObjects: Count() and 1-based GetAt(i)."""

    def __init__(self, items) -> None:
        self._items = list(items)

    def Count(self) -> int:
        return len(self._items)

    def GetAt(self, i: int):
        return self._items[i - 1] if 1 <= i <= len(self._items) else None


class _Metadata:
    """%SQL.StatementMetadata: columns, parameters, columnCount, statementType."""

    def __init__(self, prepared: Prepared) -> None:
        cols = prepared.columns or []
        self.columns = _ListOfObjects(cols)
        self.parameters = _ListOfObjects(prepared.params)
        self.columnCount = len(cols)
        self.statementType = 1 if prepared.columns is not None else 0


class ResultSet:
    """Iterable result: each row is a list of values in the statement's select mode."""

    def __init__(self, prepared: Prepared, rows, rowcount: int, mode: str) -> None:
        self._prepared = prepared
        self._mode = mode
        self._rows = iter(rows)
        self._count = 0
        self._dml_count = rowcount

    def __iter__(self):
        return self

    def __next__(self) -> list:
        row = next(self._rows)
        self._count += 1
        cols = self._prepared.columns or []
        return [values.embedded_value(v, c, self._mode) for v, c in zip(row, cols)]

    @property
    def rowcount(self) -> int:
        """%ROWCOUNT: rows affected by DML, rows fetched so far by a query (verify)."""
        return self._count if self._prepared.columns is not None else self._dml_count

    def _GetMetadata(self) -> _Metadata:
        return _Metadata(self._prepared)


class _Statement:
    """%SQL.Statement as an instance whose statements expose no metadata accessor to
    Python (FAKE_IRIS_STATEMENT_METADATA=0): only result sets describe themselves."""

    def __init__(self, prepared: Prepared, mode: str) -> None:
        self._prepared = prepared
        self._mode = mode  # %SelectMode

    def execute(self, *params: Any) -> ResultSet:
        p = self._prepared
        job = _the_job()
        try:
            if len(params) != len(p.params):
                raise FakeSQLError(-1, f"{len(p.params)} parameters expected, {len(params)} given")
            bound = [values.embedded_bind(v, info, self._mode) for v, info in zip(params, p.params)]
            result = job.execute(p, bound)
        except FakeSQLError as exc:
            raise _sql_error(exc, p.sql) from None
        return ResultSet(p, result.rows, result.rowcount, self._mode)


class Statement(_Statement):
    def _GetMetadata(self) -> _Metadata:
        return _Metadata(self._prepared)


class _SQL:
    def prepare(self, sql: str) -> _Statement:
        job = _the_job()
        kind = _Statement if os.environ.get("FAKE_IRIS_STATEMENT_METADATA") == "0" else Statement
        try:
            return kind(job.prepare(sql), job.mode)
        except FakeSQLError as exc:
            raise _sql_error(exc, sql) from None

    def exec(self, sql: str, *params: Any) -> ResultSet:
        return self.prepare(sql).execute(*params)


sql = _SQL()


class _Process:
    @staticmethod
    def SetNamespace(namespace: str) -> str:
        job = _the_job()
        old = job.namespace
        try:
            job.set_namespace(namespace)
        except FakeSQLError as exc:
            raise RuntimeError(exc.message) from None
        return old

    @staticmethod
    def NameSpace() -> str:
        return _the_job().namespace

    @staticmethod
    def ProcessID() -> int:
        """$JOB of this process's job."""
        return _the_job().pid


class _Util:
    """%SYSTEM.SQL.Util: only the SelectMode process option is modelled."""

    _MODES = {0: "logical", 1: "odbc"}  # 2 (Display) is not simulated

    @staticmethod
    def SetOption(option: str, value: Any) -> int:
        """IRIS: SetOption(pOption, pValue, ByRef oldValue) As %Status (docs: ``set
        status=$SYSTEM.SQL.Util.SetOption("AllowExtrinsicFunctions",1,.oldval)``).
        Returns 1 (OK); the by-reference old value is not modelled, and an option
        the fake does not know raises (IRIS would return an error %Status, verify)."""
        if str(option).lower() != "selectmode":
            raise RuntimeError(f"fake iris: SQL option {option!r} is not simulated")
        mode = _Util._MODES.get(int(value))
        if mode is None:
            raise RuntimeError(f"fake iris: SelectMode {value!r} is not simulated")
        if os.environ.get("FAKE_IRIS_SELECTMODE_LOCKED") != "1":
            _the_job().mode = mode
        return 1


class _SystemSQL:
    Util = _Util

    @staticmethod
    def CancelQuery(pid: int) -> int:
        """$SYSTEM.SQL.CancelQuery(pid): stop the statement job ``pid`` runs, in this
        process or another (returns 1, OK; SQLCODE -400 for a process that is no job)."""
        try:
            _the_job().instance.cancel(int(pid))
        except FakeSQLError as exc:
            raise _sql_error(exc, f"CancelQuery({pid})") from None
        return 1


class _System:
    Process = _Process
    SQL = _SystemSQL


system = _System()


def cls(name: str):
    raise NotImplementedError(f"fake iris: class {name} is not simulated")
