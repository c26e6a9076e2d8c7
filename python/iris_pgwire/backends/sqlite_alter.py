"""ALTER TABLE forms SQLite has no statement for, done by editing the table's CREATE
statement in ``sqlite_master`` (the "writable_schema" procedure of
https://www.sqlite.org/lang_altertable.html#otheralter), which is sound for changes that
do not touch how rows are stored:

- ``ADD [CONSTRAINT c] FOREIGN KEY ..`` (Django's migrations add every ForeignKey so):
  existing rows are checked with ``PRAGMA foreign_key_check`` (23503, as PostgreSQL
  refuses a constraint its rows break);
- ``ALTER COLUMN c DROP NOT NULL`` / ``SET NOT NULL`` (23502 if a row holds NULL);
- ``ALTER COLUMN c TYPE varchar(n) | text`` on a column of TEXT storage (the translator
  lets nothing else through);
- ``RENAME TO`` of a view (PostgreSQL's ALTER TABLE renames views too; dbt renames each
  view model into place so): SQLite renames only tables, so the view is made again under
  the new name from its stored definition and the old one dropped.

Each runs in one savepoint, so it is atomic in and out of a transaction block.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Callable, Optional

from iris_pgwire.backends.sqlite_catalog import table_exists, unquote
from iris_pgwire.backends.sqlite_functions import ScaleTriggers
from iris_pgwire.errors import BackendError

_IDENT = r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*'
# The translator's renderings (src/translate/sqlite/mod.rs, alter_table).
_ADD_FOREIGN_KEY = re.compile(
    rf"^\s*ALTER TABLE (?P<table>{_IDENT}) ADD "
    rf"(?P<constraint>(?:CONSTRAINT (?P<name>{_IDENT}) )?FOREIGN KEY .*)$",
    re.S,
)
_ALTER_COLUMN = re.compile(
    rf"^\s*ALTER TABLE (?P<table>{_IDENT}) ALTER COLUMN (?P<column>{_IDENT}) "
    r"(?:(?P<null>DROP|SET) NOT NULL|TYPE (?P<type>.+))\s*$",
    re.S,
)
_NOT_NULL = re.compile(r"\s+NOT\s+NULL\b", re.I)
_RENAME = re.compile(rf"^\s*ALTER TABLE (?P<table>{_IDENT}) RENAME TO (?P<new>{_IDENT})\s*$", re.S)
# A view's stored definition: CREATE VIEW name [(columns)] AS ...
_VIEW = re.compile(rf"^\s*CREATE\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:{_IDENT})(?P<rest>.*)$", re.S | re.I)

# PRAGMA writable_schema=RESET makes the connection read the edited schema again.
SUPPORTED = sqlite3.sqlite_version_info >= (3, 33, 0)


def match(sql: str) -> Optional[Callable[[sqlite3.Connection], sqlite3.Cursor]]:
    """The statement as a function of the connection, or None for any other statement."""
    if sql.lstrip()[:5].upper() != "ALTER":
        return None
    m = _ADD_FOREIGN_KEY.match(sql)
    if m:
        return lambda conn: _add_foreign_key(conn, m)
    m = _ALTER_COLUMN.match(sql)
    if m:
        return lambda conn: _alter_column(conn, m)
    m = _RENAME.match(sql)
    if m:
        return lambda conn: _rename(conn, m)
    return None


def _rename(conn: sqlite3.Connection, m: re.Match) -> sqlite3.Cursor:
    """RENAME TO: SQLite's own for a table; a view is made again under the new name."""
    view = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?",
                        (unquote(m.group("table")),)).fetchone()
    if view is None:
        # A table: SQLite's own rename, the numeric scale triggers following it.
        with ScaleTriggers.kept(conn, m.group(0)):
            return conn.execute(m.group(0))
    definition = _VIEW.match(view[0])
    if definition is None:
        raise BackendError("XX000", f"cannot read the definition of view {m.group('table')}")
    conn.execute("SAVEPOINT pgw_rename")
    try:
        taken = "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?"
        if conn.execute(taken, (unquote(m.group("new")),)).fetchone():
            raise BackendError("42P07", f'relation "{unquote(m.group("new"))}" already exists')
        conn.execute(f"CREATE VIEW {m.group('new')}{definition.group('rest')}")
        conn.execute(f"DROP VIEW {m.group('table')}")
    except BaseException:
        conn.execute("ROLLBACK TO pgw_rename")
        conn.execute("RELEASE pgw_rename")
        raise
    return conn.execute("RELEASE pgw_rename")


def _columns(body: str) -> list[str]:
    """The comma-separated items of a CREATE TABLE's parenthesised list."""
    items, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(body):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return items


def _edit(conn: sqlite3.Connection, table: str, edit: Callable[[str], str], check: Callable[[], None]) -> sqlite3.Cursor:
    if not SUPPORTED:
        raise BackendError("0A000", "this ALTER TABLE form is not supported on SQLite before 3.33",
                           hint=f"this Python's SQLite is {sqlite3.sqlite_version}")
    conn.execute("SAVEPOINT pgw_alter")
    try:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        if row is None:
            raise BackendError("42P01", f'relation "{table}" does not exist')
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute("PRAGMA writable_schema = ON")
        try:
            conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (edit(row[0]), table))
            conn.execute(f"PRAGMA schema_version = {version + 1}")
        finally:
            conn.execute("PRAGMA writable_schema = RESET")
        check()
    except BaseException:
        conn.execute("ROLLBACK TO pgw_alter")
        conn.execute("RELEASE pgw_alter")
        raise
    return conn.execute("RELEASE pgw_alter")


def _add_foreign_key(conn: sqlite3.Connection, m: re.Match) -> sqlite3.Cursor:
    table = unquote(m.group("table"))

    def check() -> None:
        # A missing referenced table, or a key that is not unique there, SQLite would
        # notice only when the key is used; PostgreSQL refuses the constraint at once.
        for parent in {r[2] for r in conn.execute(f"PRAGMA foreign_key_list({m.group('table')})")}:
            if not table_exists(conn, parent):
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
            name = unquote(m.group("name")) if m.group("name") else "foreign key"
            raise BackendError(
                "23503",
                f'insert or update on table "{table}" violates foreign key constraint "{name}"',
                detail=f'a row of "{table}" references a key that is not present in table "{broken[2]}"',
            )

    return _edit(conn, table, lambda create: f"{create.rstrip()[:-1]}, {m.group('constraint')})", check)


def _alter_column(conn: sqlite3.Connection, m: re.Match) -> sqlite3.Cursor:
    table, column = unquote(m.group("table")), unquote(m.group("column"))

    def edit(create: str) -> str:
        head, _, rest = create.partition("(")
        items = _columns(rest.rstrip()[:-1])
        for i, item in enumerate(items):
            words = item.split(None, 1)
            if words and unquote(words[0]) == column:
                break
        else:
            raise BackendError("42703", f'column "{column}" of relation "{table}" does not exist')
        name, definition = words[0], words[1] if len(words) > 1 else ""
        if m.group("type"):
            # The declared type is the definition's first word(s), up to a parenthesis
            # group: "VARCHAR(50) NOT NULL" -> "VARCHAR(255) NOT NULL".
            tm = re.match(r"[A-Za-z_ ]+?(?:\([^)]*\))?(?=\s|$)", definition)
            definition = m.group("type") + definition[tm.end():] if tm else f"{m.group('type')} {definition}"
        elif m.group("null") == "DROP":
            definition = _NOT_NULL.sub("", definition)
        elif not _NOT_NULL.search(definition):
            definition = f"{definition} NOT NULL"
        items[i] = f"{item[: len(item) - len(item.lstrip())]}{name} {definition.strip()}"
        return f"{head}({','.join(items)})"

    # Checked before the edit: SQLite treats `IS NULL` on a NOT NULL column as false.
    if m.group("null") == "SET":
        if conn.execute(f"SELECT 1 FROM {m.group('table')} WHERE {m.group('column')} IS NULL LIMIT 1").fetchone():
            raise BackendError("23502", f'column "{column}" of relation "{table}" contains null values')
    return _edit(conn, table, edit, lambda: None)
