"""ALTER TABLE forms of the fake beyond ADD/DROP, as IRIS documents them (RSQL_altertable):

    ALTER TABLE t ALTER [COLUMN] f NULL | NOT NULL
    ALTER TABLE t ALTER [COLUMN] f datatype
    ALTER TABLE t ALTER [COLUMN] f [SET] DEFAULT [(] spec [)] | DROP DEFAULT
    ALTER TABLE t ALTER [COLUMN] f RENAME newname
    ALTER TABLE t RENAME newtable

PostgreSQL's spellings of the same changes (``SET NOT NULL``, ``DROP NOT NULL``, ``TYPE x``,
``SET DATA TYPE x``, ``RENAME COLUMN a TO b``, ``RENAME TO t``) are not in that grammar and
are refused (SQLCODE -1), as is ALTER TABLE of a view (IRIS's ALTER VIEW only redefines one;
-30 here, verify). sqlite has only the renames: the column changes edit the table's stored
definition (the gateway's sqlite_alter does the same for its own backend).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Callable, Optional, Tuple

from _fakeiris import sqltext
from _fakeiris.errors import FakeSQLError, from_sqlite
from _fakeiris.information_schema import DESCRIPTIONS

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_%][\w%]*)'
_ALTER_COLUMN = re.compile(rf"^\s*ALTER\s+TABLE\s+({_NAME})\s+ALTER\s+(?:COLUMN\s+)?({_NAME})\s+(.*?)\s*$",
                           re.I | re.S)
_RENAME_TABLE = re.compile(rf"^\s*ALTER\s+TABLE\s+({_NAME})\s+RENAME\s+(.*?)\s*$", re.I | re.S)
# PostgreSQL's spellings, not in IRIS's grammar.
_NOT_IRIS = re.compile(r"^(?:SET\s+NOT\s+NULL|DROP\s+NOT\s+NULL|TYPE\b|SET\s+DATA\s+TYPE\b|SET\s+(?!DEFAULT\b)"
                       r"|DROP\s+(?!DEFAULT\s*$)|RENAME\s+TO\b)", re.I)

#: (kind, table, column, argument): kind is null, not_null, type, set_default, drop_default,
#: rename_column or rename_table.
Change = Tuple[str, str, Optional[str], Optional[str]]


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parse(sqlite_sql: str) -> Optional[Change]:
    """The change an ALTER TABLE .. ALTER COLUMN / RENAME statement makes (names as the
    sqlite tables have them, schemas already folded in), None for other statements;
    PostgreSQL's spellings raise SQLCODE -1."""
    blank = sqltext.blank_literals(sqlite_sql, identifiers=False)
    m = _ALTER_COLUMN.match(blank)
    if m:
        table, column = _unquote(m.group(1)), _unquote(m.group(2))
        action = sqlite_sql[m.start(3):m.end(3)]
        head = action.upper().split()
        if _NOT_IRIS.match(blank[m.start(3):m.end(3)]) or not head:
            raise FakeSQLError(-1, f"ALTER COLUMN {action[:30]!r} is not IRIS SQL (NULL, NOT NULL, datatype, "
                                   "[SET] DEFAULT, DROP DEFAULT, RENAME newname)", "Prepare")
        if head == ["NULL"]:
            return "null", table, column, None
        if head == ["NOT", "NULL"]:
            return "not_null", table, column, None
        if head == ["DROP", "DEFAULT"]:
            return "drop_default", table, column, None
        if head[0] in ("SET", "DEFAULT"):
            spec = re.sub(r"^\s*(?:SET\s+)?DEFAULT\s+", "", action, flags=re.I)
            return "set_default", table, column, spec
        if head[0] == "RENAME":
            if len(head) != 2:
                raise FakeSQLError(-1, "ALTER COLUMN f RENAME takes the new name only", "Prepare")
            return "rename_column", table, column, _unquote(action.split()[1])
        if head[0] == "COLLATE":
            raise FakeSQLError(-1, "ALTER COLUMN .. COLLATE is not modelled by the fake", "Prepare")
        return "type", table, column, action
    m = _RENAME_TABLE.match(blank)
    if m:
        rest = m.group(2).split()
        if len(rest) != 1 or rest[0].upper() in ("TO", "COLUMN"):
            raise FakeSQLError(-1, "ALTER TABLE .. RENAME takes the new table name only (RENAME newtable)", "Prepare")
        return "rename_table", _unquote(m.group(1)), None, _unquote(sqlite_sql[m.start(2):m.end(2)].strip())
    return None


def run(conn: sqlite3.Connection, change: Change) -> None:
    """Make the change on the job's connection, atomically."""
    kind, table, column, arg = change
    kinds = conn.execute("SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')",
                         [table]).fetchone()
    if kinds is None or kinds[0] == "view":
        raise FakeSQLError(-30, f"Table '{table.upper()}' not found")
    conn.execute("SAVEPOINT _fakeiris_alter")
    try:
        # A table of another schema is the sqlite table "schema.name" (sqltext.qualify_schemas);
        # the new name stays in its schema. Descriptions are kept by the name alone.
        schema, _, name = table.rpartition(".")
        if kind == "rename_table":
            conn.execute(f"ALTER TABLE {_quote(table)} RENAME TO {_quote(f'{schema}.{arg}' if schema else arg)}")
            conn.execute(f"UPDATE {DESCRIPTIONS} SET tbl = ? WHERE tbl = ?", [arg, name])
        elif kind == "rename_column":
            conn.execute(f"ALTER TABLE {_quote(table)} RENAME COLUMN {_quote(column)} TO {_quote(arg)}")
            conn.execute(f"UPDATE {DESCRIPTIONS} SET col = ? WHERE tbl = ? AND col = ?", [arg, name, column])
        else:
            if kind == "not_null" and conn.execute(
                    f"SELECT 1 FROM {_quote(table)} WHERE {_quote(column)} IS NULL LIMIT 1").fetchone():
                raise FakeSQLError(-108, f"'{column}' in table '{table}' is a required field: a row holds NULL "
                                         "(verify SQLCODE)")
            _edit_column(conn, table, column, lambda d: _changed(d, kind, arg))
    except BaseException as exc:
        conn.execute("ROLLBACK TO _fakeiris_alter")
        conn.execute("RELEASE _fakeiris_alter")
        if isinstance(exc, sqlite3.Error):
            raise from_sqlite(exc, writing=True, location="Execute") from None
        raise
    conn.execute("RELEASE _fakeiris_alter")


_DEFAULT = re.compile(r"\s+DEFAULT\s+", re.I)
_NOT_NULL = re.compile(r"\s+NOT\s+NULL\b", re.I)
# The declared type at the head of a definition: words up to a parenthesis group.
_TYPE = re.compile(r"[A-Za-z_][\w ]*?(?:\([^)]*\))?(?=\s|$)")


def _changed(definition: str, kind: str, arg: Optional[str]) -> str:
    """A column's definition (after its name) with the change made."""
    if kind == "null":
        return _NOT_NULL.sub("", definition)
    if kind == "not_null":
        return definition if _NOT_NULL.search(definition) else f"{definition} NOT NULL"
    if kind == "type":
        t = _TYPE.match(definition)
        return arg + definition[t.end():] if t else f"{arg} {definition}"
    definition = _without_default(definition)
    if kind == "drop_default":
        return definition
    t = _TYPE.match(definition)
    return f"{definition} {sqltext.default_clause(t.group(0) if t else '', arg)}"


def _without_default(definition: str) -> str:
    blank = sqltext.blank_literals(definition)
    m = _DEFAULT.search(blank)
    if not m:
        return definition
    i = m.end()
    if blank[i:i + 1] == "(":
        end = sqltext.matching(blank, i) + 1
    else:
        word = re.match(r"'[^']*'|[-+]?[\w.%]+(?:\s*\([^)]*\))?", blank[i:])
        end = i + (word.end() if word else 0)
    return definition[:m.start()] + definition[end:]


def _edit_column(conn: sqlite3.Connection, table: str, column: str, change: Callable[[str], str]) -> None:
    """Rewrite one column's definition in the table's stored CREATE statement (sqlite's
    writable_schema procedure: sound while rows are stored the same way)."""
    (create,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
                             [table]).fetchone()
    blank = sqltext.blank_literals(create, identifiers=False)
    open_at = blank.index("(")
    close = sqltext.matching(blank, open_at)
    for a, b in sqltext.top_level_items(blank, open_at + 1, close):
        item = create[a:b]
        name = re.match(rf"\s*({_NAME})", item)
        if name and _unquote(name.group(1)).lower() == column.lower():
            edited = item[:name.end()] + " " + change(item[name.end():].strip())
            create = create[:a] + edited + create[b:]
            break
    else:
        raise FakeSQLError(-29, f"Field '{column.upper()}' not found in the applicable tables")
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ? COLLATE NOCASE",
                     [create, table])
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = RESET")
