"""IRIS knowledge shared by the embedded and DBAPI backends, each fact in one place.

Everything here comes from docs/iris.md ("IRIS facts the gateway relies on") (no IRIS instance was
reachable while writing it). Facts marked "(verify)" there sit behind a single
function or table below, so a real instance that disagrees changes one place.

- ODBC type code -> PostgreSQL type name (``pg_type``)
- IRIS values (logical or ODBC select mode) -> Python values (``from_logical``);
  parameters to the logical form (``to_logical``) or ODBC text (``to_odbc``),
  picked by select mode in ``to_iris``; the select-mode probe
- the embedded NULL / empty-string convention (``""`` is NULL, ``"\\x00"`` is '')
- SQLCODE -> SQLSTATE (``sqlstate_for``, ``sql_error``)
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
import uuid
from typing import Any, Optional

from iris_pgwire.errors import BackendError, ConfigError

def import_iris(required: str, missing: str):
    """The ``iris`` module when it has attribute ``required`` (``sql`` inside IRIS,
    ``connect`` from intersystems-irispython); else ConfigError(``missing``)."""
    try:
        import iris  # type: ignore[import-not-found]
    except ImportError:
        iris = None
    if iris is None or not hasattr(iris, required):
        raise ConfigError(missing)
    return iris


# --- types ---------------------------------------------------------------

#: ODBC type codes (SQL_* constants) plus the IRIS DBAPI extensions.
ODBC = {
    "CHAR": 1, "NUMERIC": 2, "DECIMAL": 3, "INTEGER": 4, "SMALLINT": 5,
    "FLOAT": 6, "REAL": 7, "DOUBLE": 8, "DATE": 9, "TIME": 10, "TIMESTAMP": 11,
    "VARCHAR": 12, "TYPE_DATE": 91, "TYPE_TIME": 92, "TYPE_TIMESTAMP": 93,
    "LONGVARCHAR": -1, "BINARY": -2, "VARBINARY": -3, "LONGVARBINARY": -4,
    "BIGINT": -5, "TINYINT": -6, "BIT": -7, "WCHAR": -8, "WVARCHAR": -9,
    "WLONGVARCHAR": -10, "GUID": -11,
    # intersystems-irispython 5.x iris.dbapi.SQLType: DATE_HOROLOG = 1091,
    # TIME_HOROLOG = 1092, TIMESTAMP_POSIX = 1093 (docs/iris.md calls 1093
    # TIMESTAMP; the driver's own enum names it POSIX time).
    "DATE_HOROLOG": 1091, "TIME_HOROLOG": 1092, "TIMESTAMP_POSIX": 1093,
}

_PG_BY_ODBC = {
    1: "varchar", 12: "varchar", -8: "varchar", -9: "varchar",
    -1: "text", -10: "text",
    2: "numeric", 3: "numeric",
    4: "int4", 5: "int2", -6: "int2", -5: "int8",
    -7: "bool",
    6: "float8", 8: "float8", 7: "float4",
    -2: "bytea", -3: "bytea", -4: "bytea",
    9: "date", 91: "date", 1091: "date",
    10: "time", 92: "time", 1092: "time",
    11: "timestamp", 93: "timestamp",
    1093: "timestamptz",
    -11: "uuid",
}

#: %SQL.StatementColumn clientType values that refine an ODBC type (verify):
#: 16 BOOLEAN, 20 FTIMESTAMP (%PosixTime reports ODBC TIMESTAMP in embedded metadata).
_CLIENT_TYPE_BOOLEAN = 16
_CLIENT_TYPE_POSIX = 20


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pg_type(odbc_type: Optional[int], client_type: Optional[int] = None) -> str:
    """PostgreSQL type name for an IRIS column's ODBC type code (text when unknown)."""
    if client_type == _CLIENT_TYPE_POSIX and odbc_type in (11, 93):
        return "timestamptz"
    if client_type == _CLIENT_TYPE_BOOLEAN:
        return "bool"
    return _PG_BY_ODBC.get(_int(odbc_type), "text")  # type: ignore[arg-type]


#: The DDL translator's stand-ins (translate/iris/ddl.rs, functions.rs): NUMERIC(38,18) for
#: unconstrained ``numeric`` and VARCHAR(65535) for ``text`` / length-less ``varchar``.
_UNCONSTRAINED_NUMERIC = (38, 18)
_TEXT_LENGTH = 65535
#: PostgreSQL's largest varchar length.
_MAX_VARCHAR = 10485760


def column_type(odbc_type: Optional[int], client_type: Optional[int] = None,
                precision: Any = None, scale: Any = None) -> str:
    """`pg_type` plus the modifier PostgreSQL shows for the column: ``numeric(p,s)``
    for NUMERIC/DECIMAL with a scale (so IRIS's canonical 1.5 reads as 1.50) and
    ``varchar(n)`` for VARCHAR(n); the stand-ins the DDL translator writes for
    unconstrained types read back as ``numeric`` and ``text``. The session keeps a
    modifier for plain column references only (session/columns.rs)."""
    base = pg_type(odbc_type, client_type)
    p, s = _int(precision), _int(scale)
    if base == "numeric" and p is not None and s is not None and 0 < p <= 1000 and 0 <= s <= p \
            and (p, s) != _UNCONSTRAINED_NUMERIC:
        return f"numeric({p},{s})"
    if base == "varchar" and p is not None:
        if p == _TEXT_LENGTH:
            return "text"
        if 0 < p <= _MAX_VARCHAR:
            return f"varchar({p})"
    return base


def base_type(type_name: str) -> str:
    """``numeric(10,2)`` -> ``numeric``: value conversions go by the type alone."""
    return type_name.split("(", 1)[0]


# --- logical values ----------------------------------------------------------

#: $HOROLOG day 0 is 1840-12-31.
HOROLOG_EPOCH = _dt.date(1840, 12, 31)
#: %Library.PosixTime logical value of 1970-01-01 00:00:00 UTC; one unit is a
#: microsecond (verify: values before 1970 use another encoding per the docs).
POSIX_OFFSET = 1152921504606846976
_UNIX_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def date_from_logical(days: Any) -> _dt.date:
    return HOROLOG_EPOCH + _dt.timedelta(days=int(days))


def _as_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, str):
        return _dt.date.fromisoformat(value.strip()[:10])
    return value


def _as_time(value: Any) -> _dt.time:
    if isinstance(value, str):
        return _dt.time.fromisoformat(_six_digit_fraction(value.strip()))
    return value


_FRACTION = re.compile(r"(\d{2}:\d{2}:\d{2})\.(\d+)")


def _six_digit_fraction(text: str) -> str:
    """'12:00:00.5' -> '12:00:00.500000': fromisoformat before Python 3.11 takes
    only 3 or 6 digits, and IRIS writes as many as the value has."""
    return _FRACTION.sub(lambda m: m.group(1) + "." + (m.group(2) + "000000")[:6], text, count=1)


def date_to_logical(value: Any) -> int:
    return (_as_date(value) - HOROLOG_EPOCH).days


def time_from_logical(seconds: Any) -> _dt.time:
    total = decimal.Decimal(str(seconds))
    whole = int(total)
    micro = int((total - whole) * 1_000_000)
    return _dt.time(whole // 3600 % 24, whole // 60 % 60, whole % 60, micro)


def time_to_logical(value: Any) -> Any:
    value = _as_time(value)
    secs = value.hour * 3600 + value.minute * 60 + value.second
    return secs + value.microsecond / 1_000_000 if value.microsecond else secs


def posix_from_logical(value: Any) -> _dt.datetime:
    return _UNIX_EPOCH + _dt.timedelta(microseconds=int(value) - POSIX_OFFSET)


def posix_to_logical(value: Any) -> int:
    value = _parse_timestamp(value) if isinstance(value, str) else value
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    delta = value - _UNIX_EPOCH
    return POSIX_OFFSET + (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_TZ_SUFFIX = re.compile(r"([+-]\d{2})(\d{2})?$")


def _parse_timestamp(text: str) -> _dt.datetime:
    text = _six_digit_fraction(text.strip().replace("T", " "))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    m = _TZ_SUFFIX.search(text)
    if m and ":" not in text[m.start():]:
        # PostgreSQL sends "+02" or "+0200"; fromisoformat (3.9) needs "+02:00".
        text = text[: m.start()] + m.group(1) + ":" + (m.group(2) or "00")
    return _dt.datetime.fromisoformat(text)


def timestamp_to_logical(value: Any) -> str:
    """%TimeStamp logical form: 'YYYY-MM-DD HH:MM:SS[.ffffff]' (no zone)."""
    if isinstance(value, str):
        value = _parse_timestamp(value)
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(sep=" ")


_DATETIME_TYPES = frozenset(("date", "time", "timestamp", "timestamptz"))


def datetime_out_of_range(type_name: str, value: Any) -> BackendError:
    """22008 (datetime_field_overflow) for a date/time value IRIS cannot hold or
    Python cannot represent: years outside 1..9999, PostgreSQL's infinities."""
    shown = {"timestamptz": "timestamp", "time": "time"}.get(type_name, type_name)
    return BackendError(
        "22008", f"{shown} out of range: \"{value}\"",
        hint="IRIS dates and timestamps run from 0001-01-01 to 9999-12-31 and have no infinity",
    )


def from_logical(value: Any, type_name: str) -> Any:
    """A non-NULL IRIS value (logical form, ODBC text, or already converted by a
    driver) as the Python value base.py promises for ``type_name``."""
    if type_name in _DATETIME_TYPES:
        try:
            return _datetime_from_logical(value, type_name)
        except (OverflowError, ValueError):
            raise datetime_out_of_range(type_name, value) from None
    return _other_from_logical(value, type_name)


def _datetime_from_logical(value: Any, type_name: str) -> Any:
    if type_name == "date":
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        if isinstance(value, str) and "-" in value:
            return _dt.date.fromisoformat(value[:10])
        return date_from_logical(value)
    if type_name == "time":
        if isinstance(value, _dt.time):
            return value
        if isinstance(value, str) and ":" in value:
            return _as_time(value)
        return time_from_logical(value)
    if type_name in ("timestamp", "timestamptz"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ts = posix_from_logical(value)
            return ts if type_name == "timestamptz" else ts.replace(tzinfo=None)
        ts = _parse_timestamp(value) if isinstance(value, str) else value
        if type_name == "timestamptz" and ts.tzinfo is None:
            ts = ts.replace(tzinfo=_dt.timezone.utc)  # POSIXTIME is UTC (verify for drivers)
        return ts
    raise AssertionError(type_name)


def _other_from_logical(value: Any, type_name: str) -> Any:
    if type_name == "bool":
        if isinstance(value, str):
            return value.strip() not in ("0", "", "false", "f")
        return bool(int(value))
    if type_name in ("int2", "int4", "int8"):
        return int(value)
    if type_name in ("float8", "float4"):
        return float(value)
    if type_name == "numeric":
        if isinstance(value, decimal.Decimal):
            return value
        return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    if type_name == "uuid":
        try:
            return uuid.UUID(str(value))
        except ValueError:
            return str(value)
    if type_name == "bytea":
        if isinstance(value, str):
            return value.encode("latin-1")  # IRIS binary strings are byte-per-char (verify)
        return bytes(value)
    return value if isinstance(value, str) else str(value)


def to_logical(value: Any, odbc_type: Optional[int], client_type: Optional[int] = None) -> Any:
    """A non-NULL parameter for an IRIS marker of the given type, in logical form.

    Parameters reach the backend as None/bool/int/float/str/bytes. Logical
    mode wants +$H days for DATE, seconds for TIME, the POSIX integer for
    POSIXTIME and 0/1 for BIT; anything else passes unchanged.
    """
    target = pg_type(odbc_type, client_type)
    if target in _DATETIME_TYPES:
        try:
            return _datetime_to_logical(value, target)
        except (OverflowError, ValueError):
            raise datetime_out_of_range(target, value) from None
    if target == "bool":
        if isinstance(value, str):
            return 1 if value.strip().lower() in ("1", "t", "true", "y", "yes", "on") else 0
        return 1 if value else 0
    if isinstance(value, bool):
        return 1 if value else 0
    return value


def _datetime_to_logical(value: Any, target: str) -> Any:
    if target == "date" and isinstance(value, (str, _dt.date)):
        return date_to_logical(value)
    if target == "time" and isinstance(value, (str, _dt.time)):
        return time_to_logical(value)
    if target == "timestamptz" and isinstance(value, (str, _dt.datetime)):
        return posix_to_logical(value)
    if target == "timestamp" and isinstance(value, (str, _dt.datetime)):
        return timestamp_to_logical(value)
    return value


def to_odbc(value: Any, odbc_type: Optional[int], client_type: Optional[int] = None) -> Any:
    """A non-NULL parameter in ODBC select mode: DATE 'YYYY-MM-DD', TIME
    'HH:MM:SS[.ffffff]', TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]', POSIXTIME the
    same text in UTC (verify: %PosixTime's OdbcToLogical applies no zone). BIT
    and everything else as in logical mode."""
    target = pg_type(odbc_type, client_type)
    try:
        if target == "date" and isinstance(value, (str, _dt.date)):
            return _as_date(value).isoformat()
        if target == "time" and isinstance(value, (str, _dt.time)):
            return _as_time(value).isoformat()
        if target == "timestamptz" and isinstance(value, (str, _dt.datetime)):
            return timestamp_to_logical(value)  # %TimeStamp text, converted to UTC
    except (OverflowError, ValueError):
        raise datetime_out_of_range(target, value) from None
    return to_logical(value, odbc_type, client_type)


# --- select modes -----------------------------------------------------------------

#: %SelectMode 0 and 1 (2, Display, is never asked for).
LOGICAL = "logical"
ODBC_MODE = "odbc"

#: Run at start-up to learn the select mode statements really get: a DATE comes
#: back as +$H days (58074) in logical mode, as '2000-01-01' in ODBC mode (verify).
SELECT_MODE_PROBE = "SELECT CAST('2000-01-01' AS DATE) AS d"


def select_mode_from_probe(value: Any) -> Optional[str]:
    """LOGICAL or ODBC_MODE from the probe's value; None when it is neither."""
    if isinstance(value, str) and value.strip().startswith("2000-01-01"):
        return ODBC_MODE
    if _int(value) == date_to_logical("2000-01-01"):
        return LOGICAL
    return None


def to_iris(value: Any, odbc_type: Optional[int], client_type: Optional[int] = None, mode: str = LOGICAL) -> Any:
    """A non-NULL parameter in the form the statement's select mode reads."""
    return (to_odbc if mode == ODBC_MODE else to_logical)(value, odbc_type, client_type)


# --- NULL and empty string (embedded, either select mode) -------------------

#: In logical mode "" is NULL and $C(0) is the empty string, both ways (verify).
#: Kept in ODBC select mode too (verify: the docs say Display mode shows an empty
#: string as "", which would read back as NULL if ODBC mode did the same).
IRIS_NULL = ""
IRIS_EMPTY = "\x00"


def embedded_param(value: Any) -> Any:
    """Bind form of one parameter: None must never reach IRIS as None (it would
    arrive as an object reference string such as '13@%SYS.Python' and be stored)."""
    if value is None:
        return IRIS_NULL
    if value == "" and isinstance(value, str):
        return IRIS_EMPTY
    return value


def embedded_value(value: Any) -> Any:
    """Result form of one value: '' is NULL, $C(0) is the empty string."""
    if value is None or (isinstance(value, str) and value == IRIS_NULL):
        return None
    if isinstance(value, str) and value == IRIS_EMPTY:
        return ""
    return value


# --- errors -------------------------------------------------------------------

_SQLSTATE_BY_SQLCODE = {
    -1: "42601", -25: "42601",
    -29: "42703",
    -30: "42P01",
    -99: "42501",
    -108: "23502",
    -119: "23505", -120: "23505",
    -121: "23503", -122: "23503", -123: "23503", -124: "23503",
    -110: "55P03", -114: "55P03",
    -139: "40001",
    -359: "42883",  # no such (user-defined) SQL function
    # "Unable to convert date / time input to a valid logical date / time value": a value
    # outside what IRIS can hold (years beyond 9999, PostgreSQL's infinities).
    -146: "22008", -147: "22008",
    -400: "XX000",
}


def sqlstate_for(sqlcode: int) -> str:
    return _SQLSTATE_BY_SQLCODE.get(int(sqlcode), "XX000")


def sql_error(sqlcode: int, message: str) -> BackendError:
    """BackendError for an IRIS SQLCODE; the SQLCODE always rides in the detail."""
    message = (message or "").strip() or f"IRIS SQLCODE {sqlcode}"
    state = sqlstate_for(sqlcode)
    if state == "XX000" and "<DIVIDE>" in message:
        # Division by zero is an ObjectScript <DIVIDE> error inside the statement (verify):
        # PostgreSQL's message, which clients show and match (pgcli), IRIS's in the detail.
        return BackendError("22012", "division by zero", detail=f"IRIS SQLCODE {int(sqlcode)}: {message}")
    return BackendError(state, message, detail=f"IRIS SQLCODE {int(sqlcode)}")


_SQLCODE_RE = re.compile(r"\[SQLCODE:\s*<(-?\d+)>:<([^>]*)>\]")
_MSG_RE = re.compile(r"\[%msg:\s*<(.*?)>\]", re.S)


def parse_sqlcode(text: str) -> Optional[tuple[int, str]]:
    """(sqlcode, message) from a DBAPI error text carrying '[SQLCODE: <-n>:<text>]'.

    The message prefers the '[%msg: <..>]' part when present: it names the
    table or field, where the SQLCODE text only names the category.
    """
    m = _SQLCODE_RE.search(text or "")
    if not m:
        return None
    msg = _MSG_RE.search(text)
    detail = msg.group(1).strip() if msg and msg.group(1).strip() else m.group(2).strip()
    return int(m.group(1)), detail


def is_query(sql: str) -> bool:
    return bool(re.match(r"\s*\(?\s*(SELECT|WITH)\b", sql, re.I))


def describe_sql(sql: str) -> tuple[str, int]:
    """A query that returns `sql`'s columns and no rows, and the number of ? markers it keeps."""
    text = _strip_literals(sql)
    if re.match(r"\s*WITH\b", text, re.I):
        return sql, text.count("?")
    cut = _top_level_order_by(text)
    if cut is not None:
        sql, text = sql[:cut], text[:cut]
    return f"SELECT * FROM ({sql}) AS pgwire_describe WHERE 1=0", text.count("?")


def _strip_literals(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", lambda m: " " * len(m.group(0)), sql)


def _top_level_order_by(text: str) -> Optional[int]:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "oO" and re.match(r"ORDER\s+BY\b", text[i:], re.I) and (i == 0 or not text[i - 1].isalnum()):
            return i
    return None


def check_one_statement(sql: str) -> str:
    """The SQL to send: IRIS rejects a trailing ';' (SQLCODE -25), so strip the
    trailing semicolons a client may have left. Several statements in one call
    are not split here: IRIS itself rejects them with SQLCODE -25 (42601)."""
    stripped = sql.rstrip().rstrip(";").rstrip()
    if not stripped:
        raise BackendError("42601", "empty statement")
    return stripped
