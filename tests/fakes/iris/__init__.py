"""Fake ``iris`` module for tests, backed by sqlite (see _fakeiris/engine.py).

Reproduces the two faces the gateway uses, as docs/iris.md (IRIS facts) describes them:
- embedded Python (``irispython``): ``iris.sql.exec/prepare``,
  ``iris.system.Process``; one job per OS process. Present unless
  ``FAKE_IRIS_EMBEDDED=0`` (a plain Python with intersystems-irispython has no
  ``iris.sql``).
- intersystems-irispython: ``iris.connect`` (errors are RuntimeError, as in the
  real package) and ``iris.dbapi.connect`` (PEP 249 exceptions).

Environment: FAKE_IRIS_DATA (instance directory), FAKE_IRIS_HOST/PORT/USER/
PASSWORD (what a DBAPI connect must match; defaults localhost/1972/_SYSTEM/SYS),
FAKE_IRIS_LOCK_TIMEOUT, FAKE_IRIS_VERSION (LIMIT needs >= 2025.1),
FAKE_IRIS_NAMESPACES, FAKE_IRIS_SELECTMODE_LOCKED (=1: embedded
``SetOption("SelectMode", 1)`` has no effect). A file named DOWN in the instance directory makes the
"server" unreachable (connections then fail with a communication link error).
"""

import os as _os

from iris import dbapi  # noqa: F401  (real package: iris.dbapi)


def connect(*args, **kwargs):
    """Native-API connect: same connection object, RuntimeError on failure."""
    try:
        return dbapi.connect(*args, **kwargs)
    except dbapi.Error as exc:
        raise RuntimeError(str(exc)) from None


createConnection = connect

if _os.environ.get("FAKE_IRIS_EMBEDDED", "1") != "0":
    from iris._embedded import cls, sql, system  # noqa: F401
