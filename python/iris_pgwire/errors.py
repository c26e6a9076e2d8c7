"""Errors a backend raises so the client sees the right SQLSTATE."""

from __future__ import annotations

from typing import Optional


class BackendError(Exception):
    """A database error with a PostgreSQL SQLSTATE.

    The Rust core reads ``sqlstate``, ``message``, ``detail`` and ``hint``; after a
    failed ``executemany``, ``row`` (when not None) is the index of the failing row.
    """

    row: Optional[int] = None

    def __init__(
        self,
        sqlstate: str,
        message: str,
        detail: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint

    def __repr__(self) -> str:
        return f"BackendError({self.sqlstate!r}, {self.message!r})"


class ConfigError(Exception):
    """Invalid configuration: the server refuses to start, with one clear line."""
