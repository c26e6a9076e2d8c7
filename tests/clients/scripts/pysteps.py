"""The step runner of the Python programs that run outside the test venv (in a tool's own
venv, tests/clients/venvs/): argv as tests/clients/harness.py passes it, each step's value
or error (with the SQLSTATE of the driver error behind it), one JSON line at the end."""

import json
import sys
from urllib.parse import quote

host, port, user, dbname, table, password = sys.argv[1:7]
results = {}


def url(driver: str) -> str:
    """A SQLAlchemy URL for the server under test."""
    return f"postgresql+{driver}://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{dbname}"


def sqlstate(e: BaseException):
    while e is not None:
        for attr in ("sqlstate", "pgcode"):
            if getattr(e, attr, None):
                return getattr(e, attr)
        e = getattr(e, "orig", None) or e.__cause__
    return None


def step(name):
    def run(fn):
        try:
            results[name] = {"ok": True, "value": fn()}
        except Exception as e:  # every failure is the step's result
            results[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:3000], "sqlstate": sqlstate(e)}
    return run


def keyword_vector(text: str, words: tuple[str, ...]) -> list[float]:
    """A deterministic embedding: how often each of `words` occurs in text, plus 0.5 in a
    last dimension so no vector is zero. Exact in float4 and double, so every server ranks
    and scores alike; no model is downloaded."""
    lowered = text.lower()
    return [float(lowered.count(w)) for w in words] + [0.5]


def finish() -> None:
    print(json.dumps(results, default=str))
