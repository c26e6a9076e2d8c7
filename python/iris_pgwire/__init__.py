"""iris-pgwire: a PostgreSQL wire-protocol gateway for InterSystems IRIS."""

from iris_pgwire.errors import BackendError, ConfigError

__all__ = ["BackendError", "ConfigError"]
__version__ = "0.1.0"
