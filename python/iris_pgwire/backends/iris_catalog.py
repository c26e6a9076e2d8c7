"""The IRIS backends' schema for the catalog engine (``catalog_snapshot()``).

Read from IRIS's own INFORMATION_SCHEMA views (TABLES, COLUMNS, VIEWS,
TABLE_CONSTRAINTS, KEY_COLUMN_USAGE, REFERENTIAL_CONSTRAINTS, INDEXES); nothing is
created inside IRIS. System schemas (``%*``, INFORMATION_SCHEMA, Ens*, HS*) and the
NOTIFY queue table of iris_notify.py are hidden; the default schema SQLUser is PostgreSQL's ``public``. Types are mapped back
to the PostgreSQL types the gateway's DDL stands in for (``VARCHAR(65535)`` is
``text``, ``BIT`` is ``boolean``), except where the gateway recorded the declared type in
the column's description (``pgtype:jsonb``, translate/iris/declared.rs): that type wins, and the
text after its first line, if any, is the column's comment.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from iris_pgwire.backends.sqlite_catalog import _default

Query = Callable[[str], list[tuple]]

_HIDDEN_PREFIXES = ("%", "Ens", "HS")
_NOTIFY_QUEUE = "PGWIRENOTIFICATION"  # iris_notify.TABLE: the gateway's, not the user's
_ACTIONS = {"NO ACTION": "a", "RESTRICT": "r", "CASCADE": "c", "SET NULL": "n", "SET DEFAULT": "d"}

_SIMPLE_TYPES = {
    "integer": "integer", "int": "integer", "bigint": "bigint", "smallint": "smallint", "tinyint": "smallint",
    "bit": "boolean", "boolean": "boolean", "double": "double precision", "float": "double precision",
    "real": "real", "date": "date", "time": "time", "timestamp": "timestamp", "posixtime": "timestamptz",
    "datetime": "timestamp", "longvarchar": "text", "uniqueidentifier": "uuid", "guid": "uuid",
    "longvarbinary": "bytea", "varbinary": "bytea", "binary": "bytea",
}


def _hidden(schema: str) -> bool:
    return schema.upper() == "INFORMATION_SCHEMA" or schema.startswith(_HIDDEN_PREFIXES)


def pg_type(data_type: Optional[str], length: Any, precision: Any, scale: Any, text_length: int) -> str:
    t = (data_type or "").strip().lower()
    if t in ("varchar", "char", "character varying", "character", "string"):
        n = int(length) if length not in (None, "") else None
        if n is None or n == text_length:
            return "text"
        return f"{'varchar' if t != 'char' else 'char'}({n})"
    if t in ("numeric", "decimal", "money"):
        if precision not in (None, ""):
            return f"numeric({int(precision)},{int(scale or 0)})"
        return "numeric"
    if t.startswith("vector"):
        return "vector"
    return _SIMPLE_TYPES.get(t, "text")


#: How a column description recorded by the gateway's DDL starts (translate/iris/declared.rs).
DECLARED_PREFIX = "pgtype:"


def declared_type(description: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(declared PostgreSQL type or None, comment or None) of a column description."""
    if not description or not description.startswith(DECLARED_PREFIX):
        return None, description or None
    first, _, rest = description.partition("\n")
    return first[len(DECLARED_PREFIX):].strip() or None, rest or None


def snapshot(query: Query, default_schema: str = "SQLUser", text_length: int = 65535) -> dict[str, Any]:
    def pg_schema(s: str) -> str:
        return "public" if s.lower() == default_schema.lower() else s

    relations: dict[tuple[str, str], dict[str, Any]] = {}
    for schema, name, kind, description in query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, DESCRIPTION FROM INFORMATION_SCHEMA.TABLES"):
        if _hidden(schema) or name.upper() == _NOTIFY_QUEUE:
            continue
        relations[(schema, name)] = {
            "schema": pg_schema(schema), "name": name, "kind": "v" if kind == "VIEW" else "r",
            "comment": description or None, "columns": [], "constraints": [], "indexes": [],
        }
    for schema, name, definition in query("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM INFORMATION_SCHEMA.VIEWS"):
        if (schema, name) in relations:
            relations[(schema, name)]["definition"] = definition
    sequences = []
    rows = query(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, "
        "CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_IDENTITY, DESCRIPTION "
        "FROM INFORMATION_SCHEMA.COLUMNS")
    for schema, table, col, pos, default, nullable, dtype, length, prec, scale, identity, descr in sorted(
            rows, key=lambda r: (r[0], r[1], int(r[3]))):
        rel = relations.get((schema, table))
        if rel is None:
            continue
        declared, descr = declared_type(descr)
        typ = declared or pg_type(dtype, length, prec, scale, text_length)
        dflt = _default(str(default), typ) if default not in (None, "") else None
        if identity == "YES":
            seq = f"{table}_{col}_seq"
            dflt = f"nextval('{seq}'::regclass)"
            sequences.append({"schema": rel["schema"], "name": seq, "kind": "S"})
        rel["columns"].append({"name": col, "type": typ, "not_null": nullable == "NO", "default": dflt,
                               "comment": descr, "declared": declared is not None})
    constraints: dict[tuple[str, str], dict[str, Any]] = {}
    for cschema, cname, schema, table, ctype in query(
            "SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_TYPE "
            "FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"):
        kind = {"PRIMARY KEY": "p", "UNIQUE": "u", "FOREIGN KEY": "f"}.get(ctype)
        if kind and (schema, table) in relations:
            constraints[(cschema, cname)] = {"name": cname, "kind": kind, "columns": [], "ref_columns": [],
                                             "table": (schema, table), "keys": []}
    for cschema, cname, upd, dele in query(
            "SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE "
            "FROM INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS"):
        c = constraints.get((cschema, cname))
        if c:
            c["on_update"] = _ACTIONS.get((upd or "").upper(), "a")
            c["on_delete"] = _ACTIONS.get((dele or "").upper(), "a")
    for cschema, cname, col, pos, rschema, rtable, rcol in query(
            "SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, REFERENCED_TABLE_SCHEMA, "
            "REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE"):
        c = constraints.get((cschema, cname))
        if c:
            c["keys"].append((int(pos), col, rcol))
            if rtable:
                c["ref_schema"], c["ref_table"] = pg_schema(rschema or default_schema), rtable
    for c in constraints.values():
        keys = sorted(c.pop("keys"))
        c["columns"] = [k[1] for k in keys]
        c["ref_columns"] = [k[2] for k in keys if k[2]]
        rel = relations[c.pop("table")]
        rel["constraints"].append(c)
        if c["kind"] in ("p", "u"):
            rel["indexes"].append({"name": c["name"], "columns": c["columns"], "unique": True,
                                   "primary": c["kind"] == "p"})
        if c["kind"] == "p":
            for col in rel["columns"]:
                if col["name"] in c["columns"]:
                    col["not_null"] = True
    indexes: dict[tuple[str, str, str], dict[str, Any]] = {}
    for schema, table, index, col, pos, non_unique, primary, itype in query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME, ORDINAL_POSITION, NON_UNIQUE, PRIMARY_KEY, "
            "INDEX_TYPE FROM INFORMATION_SCHEMA.INDEXES"):
        rel = relations.get((schema, table))
        if rel is None or str(primary) in ("1", "True"):
            continue
        ix = indexes.setdefault((schema, table, index), {
            "name": index, "keys": [], "unique": str(non_unique) in ("0", "False"), "primary": False,
            "method": "hnsw" if (itype or "").lower() == "hnsw" else "btree", "rel": rel})
        ix["keys"].append((int(pos), col))
    for ix in indexes.values():
        rel = ix.pop("rel")
        if any(i["name"] == ix["name"] for i in rel["indexes"]):
            continue  # the index behind a key constraint
        ix["columns"] = [c for _, c in sorted(ix.pop("keys"))]
        rel["indexes"].append(ix)
    out = list(relations.values())
    for rel in out:
        rel["constraints"].sort(key=lambda c: c["name"])
    schemas = sorted({r["schema"] for r in out} | {"public"})
    return {"schemas": schemas, "relations": out + sequences}


def fetch_all(conn, sql: str) -> list[tuple]:
    """All rows of a query on a backend connection (the backends' execute/fetch)."""
    cur = conn.execute(sql, [])
    try:
        rows: list[tuple] = []
        while True:
            batch = cur.fetch(1000)
            if not batch:
                return rows
            rows.extend(batch)
    finally:
        cur.close()
