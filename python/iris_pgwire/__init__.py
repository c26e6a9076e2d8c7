"""iris-pgwire: a PostgreSQL wire-protocol gateway for InterSystems IRIS."""

from iris_pgwire.errors import BackendError, ConfigError

__all__ = ["BackendError", "ConfigError", "notify", "translate"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy, so `python -m iris_pgwire.translate` does not import the module twice.
    if name == "translate":
        from iris_pgwire.translate import translate

        return translate
    if name == "notify":  # NOTIFY gateway listeners from code inside IRIS (iris_notify.py)
        from iris_pgwire.iris_notify import notify

        return notify
    raise AttributeError(f"module 'iris_pgwire' has no attribute {name!r}")
