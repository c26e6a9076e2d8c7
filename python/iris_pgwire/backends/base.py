"""The backend protocol: what the Rust core calls to run SQL.

A *backend* opens *connections*; one connection is one IRIS job (or one
sqlite3 connection) and is used by one thread at a time. The Rust core calls
these methods from its own worker threads, holding the GIL only for the call.

Columns are described before any row is fetched and never guessed from data.
A column is a tuple ``(name, type_name)``: ``type_name`` is a PostgreSQL type
name known to the Rust type registry (``"int4"``, ``"int8"``, ``"text"``,
``"numeric"``, ``"float8"``, ``"bool"``, ``"bytea"``, ``"date"``,
``"timestamp"``, ...).

Values in rows are plain Python objects: ``None``, ``bool``, ``int``,
``float``, ``str``, ``bytes``, ``decimal.Decimal``, ``datetime.date`` /
``time`` / ``datetime``, ``uuid.UUID``, ``list`` (arrays).

Parameters arrive as ``None``, ``bool``, ``int``, ``float``, ``str`` or
``bytes``, already decoded from the wire by the Rust core, in the order of the
``?`` markers of the SQL the backend receives (the translator has rewritten
PostgreSQL ``$n`` markers for the backend's dialect).

Errors: raise :class:`iris_pgwire.errors.BackendError` with a SQLSTATE; any
other exception reaches the client as ``XX000`` with its text.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, Sequence, Tuple

Column = Tuple[str, str]


class Cursor(Protocol):
    #: Result columns, or None when the statement returns no rows.
    description: Optional[list[Column]]
    #: Rows affected by DML; -1 when unknown or not applicable.
    rowcount: int

    def fetch(self, n: int) -> list[tuple]:
        """Up to ``n`` rows; an empty list once the result is exhausted."""

    def close(self) -> None: ...


class Connection(Protocol):
    def describe(self, sql: str) -> Optional[list[Column]]:
        """Result columns of ``sql`` without executing it (None: returns no rows)."""

    def execute(self, sql: str, params: Sequence[Any], describe: bool = True) -> Cursor:
        """Run ``sql``. With ``describe`` False the core already knows the result's
        column types: ``description`` then only needs the names (type names may be
        ``""``), which spares backends that type columns with a query of their own."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one DML statement once per row of ``rows`` (a list of tuples: a batch
        of COPY FROM) and return the rows affected. On failure, set ``row`` on the
        BackendError to the index of the failing row when it is known."""

    def cancel(self) -> None:
        """Optional. Stop the statement running on this connection; called from another
        thread while ``execute``/``fetch``/``executemany`` runs. The interrupted call
        raises BackendError 57014."""

    def reset(self) -> None:
        """Optional. Called by the pool before a connection on which a call failed or was
        cancelled is used again (by any session): end a transaction left open, remove
        what an interrupted call left behind (describe probes, temporary objects,
        settings), and check the connection answers. Raising closes the connection and
        the pool opens another."""

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class Backend(Protocol):
    #: "sqlite", "embedded" or "dbapi"
    name: str
    #: Translator target: "sqlite" or "iris".
    dialect: str

    def connect(self) -> Connection: ...

    def close(self) -> None: ...
