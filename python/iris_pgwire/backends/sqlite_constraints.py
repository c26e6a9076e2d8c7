"""``ALTER TABLE t ADD [CONSTRAINT c] FOREIGN KEY ..`` on SQLite, which has no such statement.

A foreign key does not change how SQLite stores a table, so the constraint is written into
the table's CREATE statement in ``sqlite_master`` (the "writable_schema" procedure of
https://www.sqlite.org/lang_altertable.html#otheralter) and the existing rows are checked
with ``PRAGMA foreign_key_check``; a violation undoes the change and gives 23503, as
PostgreSQL refuses to add a constraint its rows break. All inside one savepoint, so the
statement is atomic in and out of a transaction block.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Optional

from iris_pgwire.errors import BackendError

# The translator's rendering (src/translate/sqlite.rs, alter_table).
_ADD_FOREIGN_KEY = re.compile(
    r'^\s*ALTER TABLE (?P<table>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*) ADD '
    r'(?P<constraint>(?:CONSTRAINT (?P<name>"(?:[^"]|"")+"|\S+) )?FOREIGN KEY .*)$',
    re.S,
)

# PRAGMA writable_schema=RESET makes the connection read the edited schema again.
SUPPORTED = sqlite3.sqlite_version_info >= (3, 33, 0)


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


def match(sql: str) -> Optional[re.Match]:
    """The parts of an ADD FOREIGN KEY statement, or None for any other statement."""
    return _ADD_FOREIGN_KEY.match(sql) if sql.lstrip()[:5].upper() == "ALTER" else None


def add_foreign_key(conn: sqlite3.Connection, m: re.Match) -> sqlite3.Cursor:
    """Runs the statement; returns the cursor of its last step (no rows)."""
    if not SUPPORTED:
        raise BackendError(
            "0A000",
            "ALTER TABLE .. ADD FOREIGN KEY is not supported on SQLite before 3.33",
            hint=f"this Python's SQLite is {sqlite3.sqlite_version}; declare the key in CREATE TABLE",
        )
    table = _unquote(m.group("table"))
    conn.execute("SAVEPOINT pgw_add_constraint")
    try:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        if row is None:
            raise BackendError("42P01", f'relation "{table}" does not exist')
        create = row[0].rstrip()
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute("PRAGMA writable_schema = ON")
        try:
            conn.execute(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                (f"{create[:-1]}, {m.group('constraint')})", table),
            )
            conn.execute(f"PRAGMA schema_version = {version + 1}")
        finally:
            conn.execute("PRAGMA writable_schema = RESET")
        # A missing referenced table, or a key that is not unique there, SQLite would notice
        # only when the key is used; PostgreSQL refuses the constraint at once.
        for parent in {r[2] for r in conn.execute(f"PRAGMA foreign_key_list({m.group('table')})")}:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (parent,)).fetchone() is None:
                raise BackendError("42P01", f'relation "{parent}" does not exist')
        try:
            broken = conn.execute(f"PRAGMA foreign_key_check({m.group('table')})").fetchone()
        except sqlite3.OperationalError as e:
            if "foreign key mismatch" not in str(e):
                raise
            raise BackendError(
                "42830", "there is no unique constraint matching given keys for referenced table", detail=f"sqlite: {e}"
            ) from None
        if broken is not None:
            name = _unquote(m.group("name")) if m.group("name") else "foreign key"
            raise BackendError(
                "23503",
                f'insert or update on table "{table}" violates foreign key constraint "{name}"',
                detail=f'a row of "{table}" references a key that is not present in table "{broken[2]}"',
            )
    except BaseException:
        conn.execute("ROLLBACK TO pgw_add_constraint")
        conn.execute("RELEASE pgw_add_constraint")
        raise
    return conn.execute("RELEASE pgw_add_constraint")
