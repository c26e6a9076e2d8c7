"""IRIS vectors in the fake: TO_VECTOR, VECTOR_COSINE, VECTOR_DOT_PRODUCT.

A stored vector is a blob of doubles, so a VECTOR column can tell TO_VECTOR's result
from a plain string (which IRIS does not document to convert: the fake refuses it).
Results show the logical form "1,2,3".
"""

from __future__ import annotations

import math
import struct
from typing import Any, List

_TYPES = ("DOUBLE", "DECIMAL", "FLOAT", "INTEGER", "INT")


def _values(v: Any) -> List[float]:
    if isinstance(v, bytes):
        return list(struct.unpack(f"<{len(v) // 8}d", v))
    raise ValueError(f"{str(v)[:40]!r} is not a vector")


def to_vector(text: Any, kind: Any = None, dim: Any = None):
    """TO_VECTOR(text, type[, n]): '[1,2,3]' or '1,2,3'. The type argument is a keyword
    (DOUBLE ..) in IRIS, not a parameter: the fake sees it as the column name DOUBLE would
    be, so it accepts only the identifiers rewritten to strings by sqltext."""
    if text is None:
        return None
    if isinstance(text, bytes):
        return text
    body = str(text).strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    try:
        nums = [float(x) for x in body.split(",")] if body.strip() else []
    except ValueError:
        raise ValueError(f"{str(text)[:40]!r} is not a vector") from None
    if not nums:
        raise ValueError("a vector needs at least one element")
    if dim is not None and int(dim) != len(nums):
        raise ValueError(f"{len(nums)} elements for a vector of {dim}")
    if kind is not None and str(kind).upper() in ("INTEGER", "INT"):
        nums = [float(int(x)) for x in nums]
    return struct.pack(f"<{len(nums)}d", *nums)


def _pair(a: Any, b: Any):
    x, y = _values(a), _values(b)
    if len(x) != len(y):
        raise ValueError(f"vectors of {len(x)} and {len(y)} dimensions")
    return x, y


def dot(a: Any, b: Any):
    if a is None or b is None:
        return None
    x, y = _pair(a, b)
    return sum(p * q for p, q in zip(x, y))


def cosine(a: Any, b: Any):
    if a is None or b is None:
        return None
    x, y = _pair(a, b)
    nx, ny = math.sqrt(sum(p * p for p in x)), math.sqrt(sum(q * q for q in y))
    if nx == 0 or ny == 0:
        return None
    return sum(p * q for p, q in zip(x, y)) / (nx * ny)


def logical(v: Any) -> Any:
    """A stored vector as IRIS's logical value "1,2,3"."""
    if not isinstance(v, bytes):
        return v
    return ",".join(repr(x) if x != int(x) else str(int(x)) for x in _values(v))
