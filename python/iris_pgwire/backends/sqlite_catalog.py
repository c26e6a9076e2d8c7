"""The sqlite backend's schema as the catalog engine reads it (``catalog_snapshot()``).

sqlite_master plus ``PRAGMA table_info / index_list / index_info / foreign_key_list``,
described the way PostgreSQL would show the same schema: PostgreSQL's type names,
constraint and index names (``t_pkey``, ``t_a_key``, ``t_a_fkey``), an owned sequence
``t_id_seq`` for each auto-numbered key (``SERIAL``), defaults as ``pg_get_expr``
prints them. Comments come from ``pgwire_comment`` (``COMMENT ON`` through the
gateway). The database's own names are schema ``public``; the schemas CREATE SCHEMA
made are rows of ``pgwire_schema``, and their objects are named ``"schema.name"``
(src/translate/sqlite/schemas.rs).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, Optional

# Comments written by COMMENT ON (src/translate/sqlite/mod.rs): SQLite has none of its own;
# and the schemas besides public (src/translate/sqlite/schemas.rs).
OWN_TABLES = """CREATE TABLE IF NOT EXISTS pgwire_comment (
    relation TEXT NOT NULL, "column" TEXT NOT NULL DEFAULT '', comment TEXT,
    PRIMARY KEY (relation, "column"));
CREATE TABLE IF NOT EXISTS pgwire_schema (name TEXT PRIMARY KEY);"""

_ACTIONS = {"NO ACTION": "a", "RESTRICT": "r", "CASCADE": "c", "SET NULL": "n", "SET DEFAULT": "d"}

# format_type() spellings for the `'..'::type` of a string default.
_CAST_NAMES = {
    "varchar": "character varying", "character varying": "character varying", "text": "text",
    "char": "bpchar", "character": "bpchar", "bpchar": "bpchar", "date": "date",
    "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
    "time": "time without time zone", "uuid": "uuid", "json": "json", "jsonb": "jsonb",
    "name": "name", "bytea": "bytea", "interval": "interval",
}


def _hidden(name: str) -> bool:
    return name.startswith("sqlite_") or name.startswith("pgwire_") or name.startswith("__pgwire")


def _default(text: Optional[str], pg_type: str) -> Optional[str]:
    """A SQLite default as PostgreSQL's pg_get_expr shows the same default."""
    if text is None:
        return None
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    base = pg_type.split("(")[0].strip()
    if base in ("bool", "boolean"):
        return {"1": "true", "0": "false", "true": "true", "false": "false"}.get(t.lower(), t)
    if t.startswith("'") and t.endswith("'"):
        cast = _CAST_NAMES.get(base)
        if cast is None:
            return t
        return f"{t}::{cast}"
    if re.fullmatch(r"-\d+(\.\d+)?", t):
        return f"'{t}'::{'integer' if base in ('int4', 'integer', 'int') else 'numeric'}"
    if t.upper() == "CURRENT_TIMESTAMP":
        return "CURRENT_TIMESTAMP"
    return t


def _columns_key(table: str, columns: list[str], suffix: str) -> str:
    return "_".join([table, *columns, suffix])


# `CONSTRAINT name FOREIGN KEY (cols)` in a table's CREATE statement: SQLite keeps the
# name only there (PRAGMA foreign_key_list has none).
_NAMED_FOREIGN_KEY = re.compile(r'CONSTRAINT\s+("(?:[^"]|"")+"|\w+)\s+FOREIGN\s+KEY\s*\(([^)]*)\)', re.I)


def unquote(ident: str) -> str:
    """An identifier as SQLite stores the name: quoted as written, bare lower-cased."""
    ident = ident.strip()
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


def _foreign_key_names(sql: str) -> dict[tuple[str, ...], str]:
    """Named foreign keys of a CREATE TABLE statement, by their columns."""
    return {tuple(unquote(c).lower() for c in cols.split(",")): unquote(name)
            for name, cols in _NAMED_FOREIGN_KEY.findall(sql)}


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


class _Names:
    """Stored names (``"s.t"``) as (schema, name) and back."""

    def __init__(self, schemas: list[str]) -> None:
        self.schemas = schemas

    def split(self, stored: str) -> tuple[str, str]:
        schema, dot, name = stored.partition(".")
        if dot and schema in self.schemas:
            return schema, name
        return "public", stored

    def qualified(self, schema: str, name: str) -> str:
        """As regclass prints it with search_path public."""
        return name if schema == "public" else f"{schema}.{name}"


def snapshot(conn: sqlite3.Connection, pg_type) -> dict[str, Any]:
    """The schema of ``conn``; ``pg_type(decltype)`` names a column's PostgreSQL type."""
    comments: dict[tuple[str, str], str] = {}
    if table_exists(conn, "pgwire_comment"):
        for rel, col, text in conn.execute('SELECT relation, "column", comment FROM pgwire_comment'):
            comments[(rel, col)] = text
    schemas = []
    if table_exists(conn, "pgwire_schema"):
        schemas = [r[0] for r in conn.execute("SELECT name FROM pgwire_schema ORDER BY name")]
    names = _Names(schemas)
    relations = []
    objects = conn.execute(
        "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").fetchall()
    for stored, kind, sql in objects:
        if _hidden(stored):
            continue
        rel = _relation(conn, stored, names, kind, sql or "", pg_type, comments)
        relations.append(rel)
        relations.extend(rel.pop("sequences"))
    return {"schemas": ["public", *schemas], "relations": relations}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation(conn, stored, names, kind, sql, pg_type, comments) -> dict[str, Any]:
    schema, name = names.split(stored)
    info = conn.execute(f"PRAGMA table_info({_quote(stored)})").fetchall()
    autoincrement = "AUTOINCREMENT" in sql.upper()
    pk = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    columns, sequences = [], []
    for _cid, col, decl, notnull, dflt, pkpos in info:
        typ = pg_type(decl or "") or "text"
        default = _default(dflt, typ)
        if autoincrement and pk == [col]:
            seq = f"{name}_{col}_seq"
            default = f"nextval('{names.qualified(schema, seq)}'::regclass)"
            sequences.append({"schema": schema, "name": seq, "kind": "S"})
        columns.append({
            "name": col, "type": typ, "not_null": bool(notnull or pkpos), "default": default,
            "comment": comments.get((stored, col)),
        })
    rel: dict[str, Any] = {
        "schema": schema, "name": name, "kind": "v" if kind == "view" else "r",
        "comment": comments.get((stored, "")), "columns": columns, "sequences": sequences,
        "constraints": [], "indexes": [],
    }
    if kind == "view":
        m = re.search(r"\bAS\b\s*(.*)$", sql, re.S | re.I)
        rel["definition"] = m.group(1).strip() if m else sql
        return rel
    if pk:
        rel["constraints"].append({"name": f"{name}_pkey", "kind": "p", "columns": pk})
        rel["indexes"].append({"name": f"{name}_pkey", "columns": pk, "unique": True, "primary": True})
    for _seq, index, unique, origin, _partial in conn.execute(f"PRAGMA index_list({_quote(stored)})").fetchall():
        cols = [r[2] for r in conn.execute(f"PRAGMA index_info({_quote(index)})").fetchall()]
        if origin == "pk" or None in cols:
            continue
        index = names.split(index)[1]
        if origin == "u":
            index = _columns_key(name, cols, "key")
            rel["constraints"].append({"name": index, "kind": "u", "columns": cols})
        rel["indexes"].append({"name": index, "columns": cols, "unique": bool(unique), "primary": False})
    fks: dict[int, dict[str, Any]] = {}
    referenced: dict[int, str] = {}
    for fid, _seq, table, frm, to, on_update, on_delete, _match in conn.execute(
            f"PRAGMA foreign_key_list({_quote(stored)})").fetchall():
        ref_schema, ref_table = names.split(table)
        referenced[fid] = table
        fk = fks.setdefault(fid, {
            "kind": "f", "columns": [], "ref_schema": ref_schema, "ref_table": ref_table, "ref_columns": [],
            "on_update": _ACTIONS.get(on_update.upper(), "a"), "on_delete": _ACTIONS.get(on_delete.upper(), "a"),
        })
        fk["columns"].append(frm)
        fk["ref_columns"].append(to)
    for fid, fk in fks.items():
        if None in fk["ref_columns"]:  # REFERENCES t without columns: t's primary key
            ref = conn.execute(f"PRAGMA table_info({_quote(referenced[fid])})").fetchall()
            fk["ref_columns"] = [r[1] for r in sorted((r for r in ref if r[5]), key=lambda r: r[5])]
        given = _foreign_key_names(sql).get(tuple(c.lower() for c in fk["columns"]))
        fk["name"] = given or _columns_key(name, fk["columns"], "fkey")
        rel["constraints"].append(fk)
    rel["constraints"].sort(key=lambda c: c["name"])
    return rel
