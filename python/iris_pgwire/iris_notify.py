"""NOTIFY from code inside IRIS to the gateway's listeners (docs/iris.md, "Notifying gateway
listeners from IRIS").

The IRIS side puts a row in a queue table, in the caller's own IRIS transaction:
``iris_pgwire.notify(channel, payload)`` from embedded Python, or
``##class(IrisPGWire.Notify).Send(channel, payload)`` from ObjectScript (the same INSERT).
The gateway's IRIS backends take the committed rows (``take``: read and delete, in one
READ COMMITTED transaction of a connection of their own) every ``--iris-notify-interval`` seconds and hand
them to the gateway's notification hub. So, as with PostgreSQL's NOTIFY, a notification
goes out only if the IRIS transaction that sent it commits, and it works the same whether
the gateway runs inside IRIS (embedded) or beside it (dbapi).
"""

from __future__ import annotations

import os
from typing import Any, Optional

from iris_pgwire.errors import BackendError

# In the default schema (SQLUser): the catalog the gateway shows hides it (iris_catalog.py).
TABLE = "PGWireNotification"
# Kept identical to IrisPGWire.Notify's TABLEDDL parameter (tests/test_iris_notify.py checks).
CREATE_TABLE = (
    "CREATE TABLE PGWireNotification (Seq BIGINT IDENTITY PRIMARY KEY, "
    "Channel VARCHAR(63) NOT NULL, Payload VARCHAR(8000), Pid INTEGER)"
)
INSERT = "INSERT INTO PGWireNotification (Channel, Payload, Pid) VALUES (?, ?, ?)"
MAX_CHANNEL_BYTES = 63
MAX_PAYLOAD_BYTES = 7999
# IRIS SQLCODEs: -30 table not found, -201 table already exists.
_NO_TABLE, _TABLE_EXISTS = -30, -201


def check(channel: str, payload: str) -> None:
    """pg_notify()'s checks (22023), at the caller, so bad input fails where it is sent."""
    if not channel:
        raise BackendError("22023", "channel name cannot be empty")
    if len(channel.encode()) > MAX_CHANNEL_BYTES:
        raise BackendError("22023", "channel name too long")
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise BackendError("22023", "payload string too long")


def notify(channel: str, payload: Optional[str] = None, connection: Any = None) -> None:
    """Notify the gateway's listeners of ``channel`` when the caller's IRIS transaction
    commits (at once outside one). Inside IRIS (embedded Python) it runs on ``iris.sql``;
    elsewhere pass a DB-API ``connection`` of intersystems-irispython (then the
    connection's transaction decides)."""
    payload = payload or ""
    check(channel, payload)
    args = (channel, payload, os.getpid())
    if connection is None:
        import iris  # embedded Python: this process is an IRIS job

        def run(sql: str, *params: Any) -> None:
            iris.sql.exec(sql, *params)
    else:
        def run(sql: str, *params: Any) -> None:
            cur = connection.cursor()
            try:
                cur.execute(sql, params)
            finally:
                cur.close()
    try:
        run(INSERT, *args)
    except Exception as exc:
        if _sqlcode(exc) != _NO_TABLE:
            raise
        _create_table(run)
        run(INSERT, *args)


def take(conn: Any, limit: int) -> list[tuple[int, str, str]]:
    """Gateway side: up to ``limit`` committed notifications, oldest first, as (pid, channel,
    payload), deleted from the queue in the same transaction. ``conn`` is a connection of
    the gateway's IRIS backends (backends/base.py's protocol). An empty queue (or none yet:
    the IRIS side creates the table on first use) costs one query and no transaction."""
    try:
        cur = conn.execute(f"SELECT TOP 1 Seq FROM {TABLE}", ())
        try:
            if not cur.fetch(1):
                return []
        finally:
            cur.close()
    except BackendError as exc:
        if exc.sqlstate == "42P01":
            return []
        raise
    conn.begin()
    try:
        # IRIS reads uncommitted rows by default: a notification must wait for its commit.
        conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", ())
        cur = conn.execute(f"SELECT TOP {int(limit)} Seq, Channel, Payload, Pid FROM {TABLE} ORDER BY Seq", ())
        try:
            rows = cur.fetch(limit)
        finally:
            cur.close()
        if rows:
            conn.executemany(f"DELETE FROM {TABLE} WHERE Seq = ?", [(r[0],) for r in rows])
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return [(int(pid or 0), channel, payload or "") for _, channel, payload, pid in rows]


def _create_table(run) -> None:
    try:
        run(CREATE_TABLE)
    except Exception as exc:
        if _sqlcode(exc) != _TABLE_EXISTS:
            raise


def _sqlcode(exc: BaseException) -> Optional[int]:
    """The SQLCODE of an IRIS error: ``.sqlcode`` (embedded) or ``[SQLCODE: <-n>:..]`` (DB-API)."""
    code = getattr(exc, "sqlcode", None)
    if code is not None:
        return int(code)
    from iris_pgwire.backends.iris_common import parse_sqlcode

    parsed = parse_sqlcode(str(exc))
    return parsed[0] if parsed else None
