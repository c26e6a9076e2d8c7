"""PostgreSQL -> IRIS (or SQLite) SQL translation, without a server.

    >>> import iris_pgwire
    >>> iris_pgwire.translate("SELECT * FROM t LIMIT 5", target="iris", iris_version="2024.1")
    ['SELECT TOP 5 * FROM t']

CLI::

    python -m iris_pgwire.translate --target iris [--iris-version 2025.1] [--no-exact] "SQL" ...

Unsupported constructs raise :class:`iris_pgwire.errors.BackendError` with
``sqlstate == "0A000"`` and a ``hint`` naming what to write instead. The rules are
listed in docs/translation.md.
"""

from __future__ import annotations

import argparse
import sys
import types
from typing import List, Optional, Sequence

from iris_pgwire.errors import BackendError

__all__ = ["translate", "main"]


def translate(
    sql: str,
    target: str = "iris",
    iris_version: str = "2025.1",
    exact_strings: bool = True,
) -> List[str]:
    """Translate PostgreSQL ``sql`` into backend statements (``?`` parameter markers).

    One PostgreSQL statement may become several backend statements (multi-row VALUES,
    INSERT .. RETURNING, ON CONFLICT). SET/SHOW/RESET are answered by the gateway and
    produce nothing. ``target`` is ``"iris"`` or ``"sqlite"``.
    """
    from iris_pgwire import _core  # the compiled core; imported late so the CLI's --help works without it

    return list(_core.translate_sql(sql, target, iris_version, exact_strings))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m iris_pgwire.translate",
        description="Translate PostgreSQL SQL for the IRIS or SQLite backend.",
    )
    parser.add_argument("--target", choices=["iris", "sqlite"], default="iris")
    parser.add_argument("--iris-version", default="2025.1", help="IRIS version, e.g. 2024.1 (LIMIT/OFFSET native from 2025.1)")
    parser.add_argument("--no-exact", action="store_true", help="keep IRIS's case-insensitive string comparison")
    parser.add_argument("sql", nargs="+", help="PostgreSQL statement(s); '-' reads standard input")
    args = parser.parse_args(argv)
    status = 0
    for text in args.sql:
        if text == "-":
            text = sys.stdin.read()
        try:
            for stmt in translate(text, args.target, args.iris_version, not args.no_exact):
                print(stmt)
        except BackendError as e:
            print(f"ERROR {e.sqlstate}: {e.message}", file=sys.stderr)
            if e.hint:
                print(f"HINT: {e.hint}", file=sys.stderr)
            status = 1
    return status


class _CallableModule(types.ModuleType):
    """Importing this submodule rebinds ``iris_pgwire.translate`` to the module; keep it callable."""

    def __call__(self, sql: str, target: str = "iris", iris_version: str = "2025.1", exact_strings: bool = True) -> List[str]:
        return translate(sql, target, iris_version, exact_strings)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
