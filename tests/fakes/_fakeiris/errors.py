"""SQLCODE errors raised inside the fake engine; each face turns them into its
own exception (irisbuiltins.SQLError, iris.dbapi.*Error)."""

from __future__ import annotations

import sqlite3
from typing import Optional

#: SQLCODE -> the category text IRIS puts in '[SQLCODE: <n>:<text>]'.
CATEGORY = {
    -1: "Invalid SQL statement",
    -25: "Input encountered after end of query",
    -29: "Field not found in the applicable tables",
    -30: "Table or view not found",
    -99: "Privilege violation",
    -104: "Field validation failed in INSERT, or value failed to convert in DisplayToLogical or OdbcToLogical",
    -108: "Required field missing; INSERT or UPDATE not allowed",
    -110: "Locking conflict in filing",
    -114: "One or more matching rows is locked by another user",
    -119: "UNIQUE or PRIMARY KEY Constraint failed uniqueness check upon INSERT",
    -121: "FOREIGN KEY constraint failed referential check upon INSERT of row in referencing table",
    -146: "Unable to convert date input to a valid logical date value",
    -147: "Unable to convert time input to a valid logical time value",
    -201: "Table or view name not unique",
    -400: "Fatal error occurred",
}


class FakeSQLError(Exception):
    def __init__(self, sqlcode: int, message: str, location: str = "Execute") -> None:
        super().__init__(message)
        self.sqlcode = sqlcode
        self.message = message
        self.location = location

    @property
    def category(self) -> str:
        return CATEGORY.get(self.sqlcode, "SQL error")


def from_sqlite(exc: sqlite3.Error, *, writing: bool, location: str) -> FakeSQLError:
    """The SQLCODE IRIS raises for the situation sqlite reports."""
    text = str(exc)
    low = text.lower()

    def code(n: int, msg: str) -> FakeSQLError:
        return FakeSQLError(n, msg, location)

    if low.startswith("no such table"):
        return code(-30, f"Table 'SQLUSER.{text.split(':', 1)[1].strip().upper()}' not found")
    if low.startswith("no such column"):
        return code(-29, f"Field '{text.split(':', 1)[1].strip().upper()}' not found in the applicable tables")
    if "unique constraint failed" in low:
        return code(-119, f"UNIQUE or PRIMARY KEY Constraint failed uniqueness check upon INSERT ({text.split(':', 1)[1].strip()})")
    if "not null constraint failed" in low:
        field = text.split(":", 1)[1].strip()
        return code(-108, f"'{field.split('.')[-1]}' in table '{field.split('.')[0]}' is a required field")
    if "foreign key constraint failed" in low:
        return code(-121, "FOREIGN KEY constraint failed referential check")
    if "already exists" in low:
        return code(-201, text)
    if "locked" in low or "busy" in low:
        return code(-110 if writing else -114, "Lock timeout: " + text)
    if "syntax error" in low or "incomplete input" in low or low.startswith("near ") or "unrecognized token" in low:
        return code(-1, text)
    if "no such function" in low or "wrong number of arguments" in low:
        return code(-359, text)  # IRIS: user-defined function does not exist
    if "bindings" in low:
        return code(-1, text)
    return code(-400, text)
