"""SQL text handling of the fake: scanning, IRIS-only rejections, IRIS -> sqlite rewrites.

The fake runs on sqlite but must reject what IRIS rejects (so translator or
backend mistakes show up in tests) and accept the IRIS spellings the
translator emits. Everything dialect-related lives here, as data where possible.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from _fakeiris import information_schema
from _fakeiris import values_in
from _fakeiris.errors import FakeSQLError


def blank_literals(sql: str, identifiers: bool = True) -> str:
    """``sql`` with the inside of '...' and "..." literals and comments replaced by
    spaces (same length), so regexes see only SQL structure; with ``identifiers`` False,
    delimited identifiers ("...") are kept."""
    out = list(sql)
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'" or (c == '"' and identifiers):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


def matching(text: str, open_at: int) -> Optional[int]:
    """Index of the ")" that closes the "(" at ``open_at``, on literal-blanked text."""
    depth = 0
    for i in range(open_at, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return i
    return None


def top_level_items(blank: str, start: int, end: int) -> List[Tuple[int, int]]:
    """(start, end) of the comma-separated items of blank[start:end] outside parentheses."""
    spans, depth, last = [], 0, start
    for i in range(start, end):
        depth += blank[i] == "("
        depth -= blank[i] == ")"
        if blank[i] == "," and depth == 0:
            spans.append((last, i))
            last = i + 1
    spans.append((last, end))
    return spans


def marker_positions(blank: str) -> List[int]:
    return [i for i, c in enumerate(blank) if c == "?"]


def iris_version() -> Tuple[int, int]:
    major, _, minor = os.environ.get("FAKE_IRIS_VERSION", "2025.1").partition(".")
    return int(major), int(minor or 0)


# Things IRIS SQL does not have (docs/iris.md "Not supported"), each -> SQLCODE -1
# with IRIS's kind of message. Checked on literal-blanked text.
_REJECT = [
    (re.compile(r"::"), "'::' casts are not IRIS SQL"),
    (re.compile(r"\bRETURNING\b", re.I), "RETURNING is not supported"),
    (re.compile(r"\bON\s+CONFLICT\b", re.I), "ON CONFLICT is not supported"),
    (re.compile(r"\bVALUES\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*,\s*\(", re.I), "multi-row VALUES is not supported"),
    (re.compile(r"\bILIKE\b", re.I), "ILIKE is not supported"),
    (re.compile(r"->|#>"), "JSON operators (->, ->>, #>) are not IRIS SQL"),
    (re.compile(r"\bWITH\s+RECURSIVE\b", re.I), "WITH RECURSIVE is not supported"),
    (re.compile(r"\bDISTINCT\s+ON\b", re.I), "DISTINCT ON is not supported"),
    (re.compile(r"\$\d"), "PostgreSQL $n parameters are not IRIS SQL (use ?)"),
    (re.compile(r"\?\d"), "numbered ?n parameters are not IRIS SQL (use ?)"),
    (re.compile(r"\bSERIAL\b|\bBIGSERIAL\b", re.I), "SERIAL is not an IRIS type"),
    (re.compile(r"\bnextval\s*\(", re.I), "sequences are not supported"),
    (re.compile(r"\bTOP\s+\?|\bLIMIT\s+\?|\bOFFSET\s+\?", re.I), "TOP/LIMIT/OFFSET take no parameter marker"),
    (re.compile(r"(^|[\s(,=])E'", re.I), "E'' strings are not IRIS SQL"),
    # INSERT .. DEFAULT VALUES exists; the DEFAULT keyword inside VALUES (..) is not documented.
    (re.compile(r"\bVALUES\s*\((?:[^()]|\([^()]*\))*?\bDEFAULT\b", re.I), "DEFAULT inside VALUES is not IRIS SQL"),
    # No RELEASE SAVEPOINT in IRIS (a release is a no-op for the gateway).
    (re.compile(r"^\s*RELEASE\b", re.I), "RELEASE SAVEPOINT is not IRIS SQL"),
]
_LIMIT = re.compile(r"\bLIMIT\b|\bOFFSET\b", re.I)


def check_iris_sql(sql: str, blank: str) -> None:
    """Raise what IRIS raises for text it cannot parse."""
    if ";" in blank:
        after = blank[blank.index(";") + 1:].strip()
        if after:
            raise FakeSQLError(-25, "Input (" + after.split()[0][:20] + ") encountered after end of query")
        raise FakeSQLError(-25, "Input (;) encountered after end of query")
    if not blank.strip():
        raise FakeSQLError(-1, "Invalid SQL statement: empty")
    for pattern, text in _REJECT:
        if pattern.search(blank):
            raise FakeSQLError(-1, text)
    if _LIMIT.search(blank) and iris_version() < (2025, 1):
        raise FakeSQLError(-1, "LIMIT/OFFSET need IRIS 2025.1 or later (use TOP)")
    if _mixes_top_and_limit(blank):
        raise FakeSQLError(-386, "TOP, LIMIT and FETCH cannot be mixed in one query")
    sp = re.match(r"\s*(?:SAVEPOINT|ROLLBACK(?:\s+WORK)?\s+TO(?:\s+SAVEPOINT)?)\s+(\w+)\s*$", blank, re.I)
    if sp and sp.group(1).upper().startswith("SYS"):
        raise FakeSQLError(-302, f"Savepoint name {sp.group(1)} is reserved (names starting with SYS)")


_ROW_LIMIT = re.compile(r"\bTOP\b|\bLIMIT\b|\bFETCH\s+(?:FIRST|NEXT)\b", re.I)


def _mixes_top_and_limit(blank: str) -> bool:
    """SQLCODE -386: TOP, LIMIT and FETCH in the same (sub)query. Each keyword is
    attributed to its parenthesis depth and the SELECT that opened that level."""
    depth, scope, stack, seen = 0, 0, [0], {}
    for m in re.finditer(r"[()]|\bSELECT\b|" + _ROW_LIMIT.pattern, blank, re.I):
        tok = m.group(0).upper()
        if tok == "(":
            depth += 1
            stack.append(scope)
        elif tok == ")":
            depth -= 1
            scope = stack.pop() if len(stack) > 1 else 0
        elif tok == "SELECT":
            scope = m.start()
        else:
            kinds = seen.setdefault((depth, scope), set())
            kinds.add(tok.split()[0])
            if len(kinds) > 1:
                return True
    return False


# --- IRIS -> sqlite ---------------------------------------------------------------

_TOP = re.compile(r"(\bSELECT\s+(?:DISTINCT\s+)?)TOP\s+(\d+)\s+", re.I)
_TOP_ALL = re.compile(r"(\bSELECT\s+(?:DISTINCT\s+)?)TOP\s+ALL\s+", re.I)
# A %VID window over a subquery (offset without a limit, iris-facts: "Offset without LIMIT
# support needs a window (%VID on a subquery)"): %VID numbers the subquery's rows from 1.
# (The dbapi backend describes a query wrapped in a subquery, without its ORDER BY.)
_VID_WINDOW = re.compile(r"\bWHERE\s+%VID\s*>\s*(\d+)(?:\s+AND\s+%VID\s*<=\s*(\d+))?(?:\s+ORDER\s+BY\s+%VID\b)?",
                         re.I)
_IDENTITY = re.compile(r"\b(?:BIG)?INT(?:EGER)?\s+IDENTITY(\s+PRIMARY\s+KEY)?", re.I)
_VARCHAR = re.compile(r"\b((?:VAR)?CHAR(?:ACTER)?(?:\s+VARYING)?)(\s*\(\s*\d+\s*\))?(?!\s*(?:COLLATE|\())", re.I)
_SIMPLE = [
    (re.compile(r"\bSQLUSER\s*\.\s*", re.I), ""),
    (re.compile(r"%EXACT\s*\(", re.I), "_iris_exact("),
    # IRIS's INTEGER PRIMARY KEY is a plain key; sqlite's would alias the rowid
    # and fill in missing values.
    (re.compile(r"\bINTEGER(\s+PRIMARY\s+KEY)\b(?!\s+AUTOINCREMENT)", re.I), r"INT NOT NULL\1"),
    # Column collation %EXACT (case-sensitive) is sqlite's BINARY.
    (re.compile(r"\bCOLLATE\s+%EXACT\b", re.I), "COLLATE BINARY"),
    (re.compile(r"%SQLUPPER\s*\(", re.I), "upper("),
    # CHAR_LENGTH / CHARACTER_LENGTH: IRIS SQL's character count (sqlite's length()).
    (re.compile(r"\bCHAR(?:ACTER)?_LENGTH\s*\(", re.I), "length("),
    (re.compile(r"\bLAST_IDENTITY\s*\(\s*\)", re.I), "last_insert_rowid()"),
    # %ID is the RowID (an IDENTITY column is the RowID: the fake's AUTOINCREMENT key).
    (re.compile(r"%ID\b", re.I), "rowid"),
    # VECTOR(DOUBLE, n): sqlite takes only numbers in a type's parentheses.
    (re.compile(r"\bVECTOR\s*\(\s*(DOUBLE|DECIMAL|FLOAT|INTEGER|INT)\s*,\s*(\d+)\s*\)", re.I), r"VECTOR_\1(\2)"),
    # CURRENT_TIMESTAMP(n): IRIS takes a precision (iris-facts); sqlite's has none
    # (it gives whole seconds, in the logical TIMESTAMP text form).
    (re.compile(r"\bCURRENT_TIMESTAMP\s*\(\s*\d*\s*\)", re.I), "CURRENT_TIMESTAMP"),
    (re.compile(r"^\s*TRUNCATE\s+TABLE\b", re.I), "DELETE FROM"),
    # TUNE TABLE gathers the optimizer's statistics.
    (re.compile(r"^\s*TUNE\s+TABLE\b", re.I), "ANALYZE"),
    # sqlite cannot add a constraint to a table: the key's unique index models it.
    (re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:CONSTRAINT\s+\w+\s+)?PRIMARY\s+KEY\s*\(", re.I),
     r"CREATE UNIQUE INDEX \1_pkey ON \1 ("),
]


_DROP_COLUMN_OPTIONS = re.compile(
    r'^(\s*ALTER\s+TABLE\s+(?:"[^"]*"|[\w.%]+)\s+DROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|FOREIGN\b|PRIMARY\b)'
    r'(?:"[^"]*"|\w+))\s+(?:(?:RESTRICT|CASCADE)\b\s*)?(?:%(?:NO)?DELDATA\b\s*)?$', re.I)
# IRIS: DROP TABLE t [RESTRICT | CASCADE] [%DELDATA | %NODELDATA], DROP VIEW v [CASCADE |
# RESTRICT] (RSQL_droptable, RSQL_dropview); sqlite takes none (nor drops dependent views).
_DROP_OPTIONS = re.compile(r"^(\s*DROP\s+(?:TABLE|VIEW)\b.*?)\s+(?:RESTRICT|CASCADE|%DELDATA|%NODELDATA)"
                           r"(?:\s+%(?:NO)?DELDATA)?\s*$", re.I | re.S)
_CAST_LITERAL = re.compile(r"\bCAST\s*\(\s*('[^']*')\s+AS\s+(DATE|TIME|POSIXTIME)\s*\)", re.I)


def _cast_literals(sql: str) -> str:
    """CAST('2000-01-01' AS DATE): IRIS reads ODBC text into the logical value in
    any select mode (verify); sqlite's CAST would keep only the leading number."""
    for m in reversed(list(_CAST_LITERAL.finditer(blank_literals(sql)))):
        start, end = m.span(1)
        try:
            logical = values_in.odbc_to_logical(m.group(2).upper(), sql[start + 1:end - 1].replace("''", "'"))
        except ValueError:
            continue  # left to sqlite (not modelled: what IRIS makes of bad text)
        sql = sql[:start] + str(logical) + sql[end:]
    return sql


_CAST_OPEN = re.compile(r"\bCAST\s*\(", re.I)
# Casts sqlite's own CAST gets wrong, and the engine's functions that do them (typed by
# its describe): TIMESTAMP keeps ISO text (sqlite would keep the leading number, 2000),
# VARBINARY makes a string's characters (codes 0-255) its bytes, DATE / TIME / POSIXTIME
# read ODBC text (a parameter's, `CAST(? AS POSIXTIME)`) into the logical value.
_CAST_FUNCTIONS = re.compile(
    r"\s+AS\s+(TIMESTAMP|POSIXTIME|DATE|TIME|VARBINARY(?:\s*\(\s*\d+\s*\))?)\s*$", re.I)


def _cast_functions(sql: str) -> str:
    """CAST(x AS TIMESTAMP) -> _iris_timestamp(x), CAST(x AS VARBINARY(n)) -> _iris_varbinary(x),
    CAST(x AS DATE|TIME|POSIXTIME) -> _iris_temporal(x, 'KIND')."""
    for start in reversed([m.start() for m in _CAST_OPEN.finditer(blank_literals(sql))]):
        # Inner casts first; an outer one's extent is found again after each edit.
        blank = blank_literals(sql)
        m = _CAST_OPEN.match(blank, start)
        close = matching(blank, m.end() - 1)
        if close is None:
            continue
        a = _CAST_FUNCTIONS.search(blank, m.end(), close)
        if a and a.end() == close:
            kind = a.group(1).upper()
            if kind in ("DATE", "TIME", "POSIXTIME"):
                sql = sql[:m.start()] + "_iris_temporal(" + sql[m.end():a.start()] + f", '{kind}')" + sql[close + 1:]
                continue
            fn = "_iris_timestamp(" if kind == "TIMESTAMP" else "_iris_varbinary("
            sql = sql[:m.start()] + fn + sql[m.end():a.start()] + ")" + sql[close + 1:]
    return sql


_TO_VECTOR = re.compile(r"\bTO_VECTOR\s*\(", re.I)


def _to_vector_calls(sql: str) -> str:
    """TO_VECTOR(x, DOUBLE[, n]) -> _iris_to_vector(x, 'DOUBLE'[, n]): the type is a
    keyword, never a parameter (IRIS refuses a marker there)."""
    for m in reversed(list(_TO_VECTOR.finditer(blank_literals(sql)))):
        blank = blank_literals(sql)
        close = matching(blank, m.end() - 1)
        if close is None:
            continue
        args = top_level_items(blank, m.end(), close)
        if len(args) < 2:
            raise FakeSQLError(-1, "TO_VECTOR needs a type argument")
        a, b = args[1]
        kind = blank[a:b].strip().upper()
        if kind not in ("DOUBLE", "DECIMAL", "FLOAT", "INTEGER", "INT"):
            raise FakeSQLError(-1, f"TO_VECTOR type must be DOUBLE, DECIMAL, FLOAT or INTEGER, not {kind or '?'}")
        sql = sql[:m.start()] + "_iris_to_vector(" + sql[m.end():a] + f" '{kind}'" + sql[b:]
    return sql


# ADD CONSTRAINT c UNIQUE (cols) (Django's unique_together): sqlite cannot add a constraint
# to a table; the unique index it would build, named c, models it.
_ADD_UNIQUE = re.compile(r'^\s*ALTER\s+TABLE\s+("(?:[^"]|"")+"|\w+)\s+ADD\s+CONSTRAINT\s+("(?:[^"]|"")+"|\w+)\s+UNIQUE\s*\(',
                         re.I)


def to_sqlite(sql: str) -> str:
    """Rewrite the IRIS spellings the gateway emits into sqlite's.

    Literal text is preserved: rewrites are applied to the literal-blanked copy
    to find positions, then spliced into the original.
    """
    unique = _ADD_UNIQUE.match(blank_literals(sql, identifiers=False))
    if unique:
        sql = f"CREATE UNIQUE INDEX {unique.group(2)} ON {unique.group(1)} (" + sql[unique.end():]
    sql = _to_vector_calls(_cast_functions(_cast_literals(sql)))
    sql = information_schema.rewrite(sql, blank_literals(sql))
    for pattern, repl in _SIMPLE:
        sql = _sub_outside_literals(pattern, repl, sql)
    blank = blank_literals(sql)
    for m in reversed(list(_VID_WINDOW.finditer(blank))):
        skip = int(m.group(1))
        take = int(m.group(2)) - skip if m.group(2) else -1
        window = f"LIMIT {max(take, 0) if m.group(2) else -1} OFFSET {skip}"
        sql, blank = sql[:m.start()] + window + sql[m.end():], blank[:m.start()] + window + blank[m.end():]
    for m in reversed(list(_TOP_ALL.finditer(blank))):
        sql, blank = sql[:m.end(1)] + sql[m.end():], blank[:m.end(1)] + blank[m.end():]
    for m in reversed(list(_TOP.finditer(blank))):
        # TOP n -> LIMIT n at the end of the same (sub)query
        depth, end = 0, len(blank)
        for i in range(m.end(), len(blank)):
            depth += blank[i] == "("
            depth -= blank[i] == ")"
            if depth < 0:
                end = i
                break
        sql = sql[: m.end(1)] + sql[m.end():end] + f" LIMIT {m.group(2)}" + sql[end:]
        blank = blank[: m.end(1)] + blank[m.end():end] + f" LIMIT {m.group(2)}" + blank[end:]
    hnsw = _HNSW.match(blank)
    if hnsw:
        # The index itself is not modelled: a plain index over the vector column.
        _check_hnsw(blank[hnsw.start(1):hnsw.end(1)])
        cut = re.search(r"\)\s*AS\s+HNSW\s*\(", blank, re.I)
        sql = sql[:cut.start() + 1]
    drop = _DROP_COLUMN_OPTIONS.match(blank_literals(sql)) or _DROP_OPTIONS.match(blank_literals(sql))
    if drop:
        # IRIS: DROP [COLUMN] field [RESTRICT | CASCADE] [%DELDATA | %NODELDATA]; sqlite
        # takes none of them (and always deletes the column's data).
        sql = sql[:drop.end(1)]
    if re.match(r"\s*CREATE\s+TABLE\b", blank, re.I):
        sql = _column_defaults(_identity_key(sql))
        sql = _sub_outside_literals(_IDENTITY, "INTEGER PRIMARY KEY AUTOINCREMENT", sql)
        # A primary key column is required in IRIS (sqlite lets NULL into INT PRIMARY KEY).
        sql = _sub_outside_literals(re.compile(r"(?<!NOT NULL )\bPRIMARY\s+KEY\b(?!\s*\()", re.I), "NOT NULL PRIMARY KEY", sql)
        # String columns default to SQLUPPER collation: '=' and LIKE ignore case.
        sql = _sub_outside_literals(_VARCHAR, lambda m: m.group(0) + " COLLATE NOCASE", sql)
    return sql


def _table_elements(sql: str) -> Optional[Tuple[int, int, List[Tuple[int, int]]]]:
    """(open, close, [(start, end) of each column or constraint]) of a CREATE TABLE body."""
    blank = blank_literals(sql)
    open_at = blank.find("(")
    close = matching(blank, open_at) if open_at >= 0 else None
    if close is None:
        return None
    return open_at, close, top_level_items(blank, open_at + 1, close)


_TABLE_PK = re.compile(r"^\s*(?:CONSTRAINT\s+\"?\w+\"?\s+)?PRIMARY\s+KEY\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.I)


def _identity_key(sql: str) -> str:
    """An IDENTITY column that is also the primary key, by a table-level PRIMARY KEY
    (SQLAlchemy: `id SERIAL NOT NULL, .., PRIMARY KEY (id)`; TypeORM: `CONSTRAINT "PK_.."
    PRIMARY KEY ("id")`) or by its own (Django: `"id" BIGINT IDENTITY NOT NULL PRIMARY
    KEY`), is valid IRIS; the fake's identity is already sqlite's INTEGER PRIMARY KEY, so
    the other key is dropped."""
    found = _table_elements(sql)
    if not found:
        return sql
    _open, _close, spans = found
    blank = blank_literals(sql, identifiers=False)
    identity = set()
    for a, b in reversed(spans):
        m = re.match(r'\s*"?(\w+)"?\s+(?:BIG|SMALL)?INT(?:EGER)?\s+IDENTITY\b', blank[a:b], re.I)
        if not m:
            continue
        identity.add(m.group(1).upper())
        own = re.search(r"\s+PRIMARY\s+KEY\b", blank[a + m.end():b], re.I)
        if own:
            start, end = a + m.end() + own.start(), a + m.end() + own.end()
            sql, blank = sql[:start] + sql[end:], blank[:start] + blank[end:]
    found = _table_elements(sql)
    _open, _close, spans = found
    for a, b in reversed(spans):
        m = _TABLE_PK.match(blank[a:b])
        if m and m.group(1).upper() in identity:
            # remove the element and the comma before it
            comma = blank.rfind(",", 0, a)
            sql = sql[:comma] + sql[b:]
            blank = blank[:comma] + blank[b:]
    return sql


_NOW_DEFAULT = re.compile(
    r"\bDEFAULT\s+(CURRENT_TIMESTAMP(?:\s*\(\s*(\d+)\s*\))?|GETDATE\s*\(\s*\)|SYSDATE|CURRENT_DATE)", re.I)
_TEMPORAL_DECL = re.compile(r'^\s*"?\w+"?\s+(POSIXTIME|TIMESTAMP|DATETIME|DATE|TIME)\b', re.I)


def _column_defaults(sql: str) -> str:
    """Column defaults IRIS documents (CURRENT_TIMESTAMP[(n)], CURRENT_DATE, GETDATE,
    SYSDATE) as a function giving the logical value of the column's type."""
    found = _table_elements(sql)
    if not found:
        return sql
    _open, _close, spans = found
    for a, b in reversed(spans):
        blank = blank_literals(sql)
        d = _NOW_DEFAULT.search(blank, a, b)
        if not d:
            continue
        t = _TEMPORAL_DECL.match(blank[a:b])
        sql = sql[:d.start()] + _now_default(t.group(1) if t else "", d) + sql[d.end():]
    return sql


def _now_default(decl: str, d: re.Match) -> str:
    kind = decl.upper() or "TIMESTAMP"
    kind = "TIMESTAMP" if kind == "DATETIME" else kind
    if d.group(1).upper() == "CURRENT_DATE" and kind == "TIMESTAMP":
        kind = "DATE_TEXT"
    return f"DEFAULT (_iris_now('{kind}', {int(d.group(2) or 0)}))"


def default_clause(decl: str, spec: str) -> str:
    """``DEFAULT spec`` (ALTER COLUMN .. SET DEFAULT) for a column of declared type ``decl``,
    in sqlite's terms: the documented time defaults as in CREATE TABLE."""
    spec = spec.strip()
    blank = blank_literals(spec)
    if blank.startswith("(") and matching(blank, 0) == len(blank) - 1:
        spec = spec[1:-1].strip()
    d = _NOW_DEFAULT.fullmatch("DEFAULT " + spec)
    t = _TEMPORAL_DECL.match(f"c {decl}")
    return _now_default(t.group(1) if t else "", d) if d else f"DEFAULT ({spec})"


_HNSW = re.compile(r"\s*CREATE\s+INDEX\b.*?\)\s*AS\s+HNSW\s*\((.*)\)\s*$", re.I | re.S)


def _check_hnsw(params: str) -> None:
    """AS HNSW(M=.., efConstruction=.., Distance='Cosine'|'DotProduct'), Distance required."""
    seen = {}
    for part in params.split(","):
        key, _, value = part.partition("=")
        seen[key.strip().upper()] = value.strip()
    unknown = set(seen) - {"M", "EFCONSTRUCTION", "DISTANCE"}
    if unknown or "DISTANCE" not in seen:
        raise FakeSQLError(-1, f"Invalid HNSW index parameters: {params.strip()}")


def _sub_outside_literals(pattern, repl, sql: str) -> str:
    blank = blank_literals(sql)
    out, last = [], 0
    for m in pattern.finditer(blank):
        out.append(sql[last:m.start()])
        out.append(repl(m) if callable(repl) else m.expand(repl))
        last = m.end()
    out.append(sql[last:])
    return "".join(out)


# --- schemas ----------------------------------------------------------------------

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_%][\w%]*)'
# schema . name, not itself the tail of a longer qualified name.
_QUALIFIED = re.compile(rf'(?<![\w%".])({_NAME})\s*\.\s*({_NAME})')
_CREATES = re.compile(rf'^\s*CREATE\s+(?:TABLE|VIEW)\s+({_NAME})\s*\.\s*{_NAME}', re.I)


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def created_schema(sql: str) -> Optional[str]:
    """The schema of `CREATE TABLE|VIEW schema.name`: IRIS creates a missing one."""
    m = _CREATES.match(blank_literals(sql, identifiers=False))
    return _unquote(m.group(1)) if m else None


def qualify_schemas(sql: str, schemas: set) -> str:
    """Tables of schemas other than SQLUser: ``schema.table`` (quoted or not) is the sqlite
    table ``"schema.table"`` in the namespace's database, as the gateway's sqlite backend
    keeps them (one database: sqlite's foreign keys and transactions do not span ATTACHed
    ones). Only known schema names are rewritten, so ``alias.column`` stays."""
    if not schemas:
        return sql
    blank = blank_literals(sql, identifiers=False)
    for m in reversed(list(_QUALIFIED.finditer(blank))):
        schema, name = _unquote(sql[m.start(1):m.end(1)]), _unquote(sql[m.start(2):m.end(2)])
        if schema.upper() in schemas:
            sql = sql[:m.start()] + '"' + f"{schema}.{name}".replace('"', '""') + '"' + sql[m.end():]
    return sql


# --- statement kinds ---------------------------------------------------------------

_TXN = [
    ("begin", re.compile(r"^\s*(START\s+TRANSACTION|BEGIN(\s+WORK|\s+TRANSACTION)?)\b(.*)$", re.I | re.S)),
    ("commit", re.compile(r"^\s*COMMIT(\s+WORK|\s+TRANSACTION)?\s*$", re.I)),
    ("rollback_to", re.compile(r"^\s*ROLLBACK(\s+WORK)?\s+TO\s+(SAVEPOINT\s+)?(\w+)\s*$", re.I)),
    ("rollback", re.compile(r"^\s*ROLLBACK(\s+WORK|\s+TRANSACTION)?\s*$", re.I)),
    ("savepoint", re.compile(r"^\s*SAVEPOINT\s+(\w+)\s*$", re.I)),
    ("set_txn", re.compile(r"^\s*SET\s+TRANSACTION\b(.*)$", re.I | re.S)),
]
_ISOLATION = re.compile(r"ISOLATION\s+LEVEL\s+(READ\s+(?:UNCOMMITTED|COMMITTED|VERIFIED))", re.I)
_COMMITMODE = re.compile(r"%COMMITMODE\s+(EXPLICIT|IMPLICIT|NONE)", re.I)


def transaction_command(sql: str) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
    """(kind, isolation, name) for transaction-control statements, else None."""
    for kind, pattern in _TXN:
        m = pattern.match(sql)
        if not m:
            continue
        iso = _ISOLATION.search(sql)
        isolation = " ".join(iso.group(1).upper().split()) if iso else None
        name = None
        if kind == "rollback_to":
            name = m.group(3)
        elif kind == "savepoint":
            name = m.group(1)
        elif kind == "set_txn":
            cm = _COMMITMODE.search(sql)
            if not iso and not cm:
                raise FakeSQLError(-1, "Invalid SET TRANSACTION")
            name = cm.group(1).upper() if cm else None
        return kind, isolation, name
    return None


_SCHEMA = re.compile(
    r"^\s*(CREATE|DROP)\s+SCHEMA\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?\"?([\w%]+)\"?(\s+(?:CASCADE|RESTRICT))?\s*$", re.I)


def schema_command(sql: str) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
    """CREATE SCHEMA [IF NOT EXISTS] name / DROP SCHEMA [IF EXISTS] name [CASCADE|RESTRICT]."""
    m = _SCHEMA.match(sql)
    if not m:
        return None
    verb, cond = m.group(1).upper(), " ".join((m.group(2) or "").upper().split())
    if verb == "CREATE" and (m.group(4) or cond == "IF EXISTS"):
        raise FakeSQLError(-1, "Invalid CREATE SCHEMA")
    if verb == "DROP" and cond == "IF NOT EXISTS":
        raise FakeSQLError(-1, "Invalid DROP SCHEMA")
    flags = {"IF NOT EXISTS": "if_not_exists", "IF EXISTS": "if_exists"}.get(cond, "")
    if "CASCADE" in (m.group(4) or "").upper():
        flags += " cascade"
    return ("create_schema" if verb == "CREATE" else "drop_schema"), flags, m.group(3)


def is_query(blank: str) -> bool:
    return bool(re.match(r"\s*\(?\s*(SELECT|WITH)\b", blank, re.I))
