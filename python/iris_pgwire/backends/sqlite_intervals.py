"""Interval comparison and arithmetic for the sqlite backend (src/translate/sqlite/intervals.rs).

Intervals are stored as PostgreSQL's canonical text (IntervalStyle postgres, the months,
days and microseconds PostgreSQL keeps apart: ``1 year 2 mons -3 days +04:05:06.7``), the
text the translator writes for literals and the gateway hands interval parameters over
in; timestamps as ``2000-01-02 03:04:05[.ffffff]`` (timestamptz in UTC with ``+00:00``),
dates as ``2000-01-02``. As PostgreSQL's interval_cmp, timestamp_pl_interval and
interval_mul (src/backend/utils/adt/timestamp.c), on a proleptic Gregorian calendar of
any year, so values beyond Python's datetime range (year 10000) come out as PostgreSQL
computes them. timestamptz ± interval adds days and months in UTC (PostgreSQL: in the
session's TimeZone), docs/translation.md.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Optional

from iris_pgwire.errors import BackendError

USECS_PER_SEC = 1_000_000
USECS_PER_DAY = 86_400 * USECS_PER_SEC
DAYS_PER_MONTH = 30

_FIELD = re.compile(r"([+-]?\d+) (year|mon|day)s?$")
_TIME = re.compile(r"([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")
_STAMP = re.compile(
    r"(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?)?(\+00(?::00)?|Z)?( BC)?$"
)


def _micros(frac: Optional[str]) -> int:
    return int((frac or "").ljust(6, "0")) if frac else 0


def parse_interval(text: str) -> tuple[int, int, int]:
    """(months, days, micros) of canonical interval text; 22007 for anything else."""
    months = days = micros = 0
    rest = str(text).strip()
    words = rest.split(" ")
    i = 0
    while i < len(words):
        if i + 1 < len(words) and (m := _FIELD.match(f"{words[i]} {words[i + 1]}")):
            n = int(m.group(1))
            if m.group(2) == "year":
                months += 12 * n
            elif m.group(2) == "mon":
                months += n
            else:
                days += n
            i += 2
        elif m := _TIME.match(words[i]):
            us = ((int(m.group(2)) * 60 + int(m.group(3))) * 60 + int(m.group(4))) * USECS_PER_SEC + _micros(m.group(5))
            micros += -us if m.group(1) == "-" else us
            i += 1
        else:
            raise BackendError("22007", f'invalid input syntax for type interval: "{text}"')
    if not words or not words[0]:
        raise BackendError("22007", f'invalid input syntax for type interval: "{text}"')
    return months, days, micros


def format_interval(months: int, days: int, micros: int) -> str:
    """EncodeInterval, INTSTYLE_POSTGRES (as src/types/interval.rs)."""
    if not (-(2**31) <= months < 2**31 and -(2**31) <= days < 2**31 and -(2**63) <= micros < 2**63):
        raise BackendError("22008", "interval out of range")
    out: list[str] = []
    state = {"zero": True, "before": False}

    def part(value: int, unit: str) -> None:
        if value == 0:
            return
        plus = "+" if state["before"] and value > 0 else ""
        out.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        state["before"], state["zero"] = value < 0, False

    year = int(months / 12)
    part(year, "year")
    part(months - 12 * year, "mon")
    part(days, "day")
    if state["zero"] or micros != 0:
        sign = "-" if micros < 0 else ("+" if state["before"] else "")
        a = abs(micros)
        secs, frac = divmod(a, USECS_PER_SEC)
        text = f"{sign}{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        if frac:
            text += f".{frac:06d}".rstrip("0")
        out.append(text)
    return " ".join(out)


def _span(iv: tuple[int, int, int]) -> int:
    months, days, micros = iv
    return (months * DAYS_PER_MONTH + days) * USECS_PER_DAY + micros


# Proleptic Gregorian day numbers (days from 1970-01-01), any astronomical year.
def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


class _Stamp:
    """A date, timestamp or timestamptz value: micros since 1970-01-01 (wall clock or UTC)."""

    def __init__(self, us: int, kind: str) -> None:
        self.us, self.kind = us, kind

    @classmethod
    def parse(cls, text: str) -> Optional["_Stamp"]:
        m = _STAMP.match(str(text).strip())
        if not m:
            return None
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if m.group(9):
            y = 1 - y
        us = _days_from_civil(y, mo, d) * USECS_PER_DAY
        if m.group(4):
            us += ((int(m.group(4)) * 60 + int(m.group(5))) * 60 + int(m.group(6))) * USECS_PER_SEC
            us += _micros(m.group(7))
        kind = "timestamptz" if m.group(8) else ("timestamp" if m.group(4) else "date")
        return cls(us, kind)

    def plus(self, iv: tuple[int, int, int]) -> "_Stamp":
        months, days, micros = iv
        day, time = divmod(self.us, USECS_PER_DAY)
        if months:
            y, m, d = _civil_from_days(day)
            total = y * 12 + (m - 1) + months
            y, m = divmod(total, 12)
            m += 1
            day = _days_from_civil(y, m, min(d, _month_days(y, m)))
        day += days
        # date + interval is a timestamp.
        return _Stamp(day * USECS_PER_DAY + time + micros, "timestamp" if self.kind == "date" else self.kind)

    def text(self) -> str:
        day, time = divmod(self.us, USECS_PER_DAY)
        y, m, d = _civil_from_days(day)
        bc = y <= 0
        secs, frac = divmod(time, USECS_PER_SEC)
        out = f"{1 - y if bc else y:04d}-{m:02d}-{d:02d} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        if frac:
            out += f".{frac:06d}".rstrip("0")
        if self.kind == "timestamptz":
            out += "+00:00"
        return out + (" BC" if bc else "")


def _factor(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise BackendError("22P02", f'invalid input syntax for type double precision: "{value}"') from None
    if math.isnan(f) or math.isinf(f):
        raise BackendError("22008", "interval out of range")
    return f


def _mul(iv: tuple[int, int, int], factor: float) -> str:
    """interval_mul: fractions of months carry into days (30 each), of days into time."""
    months, days, micros = iv
    r_months = math.trunc(months * factor)
    r_days = math.trunc(days * factor)
    month_remainder_days = (months * factor - r_months) * DAYS_PER_MONTH
    sec_remainder = (days * factor - r_days + month_remainder_days - math.trunc(month_remainder_days)) * 86_400
    sec_remainder = round(sec_remainder * USECS_PER_SEC) / USECS_PER_SEC
    if abs(sec_remainder) >= 86_400:
        r_days += math.trunc(sec_remainder / 86_400)
        sec_remainder -= math.trunc(sec_remainder / 86_400) * 86_400
    r_days += math.trunc(month_remainder_days)
    r_micros = round(micros * factor + sec_remainder * USECS_PER_SEC)
    return format_interval(r_months, r_days, r_micros)


def interval_cmp(a: Any, b: Any) -> Optional[int]:
    if a is None or b is None:
        return None
    x, y = _span(parse_interval(a)), _span(parse_interval(b))
    return (x > y) - (x < y)


def interval_add(a: Any, b: Any, sign: int = 1) -> Optional[str]:
    if a is None or b is None:
        return None
    stamp = _Stamp.parse(a)
    if stamp is None and sign == 1:
        stamp, a, b = _Stamp.parse(b), b, a
    iv = parse_interval(b)
    if sign < 0:
        iv = (-iv[0], -iv[1], -iv[2])
    if stamp is not None:
        return stamp.plus(iv).text()
    x = parse_interval(a)
    return format_interval(x[0] + iv[0], x[1] + iv[1], x[2] + iv[2])


def interval_sub(a: Any, b: Any) -> Optional[str]:
    return interval_add(a, b, -1)


def interval_mul(a: Any, b: Any) -> Optional[str]:
    if a is None or b is None:
        return None
    if isinstance(a, str) and not _is_number(a):
        return _mul(parse_interval(a), _factor(b))
    return _mul(parse_interval(b), _factor(a))


def interval_div(a: Any, b: Any) -> Optional[str]:
    if a is None or b is None:
        return None
    f = _factor(b)
    if f == 0:
        raise BackendError("22012", "division by zero")
    return _mul(parse_interval(a), 1 / f)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def register(conn, raise_: Callable[[BackendError], None]) -> None:
    def guarded(fn):
        def call(*args):
            try:
                return fn(*args)
            except BackendError as e:
                raise_(e)
        return call

    conn.create_function("pg_interval_cmp", 2, guarded(interval_cmp), deterministic=True)
    conn.create_function("pg_interval_add", 2, guarded(interval_add), deterministic=True)
    conn.create_function("pg_interval_sub", 2, guarded(interval_sub), deterministic=True)
    conn.create_function("pg_interval_mul", 2, guarded(interval_mul), deterministic=True)
    conn.create_function("pg_interval_div", 2, guarded(interval_div), deterministic=True)
