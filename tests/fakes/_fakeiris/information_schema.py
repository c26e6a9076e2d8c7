"""INFORMATION_SCHEMA of the fake: the catalog views the gateway's catalog snapshot
reads (iris-facts.md, "Catalog sources"), computed from sqlite's own schema.

IRIS answers TABLES, COLUMNS, VIEWS, TABLE_CONSTRAINTS, KEY_COLUMN_USAGE,
REFERENTIAL_CONSTRAINTS and INDEXES in the SQLUser schema (the fake models no
other). Column sets are the ones the gateway reads (verify against a real
instance: the real views have more columns). Names of constraints IRIS generates are
modelled as <TABLE>PKEY1 / <TABLE>UNIQUE<n> / <TABLE>FKEY<n> (verify).
"""

from __future__ import annotations

import re
from typing import Optional

#: Column descriptions (%DESCRIPTION, descriptions.py): table, column, text.
DESCRIPTIONS = "_fakeiris_descriptions"

_TABLES = """SELECT 'SQLUser' AS TABLE_SCHEMA, name AS TABLE_NAME,
    CASE type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS TABLE_TYPE, NULL AS DESCRIPTION
  FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite%' AND name NOT LIKE '_fakeiris%'"""

_COLUMNS = """SELECT 'SQLUser' AS TABLE_SCHEMA, m.name AS TABLE_NAME, p.name AS COLUMN_NAME,
    p.cid + 1 AS ORDINAL_POSITION, p.dflt_value AS COLUMN_DEFAULT,
    CASE WHEN p."notnull" OR p.pk THEN 'NO' ELSE 'YES' END AS IS_NULLABLE,
    _is_type(p.type, 'name') AS DATA_TYPE, _is_type(p.type, 'length') AS CHARACTER_MAXIMUM_LENGTH,
    _is_type(p.type, 'precision') AS NUMERIC_PRECISION, _is_type(p.type, 'scale') AS NUMERIC_SCALE,
    CASE WHEN m.sql LIKE '%AUTOINCREMENT%' AND p.pk = 1 THEN 'YES' ELSE 'NO' END AS IS_IDENTITY,
    (SELECT d.description FROM """ + DESCRIPTIONS + """ d WHERE d.tbl = m.name AND d.col = p.name) AS DESCRIPTION
  FROM sqlite_master m JOIN pragma_table_info(m.name) p
  WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '_fakeiris%'"""

_VIEWS = """SELECT 'SQLUser' AS TABLE_SCHEMA, name AS TABLE_NAME,
    substr(sql, instr(upper(sql), ' AS ') + 4) AS VIEW_DEFINITION
  FROM sqlite_master WHERE type = 'view' AND name NOT LIKE '_fakeiris%'"""

# One row per key column: primary keys, UNIQUE constraints and foreign keys.
_KEYS = """SELECT 'SQLUser' AS CONSTRAINT_SCHEMA, upper(m.name) || 'PKEY1' AS CONSTRAINT_NAME,
    'SQLUser' AS TABLE_SCHEMA, m.name AS TABLE_NAME, p.name AS COLUMN_NAME, p.pk AS ORDINAL_POSITION,
    'PRIMARY KEY' AS CONSTRAINT_TYPE, NULL AS REFERENCED_TABLE_SCHEMA, NULL AS REFERENCED_TABLE_NAME,
    NULL AS REFERENCED_COLUMN_NAME, NULL AS UPDATE_RULE, NULL AS DELETE_RULE
  FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.pk > 0
    AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '_fakeiris%'
UNION ALL
SELECT 'SQLUser', upper(m.name) || 'UNIQUE' || (il.seq + 1), 'SQLUser', m.name, ii.name, ii.seqno + 1,
    'UNIQUE', NULL, NULL, NULL, NULL, NULL
  FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
  WHERE m.type = 'table' AND il.origin = 'u' AND m.name NOT LIKE '_fakeiris%'
UNION ALL
SELECT 'SQLUser', upper(m.name) || 'FKEY' || (f.id + 1), 'SQLUser', m.name, f."from", f.seq + 1,
    'FOREIGN KEY', 'SQLUser', f."table",
    coalesce(f."to", (SELECT r.name FROM pragma_table_info(f."table") r WHERE r.pk = f.seq + 1)),
    f.on_update, f.on_delete
  FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
  WHERE m.type = 'table' AND m.name NOT LIKE '_fakeiris%'"""

_KEY_COLUMN_USAGE = f"""SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME,
    ORDINAL_POSITION, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM ({_KEYS})"""

_TABLE_CONSTRAINTS = f"""SELECT DISTINCT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_TYPE
  FROM ({_KEYS})"""

_REFERENTIAL_CONSTRAINTS = f"""SELECT DISTINCT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE
  FROM ({_KEYS}) WHERE CONSTRAINT_TYPE = 'FOREIGN KEY'"""

# Indexes the user created (CREATE INDEX), one row per column; keys are in KEY_COLUMN_USAGE.
_INDEXES = """SELECT 'SQLUser' AS TABLE_SCHEMA, m.name AS TABLE_NAME, il.name AS INDEX_NAME,
    ii.name AS COLUMN_NAME, ii.seqno + 1 AS ORDINAL_POSITION, CASE WHEN il."unique" THEN 0 ELSE 1 END AS NON_UNIQUE,
    0 AS PRIMARY_KEY, NULL AS INDEX_TYPE
  FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
  WHERE m.type = 'table' AND il.origin = 'c' AND m.name NOT LIKE '_fakeiris%'"""

_VIEWS_BY_NAME = {
    "TABLES": _TABLES, "COLUMNS": _COLUMNS, "VIEWS": _VIEWS, "KEY_COLUMN_USAGE": _KEY_COLUMN_USAGE,
    "TABLE_CONSTRAINTS": _TABLE_CONSTRAINTS, "REFERENTIAL_CONSTRAINTS": _REFERENTIAL_CONSTRAINTS,
    "INDEXES": _INDEXES,
}

_REF = re.compile(r"\bINFORMATION_SCHEMA\s*\.\s*(\w+)", re.I)


def rewrite(sql: str, blank: str) -> str:
    """INFORMATION_SCHEMA.<view> -> a subquery over sqlite's schema."""
    for m in reversed(list(_REF.finditer(blank))):
        body = _VIEWS_BY_NAME.get(m.group(1).upper())
        if body is not None:
            sql = sql[: m.start()] + f"({body})" + sql[m.end():]
    return sql


_TYPE = re.compile(r"^\s*([A-Za-z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


def column_type(decl: Optional[str], part: str):
    """DATA_TYPE (lower-case IRIS type name) and its length / precision / scale."""
    m = _TYPE.match(decl or "")
    if not m:
        return None if part != "name" else (decl or "").lower()
    name, a, b = m.group(1).lower(), m.group(2), m.group(3)
    if part == "name":
        return name
    if part == "length":
        return int(a) if a and "char" in name else None
    if part == "precision":
        return int(a) if a and name in ("numeric", "decimal") else None
    if part == "scale":
        return int(b or 0) if a and name in ("numeric", "decimal") else None
    return None
