"""The sqlite backend with cancels injected mid-call, for tests/test_backend_hygiene.py
(`--backend faulty_sqlite:FaultySqlite`, tests/helpers on PYTHONPATH).

The test writes a JSON arming to the file named by FAULT_FILE: {"id": .., "kind": ..,
"after": k}. The next backend call of that kind (describe, execute, fetch, commit, begin,
rollback, executemany) is interrupted as a CancelRequest interrupts it: sqlite3's
`interrupt()`, issued from the progress handler after k virtual-machine steps of that call,
so a sweep over k lands the cancel at every point of the call (between the statements a
describe or a commit runs, too). Each arming fires at most once; FAULT_FILE + ".fired"
lists the ids that fired, so the test knows when k has passed the end of the call."""

from __future__ import annotations

import json
import os
from typing import Any

from iris_pgwire.backends import sqlite


class _Arm:
    def __init__(self) -> None:
        self.path = os.environ["FAULT_FILE"]
        self.fired: set[str] = set()

    def take(self, kind: str) -> int | None:
        try:
            with open(self.path) as f:
                arm = json.load(f)
        except (OSError, ValueError):
            return None
        if arm.get("kind") != kind or arm.get("id") in self.fired:
            return None
        self.fired.add(arm["id"])
        return int(arm["after"]), arm["id"]


_ARM: _Arm | None = None


def _armed(conn: "FaultyConnection", kind: str, call, *args):
    armed = _ARM.take(kind) if _ARM else None
    if armed is None:
        return call(*args)
    after, arm_id = armed
    raw = conn._inner._conn
    steps = 0

    def progress() -> int:
        nonlocal steps
        steps += 1
        if steps == after:
            raw.interrupt()
            with open(_ARM.path + ".fired", "a") as f:
                f.write(arm_id + "\n")
        return 0

    raw.set_progress_handler(progress, 1)
    try:
        return call(*args)
    finally:
        raw.set_progress_handler(None, 1)


class FaultyCursor:
    def __init__(self, conn: "FaultyConnection", inner) -> None:
        self._conn, self._inner = conn, inner
        self.description = inner.description
        self.rowcount = inner.rowcount

    def fetch(self, n: int) -> list[tuple]:
        return _armed(self._conn, "fetch", self._inner.fetch, n)

    def close(self) -> None:
        self._inner.close()


class FaultyConnection:
    def __init__(self, inner: sqlite.SqliteConnection) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def describe(self, sql):
        return _armed(self, "describe", self._inner.describe, sql)

    def execute(self, sql, params, describe=True):
        return FaultyCursor(self, _armed(self, "execute", self._inner.execute, sql, params, describe))

    def executemany(self, sql, rows):
        return _armed(self, "executemany", self._inner.executemany, sql, rows)

    def begin(self):
        return _armed(self, "begin", self._inner.begin)

    def commit(self):
        return _armed(self, "commit", self._inner.commit)

    def rollback(self):
        return _armed(self, "rollback", self._inner.rollback)


class FaultySqlite:
    def __init__(self, cfg: dict[str, Any]) -> None:
        global _ARM
        _ARM = _Arm()
        self._inner = sqlite.create(cfg)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def connect(self) -> FaultyConnection:
        return FaultyConnection(self._inner.connect())
