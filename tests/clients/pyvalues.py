"""The common types as Python values, for the Python clients' round trips through the
types table of harness.TYPES_TABLE_DDL (the same columns the other languages fill)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from harness import TYPES_TABLE_DDL

COLUMNS = ("b", "i2", "i4", "i8", "f4", "f8", "n", "s", "v", "by", "d", "tm", "ts", "tz", "u", "j")
VALUES = {
    "b": True,
    "i2": -32768,
    "i4": 2147483647,
    "i8": -9223372036854775808,
    "f4": 1.5,
    "f8": -2.25e-300,
    "n": Decimal("12345.678"),
    "s": "héllo ☃ 'quoted'",
    "v": "varchar",
    "by": b"\x00\xff\x10'",
    "d": dt.date(2024, 2, 29),
    "tm": dt.time(13, 14, 15, 500000),
    "ts": dt.datetime(2024, 2, 29, 13, 14, 15, 500000),
    "tz": dt.datetime(2024, 2, 29, 13, 14, 15, 500000, tzinfo=dt.timezone.utc),
    "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    "j": {"a": [1, 2, None], "k": "v"},
}

# One select of typed literals (the server types them, the client decodes them).
LITERALS_SQL = (
    "select true, 7::int2, 42::int4, 9000000000::int8, 0.5::float4, 0.25::float8, "
    "1.500::numeric, 'txt'::text, 'vc'::varchar(4), '\\x0102'::bytea, '2000-01-01'::date, "
    "'23:59:59'::time, '2000-01-01 00:00:00'::timestamp, "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"x\": 1}'::jsonb, null::int4"
)
LITERALS = (
    True, 7, 42, 9000000000, 0.5, 0.25, Decimal("1.500"), "txt", "vc", b"\x01\x02",
    dt.date(2000, 1, 1), dt.time(23, 59, 59), dt.datetime(2000, 1, 1),
    uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), {"x": 1}, None,
)

__all__ = ["COLUMNS", "VALUES", "LITERALS_SQL", "LITERALS", "TYPES_TABLE_DDL"]


def insert_sql(table: str, placeholder) -> str:
    """INSERT of id + every column, placeholders written by placeholder(i, name)."""
    cols = ("id", *COLUMNS)
    marks = ", ".join(placeholder(i, c) for i, c in enumerate(cols, 1))
    return f"insert into {table} ({', '.join(cols)}) values ({marks})"


def select_sql(table: str) -> str:
    return f"select {', '.join(COLUMNS)} from {table} where id = 1"
