"""Column descriptions (``%DESCRIPTION 'text'``) of the fake.

IRIS keeps one description per column (iris-facts.md, "Column descriptions"): given in
CREATE TABLE or ALTER TABLE .. ADD COLUMN, after the column's type, as a string literal;
read back from INFORMATION_SCHEMA.COLUMNS.DESCRIPTION. ALTER TABLE cannot change an
existing column's description, so %DESCRIPTION anywhere else is refused (SQLCODE -1).
The position right after the type is modelled as the only one (verify against a real
instance). sqlite has no descriptions: they live in ``_fakeiris_descriptions``, which the
DDL statements that create, add, drop or replace columns keep in step, in the statement's
own transaction.
"""

from __future__ import annotations

import re
import sqlite3
from typing import List, Optional, Tuple

from _fakeiris import sqltext
from _fakeiris.errors import FakeSQLError
from _fakeiris.information_schema import DESCRIPTIONS as TABLE

CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (tbl TEXT COLLATE NOCASE, col TEXT COLLATE NOCASE, "
          "description TEXT, PRIMARY KEY (tbl, col))")

_KEYWORD = re.compile(r"%DESCRIPTION\b", re.I)
_NAME = r'(?:"?\w+"?\s*\.\s*)?"?(\w+)"?'
_CREATE = re.compile(r"\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?" + _NAME + r"\s*\(", re.I)
_ADD = re.compile(r"\s*ALTER\s+TABLE\s+" + _NAME
                  + r"\s+ADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|FOREIGN\b)", re.I)
_DROP_TABLE = re.compile(r"\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + _NAME, re.I)
_DROP_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+" + _NAME + r"\s+DROP\s+(?:COLUMN\s+)?\"?(\w+)\"?"
                          r"(?:\s+(?:RESTRICT|CASCADE))?(?:\s+%(?:NO)?DELDATA)?\s*$", re.I)
#: A column definition up to where its description may stand: name, then type.
_BEFORE = re.compile(r'^\s*"?(\w+)"?\s+[\w%.]+(?:\s+\w+)?(?:\s*\([\w\s,]*\))?\s*$')

#: What a DDL statement does to descriptions: (kind, table, [(column, description)]).
Change = Tuple[str, str, List[Tuple[str, str]]]


def _blank_strings(sql: str) -> str:
    """``sql`` with the inside of '...' literals blanked (same length); quoted identifiers
    are kept, since their names are what this module reads."""
    out, i = list(sql), 0
    while i < len(sql):
        if sql[i] == "'":
            j = i + 1
            while j < len(sql) and not (sql[j] == "'" and sql[j + 1:j + 2] != "'"):
                j += 2 if sql[j] == "'" else 1
            out[i + 1:j] = " " * (min(j, len(sql)) - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def extract(sql: str) -> Tuple[str, Optional[Change]]:
    """The statement without its %DESCRIPTION clauses, and the change it makes to the
    stored descriptions (None: it changes none)."""
    blank = _blank_strings(sql)
    hits = list(_KEYWORD.finditer(blank))
    create, add = _CREATE.match(blank), _ADD.match(blank)
    if not hits:
        drop = _DROP_TABLE.match(blank)
        if drop:
            return sql, ("drop_table", drop.group(1), [])
        col = _DROP_COLUMN.match(blank)
        if col:
            return sql, ("drop_column", col.group(1), [(col.group(2), "")])
        if create:
            return sql, ("create" if not create.group(1) else "create_if", create.group(2), [])
        return sql, None
    if not create and not add:
        raise FakeSQLError(-1, "%DESCRIPTION is given with a column in CREATE TABLE or ALTER TABLE .. ADD COLUMN; "
                               "ALTER TABLE cannot change a description")
    head = create or add
    if create:
        close = sqltext.matching(blank, create.end() - 1)
        spans = sqltext.top_level_items(blank, create.end(), close if close is not None else len(blank))
    else:
        spans = [(add.end(), len(blank))]
    found: List[Tuple[str, str]] = []
    cuts: List[Tuple[int, int]] = []
    for hit in hits:
        span = next(((a, b) for a, b in spans if a <= hit.start() < b), None)
        before = _BEFORE.match(blank[span[0]:hit.start()]) if span else None
        if before is None:
            raise FakeSQLError(-1, "%DESCRIPTION must follow a column's data type")
        literal = re.match(r"\s*'", blank[hit.end():])
        if literal is None:
            raise FakeSQLError(-1, "%DESCRIPTION takes a string literal")
        open_at = hit.end() + literal.end() - 1
        close_at = blank.index("'", open_at + 1)
        found.append((before.group(1), sql[open_at + 1:close_at].replace("''", "'")))
        cuts.append((hit.start(), close_at + 1))
    for a, b in reversed(cuts):
        sql = sql[:a] + sql[b:]
    kind = "add" if add else ("create" if not create.group(1) else "create_if")
    return sql, (kind, head.group(2) if create else head.group(1), found)


def record(conn: sqlite3.Connection, change: Change) -> None:
    """After the DDL ran: keep the stored descriptions in step with it."""
    kind, table, items = change
    if kind in ("create", "drop_table"):
        conn.execute(f"DELETE FROM {TABLE} WHERE tbl = ?", [table])
    elif kind == "drop_column":
        conn.execute(f"DELETE FROM {TABLE} WHERE tbl = ? AND col = ?", [table, items[0][0]])
        return
    for col, text in items:
        # CREATE TABLE IF NOT EXISTS of an existing table changes nothing.
        verb = "INSERT OR IGNORE" if kind == "create_if" else "INSERT OR REPLACE"
        conn.execute(f"{verb} INTO {TABLE} (tbl, col, description) VALUES (?, ?, ?)", [table, col, text])
