"""Embedded-Python face of the fake: iris.sql and iris.system, one job per process."""

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
            _job = Job(os.environ.get("IRISNAMESPACE", "USER"))
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
    """Iterable result: each row is a list of logical values."""

    def __init__(self, prepared: Prepared, rows, rowcount: int) -> None:
        self._prepared = prepared
        self._rows = iter(rows)
        self._count = 0
        self._dml_count = rowcount

    def __iter__(self):
        return self

    def __next__(self) -> list:
        row = next(self._rows)
        self._count += 1
        cols = self._prepared.columns or []
        return [values.embedded_value(v, c) for v, c in zip(row, cols)]

    @property
    def rowcount(self) -> int:
        """%ROWCOUNT: rows affected by DML, rows fetched so far by a query (verify)."""
        return self._count if self._prepared.columns is not None else self._dml_count

    def _GetMetadata(self) -> _Metadata:
        return _Metadata(self._prepared)


class Statement:
    def __init__(self, prepared: Prepared) -> None:
        self._prepared = prepared

    def execute(self, *params: Any) -> ResultSet:
        p = self._prepared
        job = _the_job()
        try:
            if len(params) != len(p.params):
                raise FakeSQLError(-1, f"{len(p.params)} parameters expected, {len(params)} given")
            bound = [values.embedded_bind(v, info) for v, info in zip(params, p.params)]
            result = job.execute(p, bound)
        except FakeSQLError as exc:
            raise _sql_error(exc, p.sql) from None
        return ResultSet(p, result.rows, result.rowcount)

    def _GetMetadata(self) -> _Metadata:
        return _Metadata(self._prepared)


class _SQL:
    def prepare(self, sql: str) -> Statement:
        try:
            return Statement(_the_job().prepare(sql))
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
        return os.getpid()


class _System:
    Process = _Process


system = _System()


def cls(name: str):
    raise NotImplementedError(f"fake iris: class {name} is not simulated")
