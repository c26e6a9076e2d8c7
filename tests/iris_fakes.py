"""Put the fake ``iris`` / ``irisbuiltins`` modules (tests/fakes) in place for one test.

Used by test_iris_backends.py; the fakes are visible only inside the fixture,
and every test gets a fresh fake instance (data directory) and a fresh job.
"""

from __future__ import annotations

import os
import sys

FAKES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fakes")
_PREFIXES = ("iris", "irisbuiltins", "_fakeiris", "iris_pgwire.backends.embedded", "iris_pgwire.backends.dbapi")


def purge() -> None:
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in _PREFIXES):
            del sys.modules[name]


def install(monkeypatch, data_dir, **env: str) -> None:
    purge()
    monkeypatch.syspath_prepend(FAKES)
    monkeypatch.setenv("FAKE_IRIS_DATA", str(data_dir))
    monkeypatch.setenv("FAKE_IRIS_LOCK_TIMEOUT", env.pop("FAKE_IRIS_LOCK_TIMEOUT", "1"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
