"""PostgreSQL's regular expressions, array text functions and set-returning functions
for the sqlite backend (registered by sqlite_functions.register).

- ``pg_regex(s, pattern, flags)``: ``~ ~* !~ !~*``; ``pg_regexp_replace``,
  ``pg_regexp_match``: Python's ``re`` with PostgreSQL's flag letters (i c n m p w s x g q).
- ``pg_array_to_string``, ``pg_string_to_array``, ``pg_array``: arrays are PostgreSQL
  array text (``{a,b}``), as array columns store them.
- ``pg_series_json``, ``pg_array_json``: the rows of ``generate_series`` and ``unnest``
  in FROM as a JSON array, which the translation reads with SQLite's ``json_each``.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from typing import Any, Callable, Optional

from iris_pgwire.errors import BackendError

RaiseFn = Callable[[BackendError], None]

# pg_array_json's second argument: the element kind of the array's cast (sqlite_srf.rs).
_ELEMENTS: dict[Optional[str], Callable[[str], Any]] = {
    "bool": lambda x: 1 if x.lower() in ("t", "true", "1", "y", "yes", "on") else 0,
    "int": int,
    "float": float,
}


def _flags(text: Optional[str], raise_: RaiseFn, allow_global: bool) -> tuple[int, bool, bool]:
    """(re flags, global, literal). PostgreSQL's `.` matches newlines unless n/p."""
    flags, glob, literal = re.S, False, False
    for ch in text or "":
        if ch == "i":
            flags |= re.I
        elif ch == "c":
            flags &= ~re.I
        elif ch in "nm":
            flags = (flags & ~re.S) | re.M
        elif ch == "p":
            flags &= ~re.S
        elif ch == "w":
            flags |= re.M
        elif ch == "s":
            flags = (flags | re.S) & ~re.M
        elif ch == "x":
            flags |= re.X
        elif ch == "q":
            literal = True
        elif ch == "g" and allow_global:
            glob = True
        else:
            raise_(BackendError("22023", f'invalid regular expression option: "{ch}"'))
    return flags, glob, literal


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, flags: int, literal: bool):
    return re.compile(re.escape(pattern) if literal else pattern, flags)


def _regex(pattern: str, flags: Optional[str], raise_: RaiseFn, allow_global: bool = False):
    f, glob, literal = _flags(flags, raise_, allow_global)
    try:
        return _compile(pattern, f, literal), glob
    except re.error as e:
        raise_(BackendError("2201B", f"invalid regular expression: {e}"))
        raise


def _replacement(repl: str) -> Callable[[re.Match], str]:
    """PostgreSQL's replacement text: \\1..\\9 groups, \\& the whole match."""
    def expand(m: re.Match) -> str:
        out, i = [], 0
        while i < len(repl):
            ch = repl[i]
            if ch == "\\" and i + 1 < len(repl):
                nxt = repl[i + 1]
                if nxt.isdigit():
                    out.append(m.group(int(nxt)) or "")
                elif nxt == "&":
                    out.append(m.group(0))
                else:
                    out.append(nxt)
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
    return expand


#: What array_in skips around elements (C isspace): Python's str.strip() takes more
#: (\x1c-\x1f, \x85, ...), which are element characters to PostgreSQL.
_ARRAY_SPACE = " \t\n\r\v\f"


def parse_array(text: Any) -> Optional[list[Optional[str]]]:
    """PostgreSQL array text (one dimension) to its elements; NULL for NULL."""
    if text is None:
        return None
    s = str(text).strip(_ARRAY_SPACE)
    if s.startswith("[") and "=" in s:
        s = s[s.index("=") + 1:].strip(_ARRAY_SPACE)
    if not (s.startswith("{") and s.endswith("}")):
        raise ValueError(f'malformed array literal: "{text}"')
    items: list[Optional[str]] = []
    i, body = 0, s[1:-1]
    while i < len(body):
        while i < len(body) and body[i] in _ARRAY_SPACE:
            i += 1
        if i >= len(body):
            break
        if body[i] == '"':
            i += 1
            buf = []
            while i < len(body) and body[i] != '"':
                if body[i] == "\\" and i + 1 < len(body):
                    i += 1
                buf.append(body[i])
                i += 1
            items.append("".join(buf))
            i += 1
        else:
            j = i
            while j < len(body) and body[j] != ",":
                j += 1
            word = body[i:j].strip(_ARRAY_SPACE)
            items.append(None if word.upper() == "NULL" else word)
            i = j
        while i < len(body) and body[i] in _ARRAY_SPACE:
            i += 1
        if i < len(body) and body[i] == ",":
            i += 1
    return items


def format_array(items: list[Any]) -> str:
    def one(v: Any) -> str:
        if v is None:
            return "NULL"
        s = str(v)
        if s == "" or s.upper() == "NULL" or any(c in s for c in '"\\{},') or any(c.isspace() for c in s):
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return s
    return "{" + ",".join(one(v) for v in items) + "}"


_UNITS = {
    "microsecond": datetime.timedelta(microseconds=1), "millisecond": datetime.timedelta(milliseconds=1),
    "second": datetime.timedelta(seconds=1), "minute": datetime.timedelta(minutes=1),
    "hour": datetime.timedelta(hours=1), "day": datetime.timedelta(days=1), "week": datetime.timedelta(weeks=1),
}


def _interval(text: str) -> tuple[int, datetime.timedelta]:
    """'1 day', '2 hours 30 minutes', '1 month', '01:30:00' -> (months, timedelta)."""
    months, delta = 0, datetime.timedelta()
    tokens = text.strip().lower().replace(",", " ").split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if ":" in tok:
            parts = [float(p) for p in tok.split(":")]
            while len(parts) < 3:
                parts.append(0.0)
            delta += datetime.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
            i += 1
            continue
        n = float(tok)
        unit = tokens[i + 1].rstrip("s") if i + 1 < len(tokens) else "second"
        i += 2
        if unit in ("mon", "month"):
            months += int(n)
        elif unit in ("year", "yr"):
            months += int(n * 12)
        elif unit in ("min",):
            delta += n * _UNITS["minute"]
        elif unit in ("sec",):
            delta += n * _UNITS["second"]
        elif unit in _UNITS:
            delta += n * _UNITS[unit]
        else:
            raise ValueError(f'invalid input syntax for type interval: "{text}"')
    return months, delta


def _add_months(t: datetime.datetime, months: int) -> datetime.datetime:
    y, m = divmod(t.month - 1 + months, 12)
    year, month = t.year + y, m + 1
    import calendar
    day = min(t.day, calendar.monthrange(year, month)[1])
    return t.replace(year=year, month=month, day=day)


def register(conn, raise_: RaiseFn) -> None:
    def guarded(fn):
        def call(*args):
            try:
                return fn(*args)
            except BackendError as e:
                raise_(e)
            except ValueError as e:
                raise_(BackendError("22P02", str(e)))
        return call

    def pg_regex(s, pattern, flags):
        if s is None or pattern is None:
            return None
        rx, _ = _regex(str(pattern), flags, raise_)
        return 1 if rx.search(str(s)) else 0

    def pg_regexp_replace(s, pattern, repl, flags=None):
        if s is None or pattern is None or repl is None:
            return None
        rx, glob = _regex(str(pattern), flags, raise_, allow_global=True)
        return rx.sub(_replacement(str(repl)), str(s), count=0 if glob else 1)

    def pg_regexp_match(s, pattern, flags=None):
        if s is None or pattern is None:
            return None
        rx, _ = _regex(str(pattern), flags, raise_)
        m = rx.search(str(s))
        if m is None:
            return None
        return format_array(list(m.groups()) if rx.groups else [m.group(0)])

    def pg_regexp_matches_json(s, pattern, flags=None):
        """regexp_matches' rows (src/translate/srf_projection.rs): array texts, every
        match with 'g', else the first."""
        if s is None or pattern is None:
            return None
        rx, glob = _regex(str(pattern), flags, raise_, allow_global=True)
        rows = []
        for m in rx.finditer(str(s)):
            rows.append(format_array(list(m.groups()) if rx.groups else [m.group(0)]))
            if not glob:
                break
        return json.dumps(rows)

    def pg_array_to_string(arr, sep, null=None):
        items = parse_array(arr)
        if items is None or sep is None:
            return None
        return str(sep).join(null if v is None else v for v in items if v is not None or null is not None)

    def pg_string_to_array(s, sep, null=None):
        if s is None:
            return None
        s = str(s)
        if s == "":
            return "{}"
        parts = list(s) if sep is None else ([s] if sep == "" else s.split(str(sep)))
        return format_array([None if null is not None and p == null else p for p in parts])

    def pg_series_json(start, stop, step=None):
        if start is None or stop is None:
            return "[]"
        if isinstance(start, int) and isinstance(stop, int) and (step is None or isinstance(step, int)):
            step = 1 if step is None else step
            if step == 0:
                raise BackendError("22023", "step size cannot equal zero")
            return json.dumps(list(range(start, stop + (1 if step > 0 else -1), step)))
        if step is None:
            raise BackendError("42883", "function generate_series(timestamp, timestamp) does not exist")
        t = datetime.datetime.fromisoformat(str(start))
        end = datetime.datetime.fromisoformat(str(stop))
        months, delta = _interval(str(step))
        if months == 0 and delta == datetime.timedelta():
            raise BackendError("22023", "step size cannot equal zero")
        forward = months > 0 or delta > datetime.timedelta()
        out = []
        while (t <= end) if forward else (t >= end):
            out.append(t.isoformat(sep=" "))
            if len(out) > 10_000_000:
                break
            # Each step adds to the previous value, as PostgreSQL's does (Jan 31 + 1 month = Feb 29).
            t = _add_months(t, months) + delta
        return json.dumps(out)

    def pg_array_json(arr, elements=None):
        items = parse_array(arr) or []
        convert = _ELEMENTS.get(elements)
        if convert is not None:
            items = [None if x is None else convert(x) for x in items]
        return json.dumps(items)

    def pg_array(*items):
        return format_array(list(items))

    for name, fn, n in [
        ("pg_regex", pg_regex, 3), ("pg_regexp_replace", pg_regexp_replace, -1),
        ("pg_regexp_match", pg_regexp_match, -1), ("pg_regexp_matches_json", pg_regexp_matches_json, -1),
        ("pg_array_to_string", pg_array_to_string, -1),
        ("pg_string_to_array", pg_string_to_array, -1), ("pg_series_json", pg_series_json, -1),
        ("pg_array_json", pg_array_json, -1), ("pg_array", pg_array, -1),
    ]:
        conn.create_function(name, n, guarded(fn), deterministic=True)
