"""A backend that does no work, to measure the gateway itself (`--backend noop_backend:NoopBackend`
with bench/ on PYTHONPATH): every query returns one int4 row, every other statement 0 rows."""

from __future__ import annotations

from typing import Any, Optional, Sequence

_COLUMNS = [("abalance", "int4")]


class NoopCursor:
    def __init__(self, rows: bool) -> None:
        self.description = _COLUMNS if rows else None
        self.rowcount = -1 if rows else 0
        self._left = 1 if rows else 0

    def fetch(self, n: int) -> list[tuple]:
        out, self._left = [(0,)] * min(n, self._left), 0
        return out

    def close(self) -> None:
        pass


class NoopConnection:
    def describe(self, sql: str) -> Optional[list]:
        return _COLUMNS if sql.lstrip()[:6].upper() == "SELECT" else None

    def execute(self, sql: str, params: Sequence[Any], describe: bool = True) -> NoopCursor:
        return NoopCursor(sql.lstrip()[:6].upper() == "SELECT")

    def begin(self) -> None:
        pass

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


class NoopBackend:
    name = "noop"
    dialect = "sqlite"

    def __init__(self, config: dict) -> None:
        pass

    def connect(self) -> NoopConnection:
        return NoopConnection()

    def close(self) -> None:
        pass
