"""Value conversion at the edges of the fake: embedded (logical mode) and DBAPI.

Written independently of iris_pgwire.backends.iris_common on purpose: a fake
that shared the code under test would agree with it whatever it did.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import re
from typing import Any

from _fakeiris.engine import ColumnInfo, ParamInfo
from _fakeiris.errors import FakeSQLError

H0 = dt.date(1840, 12, 31)
P0 = 1 << 60  # %PosixTime value of 1970-01-01 00:00:00 UTC
U0 = dt.datetime(1970, 1, 1)
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d+)?)?$")
_NUMERIC_ODBC = {4, 5, -5, -6, -7, 2, 3, 8, 6, 7, 9, 10}
_orefs = itertools.count(13)


def _is_posix(t) -> bool:
    return t.ODBCType in (11, 93) and t.clientType == 20


def _is_number(v: Any) -> bool:
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return True
    return isinstance(v, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", v) is not None


def _invalid(p: ParamInfo, v: Any) -> FakeSQLError:
    return FakeSQLError(-104, f"Field validation failed: value {v!r} is not a valid logical {p.declared or 'value'}")


# --- embedded: logical mode ---------------------------------------------------


def embedded_bind(v: Any, p: ParamInfo) -> Any:
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
        if v == "":
            return None  # "" is NULL in logical mode
        if v == "\x00":
            return ""  # $C(0) is the empty string
    if p.ODBCType in _NUMERIC_ODBC or _is_posix(p):
        if not _is_number(v):
            raise _invalid(p, v)
        if p.ODBCType == -7 and str(v).strip() not in ("0", "1"):
            raise _invalid(p, v)
    elif p.ODBCType in (11, 93) and not (isinstance(v, str) and _TS.match(v)):
        raise _invalid(p, v)
    return v


def embedded_value(v: Any, c: ColumnInfo) -> Any:
    """A stored value as an embedded result row holds it."""
    if v is None:
        return ""
    if isinstance(v, str) and v == "":
        return "\x00"
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
    try:
        if p.ODBCType == 9:
            if isinstance(v, (dt.date, str)):
                d = v.date() if isinstance(v, dt.datetime) else v
                d = dt.date.fromisoformat(d.strip()[:10]) if isinstance(d, str) else d
                return (d - H0).days
        elif p.ODBCType == 10:
            if isinstance(v, (dt.time, str)):
                t = dt.time.fromisoformat(v.strip()) if isinstance(v, str) else v
                return t.hour * 3600 + t.minute * 60 + t.second
        elif _is_posix(p):
            if isinstance(v, (dt.datetime, str)):
                ts = dt.datetime.fromisoformat(v.strip().replace("T", " ")) if isinstance(v, str) else v
                if ts.tzinfo is not None:
                    ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
                delta = ts - U0
                return P0 + (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        elif p.ODBCType in (11, 93):
            if isinstance(v, dt.datetime):
                return v.isoformat(sep=" ")
            if isinstance(v, str):
                return dt.datetime.fromisoformat(v.strip().replace("T", " ")).isoformat(sep=" ")
    except ValueError:
        raise FakeSQLError(-147 if p.ODBCType == 10 else -146, f"Unable to convert {v!r} for {p.declared}") from None
    if p.ODBCType in _NUMERIC_ODBC and not _is_number(v):
        raise _invalid(p, v)
    return v


def dbapi_value(v: Any, c: ColumnInfo) -> Any:
    if v is None:
        return None
    o = c.ODBCType
    if o == 9:
        return H0 + dt.timedelta(days=int(v))
    if o == 10:
        s = int(v)
        return dt.time(s // 3600, s // 60 % 60, s % 60)
    if o in (11, 93) and c.clientType == 20:
        return U0 + dt.timedelta(microseconds=int(v) - P0)
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
