"""SQL functions, aggregates and the collation the sqlite translation relies on
(see docs/translation.md, SQLite target): PostgreSQL semantics SQLite lacks.

- ``pg_numeric`` collation: exact decimal text of NUMERIC_TEXT columns compared as numbers.
- ``pg_numeric_fits(v, p, s)``: the input and range check of numeric columns (22P02, 22003).
- ``pg_divisor(v)``: zero divisors raise 22012 (SQLite answers NULL).
- ``pg_numeric_scale(v, s)`` and the per-table triggers `ScaleTriggers` keeps: values
  stored into numeric(p,s) columns are rounded to s places, as PostgreSQL stores them.
- ``pg_sum`` / ``pg_avg``: exact SUM and AVG (SQLite sums in floating point and
  overflows on large integers), scaled like PostgreSQL's.
- ``pg_json_path(json, path, as_text)``: the ``#>`` / ``#>>`` operators.
- ``pg_float(v)``: a parameter cast to a float (NaN, infinities, 22P02); ``repeat(s, n)``.
- ``pg_date(v)``: a parameter cast to date ('infinity', BC, years past 9999, 22007/22008).
- ``pg_numeric(v)`` / ``pg_numeric_text(v)``: a parameter or string literal cast to
  numeric (and that to text), exactly.
- ``pgw_check(cond, sqlstate, message)``: the translator's guards (a schema exists).
- ``pg_jsonb_path_match(target, path[, vars])``: jsonpath predicates (``sqlite_jsonpath``).
- ``pg_interval_cmp`` / ``_add`` / ``_sub`` / ``_mul`` / ``_div``: interval comparison and
  arithmetic (``sqlite_intervals``).
- ``now()``, ``gen_random_uuid()``; regular expressions, array text and
  generate_series/unnest rows in ``sqlite_sets``.

sqlite3 reports any exception raised in a user function as "user-defined function
raised exception"; ours record the BackendError they raise, and the backend's error
mapping takes it back with `take_raised`.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import math
import json
import logging
import re
import sqlite3
import threading
import uuid
from typing import Any, Callable, Iterator, Optional

from iris_pgwire.backends import sqlite_intervals, sqlite_jsonpath, sqlite_sets
from iris_pgwire.errors import BackendError

log = logging.getLogger(__name__)
_raised = threading.local()

#: Exact arithmetic: additions never round (libmpdec's largest precision).
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
#: PostgreSQL numeric division: at least 16 significant digits (NUMERIC_MIN_SIG_DIGITS),
#: at most 1000 fraction digits (NUMERIC_MAX_DISPLAY_SCALE).
_MIN_SIG_DIGITS = 16
_MAX_DISPLAY_SCALE = 1000


def register(conn: sqlite3.Connection) -> None:
    conn.create_collation("pg_numeric", numeric_collation)
    conn.create_function("pg_numeric_fits", 3, numeric_fits, deterministic=True)
    conn.create_function("pg_divisor", 1, divisor, deterministic=True)
    conn.create_function("pg_numeric_scale", 2, numeric_scale, deterministic=True)
    conn.create_aggregate("pg_sum", 1, Sum)
    conn.create_aggregate("pg_avg", 1, Avg)
    conn.create_function("now", 0, _now)
    conn.create_function("gen_random_uuid", 0, lambda: str(uuid.uuid4()))
    conn.create_function("pgw_check", 3, check)
    conn.create_function("pg_jsonb_contains", 2, jsonb_contains, deterministic=True)
    conn.create_function("pg_jsonb_path_match", 2, jsonb_path_match, deterministic=True)
    conn.create_function("pg_jsonb_path_match", 3, jsonb_path_match, deterministic=True)
    conn.create_function("pg_json_path", 3, json_path, deterministic=True)
    conn.create_function("pg_float", 1, to_float, deterministic=True)
    conn.create_function("pg_date", 1, to_date, deterministic=True)
    conn.create_function("repeat", 2, repeat, deterministic=True)
    conn.create_function("pg_numeric", 1, to_numeric, deterministic=True)
    conn.create_function("pg_numeric_text", 1, to_numeric_text, deterministic=True)
    conn.create_function("pg_vector_l2_distance", 2, vector_l2_distance, deterministic=True)
    conn.create_function("pg_vector_cosine_distance", 2, vector_cosine_distance, deterministic=True)
    conn.create_function("pg_vector_negative_inner_product", 2, vector_negative_inner_product, deterministic=True)
    sqlite_sets.register(conn, _raise)
    sqlite_intervals.register(conn, _raise)


def take_raised() -> Optional[BackendError]:
    """The error a function of ours raised on this thread, once."""
    error = getattr(_raised, "error", None)
    _raised.error = None
    return error


def _raise(error: BackendError) -> None:
    _raised.error = error
    raise error


def jsonb_contains(container: Optional[str], contained: Optional[str]) -> Optional[int]:
    """jsonb ``@>`` (src/translate/sqlite/mod.rs, jsonb_containment), with PostgreSQL's rules
    (https://www.postgresql.org/docs/15/datatype-json.html#JSON-CONTAINMENT)."""
    if container is None or contained is None:
        return None
    try:
        a, b = json.loads(container), json.loads(contained)
    except ValueError as e:
        _raise(BackendError("22P02", "invalid input syntax for type json", detail=str(e)))
    # A top-level array contains a primitive it holds (a special case of PostgreSQL's).
    if isinstance(a, list) and not isinstance(b, (list, dict)):
        return int(any(_json_equal(x, b) for x in a))
    return int(_json_contains(a, b))


def jsonb_path_match(target: Optional[str], path: Optional[str], variables: Optional[str] = "{}") -> Optional[int]:
    """jsonb_path_match(target, path[, vars]) (sqlite_jsonpath.py)."""
    try:
        return sqlite_jsonpath.path_match(target, path, variables)
    except BackendError as e:
        _raise(e)


def json_path(document: Optional[str], path: Any, as_text: int) -> Optional[str]:
    """``#>`` (as_text 0) and ``#>>`` (1): the value at a path of keys and array indexes
    (a text[] in PostgreSQL's array text), NULL where the path leads nowhere; ``#>>``
    gives a string's own text and other values as JSON text."""
    if document is None or path is None:
        return None
    try:
        value = json.loads(document)
    except ValueError as e:
        _raise(BackendError("22P02", "invalid input syntax for type json", detail=str(e)))
    keys = sqlite_sets.parse_array(path)
    if keys is None:
        _raise(BackendError("22P02", f'malformed array literal: "{path}"'))
    for key in keys:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key is not None and re.fullmatch(r"\s*-?\d+\s*", key):
            i = int(key)
            if not -len(value) <= i < len(value):
                return None
            value = value[i]
        else:
            return None
    if as_text:
        return None if value is None else value if isinstance(value, str) else json.dumps(value)
    return json.dumps(value)


def to_numeric(value: Any) -> Any:
    """``pg_numeric``: a parameter or literal cast to numeric, by numeric_in's rules
    (SQLite's CAST reads it as a REAL, keeping 15 digits): an integer as an INTEGER, a
    value a REAL holds (by its shortest text) as a REAL, so that it compares as a number,
    anything else as PostgreSQL's numeric text (`1.0000000000000000000000001`, `NaN`);
    text that is no number is 22P02."""
    d = _numeric_input(value)
    if not isinstance(d, decimal.Decimal):
        return d
    if d.as_tuple().exponent >= 0 and -(2**63) <= d < 2**63:
        return int(d)
    f = float(d)
    return f if decimal.Decimal(repr(f)) == d else format(d, "f")


def to_numeric_text(value: Any) -> Any:
    """``pg_numeric_text``: ``x::numeric::text``, numeric_out of numeric_in: every digit
    and the input's scale (`1.50`, `0.00001`), which a REAL would lose."""
    d = _numeric_input(value)
    if not isinstance(d, decimal.Decimal):
        return d if d is None or isinstance(d, str) else ("Infinity" if d > 0 else "-Infinity")
    return format(d, "f")


def _numeric_input(value: Any) -> Any:
    """A Decimal, or what has no Decimal form: None, 'NaN', an infinite float."""
    if value is None:
        return None
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else value if math.isinf(value) else decimal.Decimal(repr(value))
    if isinstance(value, int):
        return decimal.Decimal(value)
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    try:
        d = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        _raise(BackendError("22P02", f'invalid input syntax for type numeric: "{text}"'))
    if d.is_nan():
        return "NaN"
    return float(d) if d.is_infinite() else d


def to_date(value: Any) -> Any:
    """``pg_date``: a parameter cast to date by date_in's rules (the core's ``date_in``):
    its ISO text, also for what SQLite's date() gives NULL for ('infinity', BC, years
    past 9999); 22007/22008 for what PostgreSQL refuses ('2024-02-30')."""
    if value is None:
        return None
    from iris_pgwire import _core  # the compiled core, imported late as translate.py does

    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    try:
        return _core.date_in(text)
    except BackendError as e:
        _raise(e)


def repeat(text: Any, count: Any) -> Optional[str]:
    """PostgreSQL's repeat(text, n): the text n times ('' for n <= 0)."""
    if text is None or count is None:
        return None
    return str(text) * max(int(count), 0)


def to_float(value: Any) -> Any:
    """``pg_float``: a parameter cast to float4/float8 by float8in's rules: NaN stays the
    text 'NaN' (sqlite stores a NaN REAL as NULL), the infinities are REALs, and text
    that is no number is 22P02 (CAST would read it as 0)."""
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    try:
        f = float(text.strip())
    except ValueError:
        _raise(BackendError("22P02", f'invalid input syntax for type double precision: "{text}"'))
    return "NaN" if math.isnan(f) else f


def _json_equal(a: Any, b: Any) -> bool:
    """Scalars as jsonb compares them: numbers by value, and bool is no number (in Python
    True == 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _json_contains(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and _json_contains(a[k], v) for k, v in b.items())
    if isinstance(a, list) and isinstance(b, list):
        return all(any(_json_contains(x, y) for x in a) for y in b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return _json_equal(a, b)


def check(condition: Any, sqlstate: str, message: str) -> int:
    """The translator's guard statements (src/translate/sqlite/schemas.rs): raise
    ``sqlstate`` unless ``condition`` holds."""
    if not condition:
        _raise(BackendError(sqlstate, message))
    return 1


def _as_decimal(value: Any) -> Optional[decimal.Decimal]:
    """A SQL value read as a number (a float by its shortest repr); None if it is none."""
    try:
        return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    except (decimal.InvalidOperation, ValueError):
        return None


def _numeric_key(text: Any) -> tuple:
    """PostgreSQL's numeric order: numbers, then NaN (equal to itself); text that
    is not a number (only reachable by writing around the gateway) sorts last."""
    d = _as_decimal(text)
    if d is None:
        return (3, str(text))
    return (2, 0) if d.is_nan() else (1, d)


def numeric_collation(a: str, b: str) -> int:
    """Collation ``pg_numeric`` of the translator's NUMERIC_TEXT columns: exact
    decimal text compared as numbers ('1.50' = '1.5' < '10'), for WHERE, ORDER BY,
    MIN/MAX, DISTINCT and unique indexes."""
    ka, kb = _numeric_key(a), _numeric_key(b)
    return (ka > kb) - (ka < kb)


def numeric_fits(value: Any, precision: int, scale: int) -> int:
    """``pg_numeric_fits``, the CHECK of every numeric column: text that is no number
    raises 22P02, as PostgreSQL's numeric input does. With a precision, whether the
    value fits numeric(precision, scale) as PostgreSQL decides: rounded half away from
    zero to `scale` places, its absolute value must be below 10^(precision - scale);
    NaN fits, infinities do not. Precision 0 is the unconstrained numeric."""
    if value is None:
        return 1
    d = _as_decimal(value)
    if d is None or "_" in str(value):  # Python reads 1_000; PostgreSQL 15 does not
        text = repr(value) if isinstance(value, float) else str(value)
        _raise(BackendError("22P02", f'invalid input syntax for type numeric: "{text}"'))
    if d.is_nan() or precision == 0:
        return 1
    if d.is_infinite() or (d and d.adjusted() >= precision - scale):
        return 0
    # |d| < 10^(p-s) here, so the rounded value has at most p + 1 digits.
    rounded = d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP,
                         context=decimal.Context(prec=precision + 2))
    return int(abs(rounded) < decimal.Decimal(1).scaleb(precision - scale))


def numeric_scale(value: Any, scale: int) -> Any:
    """``pg_numeric_scale``: a value rounded half away from zero to `scale` places, as
    numeric text ('10' -> '10.00'); NULL, NaN and text that is no number pass as they are."""
    d = _as_decimal(value) if value is not None else None
    if d is None or not d.is_finite():
        return value
    return format(d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=_EXACT), "f")


class ScaleTriggers:
    """Keeps, for each table with numeric(p,s) columns, the triggers that round what
    INSERT and UPDATE store to the column's scale (SQLite has no input conversion).

    The backend runs CREATE TABLE / ALTER TABLE inside `kept`: the triggers name their
    columns, so they are dropped before an ALTER (SQLite refuses to drop or rename a
    column a trigger uses) and made again from the table's declared types
    (``NUMERIC_TEXT(p,s)``, written by the translator) afterwards.
    """

    _TABLE = re.compile(
        r'^\s*(?:CREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?|ALTER\s+TABLE\s+)'
        r'("(?:[^"]|"")+"|[^\s(]+)', re.I)
    _RENAMED = re.compile(r'\sRENAME\s+TO\s+("(?:[^"]|"")+"|\S+)\s*$', re.I)
    _NUMERIC = re.compile(r"NUMERIC_TEXT\(\s*\d+\s*(?:,\s*(\d+)\s*)?\)", re.I)

    @classmethod
    def _table_of(cls, sql: str) -> Optional[str]:
        m = cls._TABLE.match(sql)
        return m.group(1) if m else None

    @staticmethod
    def _names(table: str) -> tuple[str, str]:
        raw = table[1:-1].replace('""', '"') if table.startswith('"') else table
        quoted = raw.replace('"', '""')
        return f'"pgw_scale_ins_{quoted}"', f'"pgw_scale_upd_{quoted}"'

    @classmethod
    @contextlib.contextmanager
    def kept(cls, conn: sqlite3.Connection, sql: str) -> Iterator[None]:
        """Around a CREATE TABLE / ALTER TABLE statement. Never fails it: at worst
        values keep the digits written, and a warning says why."""
        table = cls._table_of(sql)
        if table is None:
            yield
            return
        if sql.lstrip()[:5].upper() == "ALTER":
            cls._guarded(cls._drop, conn, table)
        try:
            yield
        finally:
            renamed = cls._RENAMED.search(sql)
            cls._guarded(cls._make, conn, renamed.group(1) if renamed else table)

    @staticmethod
    def _guarded(step: Callable[[sqlite3.Connection, str], None], conn: sqlite3.Connection, table: str) -> None:
        try:
            step(conn, table)
        except sqlite3.Error as e:
            log.warning("numeric scale triggers of table %s not kept up to date: %s", table, e)

    @classmethod
    def _drop(cls, conn: sqlite3.Connection, table: str) -> None:
        for name in cls._names(table):
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")

    @classmethod
    def _make(cls, conn: sqlite3.Connection, table: str) -> None:
        columns = []
        for _cid, name, decl, *_ in conn.execute(f"PRAGMA table_info({table})"):
            m = cls._NUMERIC.search(decl or "")
            if m:
                columns.append(('"' + name.replace('"', '""') + '"', int(m.group(1) or 0)))
        cls._drop(conn, table)
        ins, upd = cls._names(table)
        if not columns:
            return
        when = " OR ".join(f"NEW.{c} COLLATE BINARY IS NOT pg_numeric_scale(NEW.{c}, {s})" for c, s in columns)
        body = (f"BEGIN UPDATE {table} SET " + ", ".join(f"{c} = pg_numeric_scale({c}, {s})" for c, s in columns)
                + " WHERE rowid = NEW.rowid; END")
        of = ", ".join(c for c, _ in columns)
        conn.execute(f"CREATE TRIGGER {ins} AFTER INSERT ON {table} FOR EACH ROW WHEN {when} {body}")
        conn.execute(f"CREATE TRIGGER {upd} AFTER UPDATE OF {of} ON {table} FOR EACH ROW WHEN {when} {body}")


def divisor(value: Any) -> Any:
    """``pg_divisor``, wrapped around right operands of / and % by the translator:
    zero is 22012 as in PostgreSQL (SQLite would answer NULL); others pass as is."""
    d = _as_decimal(value) if value is not None else None
    if d is not None and d == 0:
        _raise(BackendError("22012", "division by zero"))
    return value


def _number(value: Any) -> Any:
    """An aggregate input as int, float or Decimal (numeric text)."""
    if isinstance(value, (int, float)):
        return value
    d = _as_decimal(value.decode(errors="replace") if isinstance(value, bytes) else value)
    if d is None:
        _raise(BackendError("22P02", f'invalid input syntax for type numeric: "{value}"'))
    return d


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, float) is isinstance(b, float):
        return _EXACT.add(a, b) if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal) else a + b
    # float and exact: PostgreSQL would have cast both to one type; keep exact.
    return _EXACT.add(decimal.Decimal(repr(a)) if isinstance(a, float) else a,
                      decimal.Decimal(repr(b)) if isinstance(b, float) else b)


def _accumulate(total: Any, value: Any) -> Any:
    """total + a non-NULL value; the fast path is a total and value of one plain type."""
    kind = type(value)
    if kind is type(total) and (kind is int or kind is float):
        return total + value
    if kind is str and type(total) is decimal.Decimal:  # numeric text: the common exact case
        try:
            return _EXACT.add(total, decimal.Decimal(value))
        except decimal.InvalidOperation:
            pass
    v = _number(value)
    return v if total is None else _add(total, v)


def _result(total: Any) -> Any:
    """Decimal as plain numeric text (no exponent); integers beyond SQLite's 64 bits as text."""
    if isinstance(total, decimal.Decimal):
        return format(total, "f")
    if isinstance(total, int) and not -(2**63) <= total < 2**63:
        return str(total)
    return total


class Sum:
    """``pg_sum``: integers sum exactly at any size, numeric text as Decimal (the
    result keeps the largest input scale, as PostgreSQL's), floats as floats."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total: Any = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = _accumulate(self.total, value)

    def finalize(self) -> Any:
        return _result(self.total)


class Avg(Sum):
    """``pg_avg``: floats average as floats; integers and numerics divide exactly,
    rounded to the scale PostgreSQL's numeric division picks."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = _accumulate(self.total, value)
            self.count += 1

    def finalize(self) -> Any:
        if self.total is None:
            return None
        if isinstance(self.total, float):
            return self.total / self.count
        return _result(divide(decimal.Decimal(self.total), self.count))


def _weight_and_first_digit(d: decimal.Decimal) -> tuple[int, int]:
    """PostgreSQL's base-10000 weight and leading digit of a nonzero number (0, 0 for zero)."""
    if not d:
        return 0, 0
    weight = d.adjusted() // 4
    return weight, int(abs(d).scaleb(-4 * weight, _EXACT))


def divide(dividend: decimal.Decimal, count: int) -> decimal.Decimal:
    """dividend / count (> 0) rounded half away from zero to the scale of PostgreSQL's
    select_div_scale (numeric.c): 16 significant digits, and never fewer fraction
    digits than either input shows."""
    if not dividend.is_finite():
        return dividend  # NaN stays NaN; PostgreSQL's numeric sum has no infinities to divide
    w1, f1 = _weight_and_first_digit(dividend)
    w2, f2 = _weight_and_first_digit(decimal.Decimal(count))
    qweight = w1 - w2 - (1 if f1 <= f2 else 0)
    dscale = max(0, -dividend.as_tuple().exponent)
    rscale = min(max(_MIN_SIG_DIGITS - qweight * 4, dscale, 0), _MAX_DISPLAY_SCALE)
    # Integer arithmetic: round(m * 10^(e + rscale) / divisor) * 10^-rscale, e + rscale >= 0.
    sign, digits, exponent = dividend.as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    scaled = mantissa * 10 ** (exponent + rscale)
    q, r = divmod(scaled, count)
    if 2 * r >= count:
        q += 1
    return decimal.Decimal((sign, tuple(int(c) for c in str(q)), -rscale))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(sep=" ")


# --- pgvector's distance operators (<->, <=>, <#>) over vectors stored as text ---------


def _vector(value: Any) -> list[float]:
    """A vector column's text ('[1,2,3]', as the gateway stores vectors) as floats."""
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        _raise(BackendError("22P02", f'invalid input syntax for type vector: "{value}"'))
        raise


def _vectors(a: Any, b: Any) -> tuple[list[float], list[float]]:
    x, y = _vector(a), _vector(b)
    if len(x) != len(y):
        _raise(BackendError("22000", f"different vector dimensions {len(x)} and {len(y)}"))
    return x, y


def vector_l2_distance(a: Any, b: Any) -> Optional[float]:
    if a is None or b is None:
        return None
    x, y = _vectors(a, b)
    return math.sqrt(sum((p - q) * (p - q) for p, q in zip(x, y)))


def vector_cosine_distance(a: Any, b: Any) -> Optional[float]:
    """1 - cosine similarity; NaN when either vector is zero (pgvector)."""
    if a is None or b is None:
        return None
    x, y = _vectors(a, b)
    nx, ny = math.sqrt(sum(p * p for p in x)), math.sqrt(sum(q * q for q in y))
    if nx == 0 or ny == 0:
        return math.nan
    sim = sum(p * q for p, q in zip(x, y)) / (nx * ny)
    return 1.0 - max(-1.0, min(1.0, sim))


def vector_negative_inner_product(a: Any, b: Any) -> Optional[float]:
    if a is None or b is None:
        return None
    x, y = _vectors(a, b)
    return -sum(p * q for p, q in zip(x, y))
