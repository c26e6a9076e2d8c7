"""Value conversion at the edges of the fake: embedded (logical or ODBC select
mode) and DBAPI (always ODBC mode).

Written independently of iris_pgwire.backends.iris_common on purpose: a fake
that shared the code under test would agree with it whatever it did.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import re
from typing import Any, Optional

from _fakeiris import values_in
from _fakeiris.engine import ColumnInfo, ParamInfo
from _fakeiris.errors import FakeSQLError
from _fakeiris.values_in import H0, P0, U0

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d+)?)?$")
_NUMERIC_ODBC = {4, 5, -5, -6, -7, 2, 3, 8, 6, 7, 9, 10}
_orefs = itertools.count(13)


def _is_posix(t) -> bool:
    return t.ODBCType in (11, 93) and t.clientType == 20


def _temporal(t) -> Optional[str]:
    """DATE, TIME, TIMESTAMP or POSIXTIME for a marker or column of that type."""
    if _is_posix(t):
        return "POSIXTIME"
    return {9: "DATE", 10: "TIME", 11: "TIMESTAMP", 93: "TIMESTAMP"}.get(t.ODBCType)


def _is_number(v: Any) -> bool:
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return True
    return isinstance(v, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", v) is not None


def _invalid(p: ParamInfo, v: Any) -> FakeSQLError:
    return FakeSQLError(-104, f"Field validation failed: value {v!r} is not a valid logical {p.declared or 'value'}")


# --- ODBC mode (DBAPI, embedded at %SelectMode 1) ------------------------------


def odbc_bind(v: Any, p: ParamInfo) -> Any:
    """ISO text for a DATE, TIME, TIMESTAMP or POSIXTIME marker becomes the logical
    value (OdbcToLogical); anything else passes unchanged."""
    kind = _temporal(p)
    if kind is None or not isinstance(v, str):
        return v
    try:
        return values_in.odbc_to_logical(kind, v)
    except ValueError:
        raise FakeSQLError(-147 if kind == "TIME" else -146, f"Unable to convert {v!r} for {p.declared}") from None


def _logical_object(v: Any, c: ColumnInfo) -> Any:
    """A stored DATE, TIME or POSIXTIME value as a Python object (None for other types)."""
    if c.ODBCType == 9:
        return H0 + dt.timedelta(days=int(v))
    if c.ODBCType == 10:
        secs = decimal.Decimal(str(v))
        whole = int(secs)
        return dt.time(whole // 3600, whole // 60 % 60, whole % 60, int((secs - whole) * 1_000_000))
    if _is_posix(c):
        return U0 + dt.timedelta(microseconds=int(v) - P0)
    return None


def odbc_text(v: Any, c: ColumnInfo) -> Any:
    """LogicalToOdbc: DATE 'YYYY-MM-DD', TIME 'HH:MM:SS[.ffffff]', POSIXTIME
    'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC); TIMESTAMP is stored as that text already."""
    obj = _logical_object(v, c)
    if obj is None:
        return v
    return obj.isoformat(sep=" ") if isinstance(obj, dt.datetime) else obj.isoformat()


# --- embedded: the job's select mode ("logical" or "odbc") -----------------------------


def embedded_bind(v: Any, p: ParamInfo, mode: str = "logical") -> Any:
    """What IRIS stores for a Python argument of iris.sql exec/execute."""
    if isinstance(v, bool):
        v = int(v)
    elif isinstance(v, decimal.Decimal):
        v = str(v)
    elif not isinstance(v, (int, float, str, bytes)):
        # Only bool/bytes/Decimal/float/int/str are literals; anything else,
        # None included, is projected as an object reference.
        v = f"{next(_orefs)}@%SYS.Python"
    if isinstance(v, str):
        # The NULL / $C(0) convention is the same in ODBC mode here (verify).
        if v == "":
            return None  # "" is NULL
        if v == "\x00":
            return ""  # $C(0) is the empty string
    if mode == "odbc":
        v = odbc_bind(v, p)  # then stored as a logical value, checked below
    if p.ODBCType in _NUMERIC_ODBC or _is_posix(p):
        if not _is_number(v):
            raise _invalid(p, v)
        if p.ODBCType == -7 and str(v).strip() not in ("0", "1"):
            raise _invalid(p, v)
    elif p.ODBCType in (11, 93) and not (isinstance(v, str) and _TS.match(v)):
        raise _invalid(p, v)
    return v


def embedded_value(v: Any, c: ColumnInfo, mode: str = "logical") -> Any:
    """A stored value as an embedded result row holds it."""
    if v is None:
        return ""
    if isinstance(v, str) and v == "":
        return "\x00"
    if mode == "odbc":
        v = odbc_text(v, c)
    if c.ODBCType in (12, -1, -11) and not isinstance(v, str):
        return str(v)
    return v


# --- DBAPI: ODBC conversions in, Python objects out (verify) -----------------------


def dbapi_bind(v: Any, p: ParamInfo) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, decimal.Decimal):
        v = str(v)
    if _temporal(p) and isinstance(v, (dt.date, dt.time)):
        v = v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    v = odbc_bind(v, p)
    if p.ODBCType in _NUMERIC_ODBC and not _is_number(v):
        raise _invalid(p, v)
    return v


def dbapi_value(v: Any, c: ColumnInfo) -> Any:
    if v is None:
        return None
    o = c.ODBCType
    obj = _logical_object(v, c)
    if obj is not None:
        return obj
    if o in (11, 93):
        return dt.datetime.fromisoformat(str(v))
    if o in (2, 3):
        return decimal.Decimal(str(v))
    if o in (4, 5, -5, -6, -7):
        return int(v)
    if o in (8, 6, 7):
        return float(v)
    if o in (12, -1, -11) and not isinstance(v, str):
        return str(v)
    return v


def dbapi_type_code(c: ColumnInfo) -> int:
    """cursor.description type code: IRIS reports horolog DATE/TIME and POSIX time
    with its own codes 1091/1092/1093 (iris.dbapi.SQLType)."""
    if c.ODBCType == 9:
        return 1091
    if c.ODBCType == 10:
        return 1092
    if c.ODBCType in (11, 93):
        return 1093 if c.clientType == 20 else 93
    return c.ODBCType
