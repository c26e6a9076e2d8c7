"""Enum types on the sqlite backend (src/translate/statements/enums.rs).

The gateway keeps each enum's labels in ``pgwire_enum`` (one row per label with
PostgreSQL's sort order). A column of an enum type is declared with the type's name, so
describe and the catalog resolve it to the enum, and carries:

- ``CHECK (pgw_enum(col, schema, name))``: a value that is not a label fails with
  PostgreSQL's 22P02 ``invalid input value for enum name: "x"``;
- ``COLLATE "pgw_enum:<name>"``: comparisons, ORDER BY, min/max and indexes follow the
  labels' declaration order, as PostgreSQL's enum comparisons do.

``pgw_enum_in(v, schema, name)`` is the cast ``'x'::name`` / ``$1::name``: the value, or 22P02.

The labels are cached per backend (all its connections) and read again when a value is
not among them (a label added since) or a statement changed ``pgwire_enum``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Optional

from iris_pgwire.errors import BackendError

TABLE = "pgwire_enum"
CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (type_schema TEXT NOT NULL, type_name TEXT NOT NULL, "
          "label TEXT NOT NULL, sort_order REAL NOT NULL, PRIMARY KEY (type_schema, type_name, label));")
COLLATION_PREFIX = "pgw_enum:"
_MISSING_COLLATION = re.compile(r"no such collation sequence: (pgw_enum:\S+)")


def key(schema: str, name: str) -> str:
    """The name columns are declared with (src/types/enums.rs ``key``)."""
    return name.lower() if schema == "public" else f"{schema.lower()}.{name.lower()}"


def split_key(k: str) -> tuple[str, str]:
    schema, dot, name = k.partition(".")
    return (schema, name) if dot else ("public", k)


class Enums:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> {label: sort order}
        self._labels: dict[str, dict[str, float]] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._labels.clear()

    def _load(self, conn: sqlite3.Connection, k: str) -> dict[str, float]:
        schema, name = split_key(k)
        try:
            rows = conn.execute(f"SELECT label, sort_order FROM {TABLE} WHERE lower(type_schema) = ? "
                                "AND lower(type_name) = ?", (schema.lower(), name.lower())).fetchall()
        except sqlite3.Error:
            rows = []
        labels = {label: order for label, order in rows}
        with self._lock:
            self._labels[k] = labels
        return labels

    def labels(self, conn: sqlite3.Connection, k: str, value: Optional[str] = None) -> dict[str, float]:
        with self._lock:
            labels = self._labels.get(k)
        if labels is None or (value is not None and value not in labels):
            labels = self._load(conn, k)
        return labels

    def names(self, conn: sqlite3.Connection) -> set[str]:
        """Keys of every enum type, for describe's type names."""
        try:
            return {key(s, n) for s, n in conn.execute(f"SELECT DISTINCT type_schema, type_name FROM {TABLE}")}
        except sqlite3.Error:
            return set()

    def register(self, conn: sqlite3.Connection, raise_error) -> None:
        """The functions, and a collation for each enum type that exists now."""

        def valid(value, schema, name):
            if value is None:
                return 1
            k = key(schema, name)
            if str(value) not in self.labels(conn, k, str(value)):
                raise_error(BackendError("22P02", f'invalid input value for enum {k}: "{value}"'))
            return 1

        def cast(value, schema, name):
            valid(value, schema, name)
            return None if value is None else str(value)

        conn.create_function("pgw_enum", 3, valid)
        conn.create_function("pgw_enum_in", 3, cast)
        for k in self.names(conn):
            self.register_collation(conn, COLLATION_PREFIX + k)

    def register_collation(self, conn: sqlite3.Connection, collation: str) -> None:
        k = collation[len(COLLATION_PREFIX):]

        def compare(a: str, b: str) -> int:
            labels = self.labels(conn, k)
            if a not in labels or b not in labels:
                labels = self.labels(conn, k, a if a not in labels else b)
            # Labels first, by their order; anything else (none is stored: the CHECK) after.
            ka = (0, labels[a], "") if a in labels else (1, 0.0, a)
            kb = (0, labels[b], "") if b in labels else (1, 0.0, b)
            return (ka > kb) - (ka < kb)

        conn.create_collation(collation, compare)

    def missing_collation(self, conn: sqlite3.Connection, err: sqlite3.Error) -> bool:
        """Register the enum collation ``err`` says is missing (a type made by another
        connection since this one opened); True if the statement can be run again."""
        m = _MISSING_COLLATION.search(str(err))
        if not m:
            return False
        self.register_collation(conn, m.group(1))
        return True
