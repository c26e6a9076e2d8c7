"""Filing rules of the fake for DATE, TIME, TIMESTAMP, POSIXTIME and BIT input.

ODBC mode (xDBC connections, or embedded at %SelectMode 1) converts ISO text to
the logical form; logical mode (embedded default) accepts only logical values
(numeric text is fine). Used for SQL literals, parameters and CAST.
"""

from __future__ import annotations

import datetime as dt

H0 = dt.date(1840, 12, 31)
P0 = 1 << 60  # %PosixTime value of 1970-01-01 00:00:00 UTC
U0 = dt.datetime(1970, 1, 1)


def odbc_to_logical(kind: str, value):
    """ValueError when ``value`` is not valid ODBC text for ``kind``."""
    text = str(value).strip()
    if kind == "DATE":
        return (dt.date.fromisoformat(text[:10]) - H0).days
    if kind == "TIME":
        t = dt.time.fromisoformat(text)
        secs = t.hour * 3600 + t.minute * 60 + t.second
        return secs + t.microsecond / 1_000_000 if t.microsecond else secs
    if kind == "TIMESTAMP":
        return dt.datetime.fromisoformat(text.replace("T", " ")).isoformat(sep=" ")
    if kind == "POSIXTIME":
        ts = dt.datetime.fromisoformat(text.replace("T", " "))
        if ts.tzinfo is not None:
            ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
        d = ts - U0
        return P0 + (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    if kind == "BIT":
        return {"1": 1, "0": 0, "true": 1, "false": 0}[text.lower()]
    raise ValueError(kind)


def logical_check(kind: str, value):
    number = float(str(value).strip())  # ValueError for '2024-02-29'
    if kind == "BIT" and number not in (0, 1):
        raise ValueError(value)
    return int(number) if number == int(number) else number


def now(kind: str, precision: int):
    """The logical value of CURRENT_TIMESTAMP(n) / CURRENT_DATE as a column default."""
    ts = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if kind == "POSIXTIME":
        d = ts - U0
        return P0 + (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    if kind == "DATE":
        return (ts.date() - H0).days
    if kind == "DATE_TEXT":
        return ts.date().isoformat()
    if kind == "TIME":
        return ts.hour * 3600 + ts.minute * 60 + ts.second
    text = ts.isoformat(sep=" ", timespec="microseconds")
    return text[:19] if not precision else text[:20 + min(int(precision), 6)]
