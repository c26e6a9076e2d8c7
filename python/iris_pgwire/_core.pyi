"""Type stub of the Rust extension module (src/python/)."""

from typing import Any

__version__: str

class Server:
    """The wire server. `start()` binds and returns; sessions run on Rust threads."""

    def __init__(self, backend: Any, config: dict[str, Any]) -> None:
        """`config` keys: host, port, max_connections, pool_size, pool_timeout_secs,
        max_message_size, fetch_batch_rows, copy_batch_rows, worker_threads, server_version, dialect
        ("sqlite" | "iris"), iris_version, translate_cache_entries, shutdown_timeout_secs,
        session_defaults ([(name, value)]), role_settings ({user: [(name, value)]}),
        workers ((program, args, env): run every backend connection on a job worker process
        started so, see iris_pgwire.worker), warm_pool (open all pool connections at start),
        iris_notify_interval_secs (backends with `notify_queue`: seconds between takes of the
        notifications IRIS code queued; 0: off), otel_endpoint (make a span per statement for
        `span_queue()`; None: none)."""
    def start(self) -> tuple[str, int]:
        """Bind and serve; returns the (host, port) actually bound. Raises OSError."""
    def stop(self) -> None:
        """Refuse new connections, end sessions (FATAL 57P01), close backend connections."""
    def reload_tls(self) -> bool:
        """Re-read the TLS files (SIGHUP); False when TLS is off, ValueError if they do not load."""
    def reload_users(self) -> int:
        """Re-read --users-file (SIGHUP); the number of users, ValueError if it does not parse."""
    def reload_hba(self) -> int | None:
        """Re-read --hba-file (SIGHUP); the number of rules (None without one), ValueError if it does not parse."""
    def jobs(self) -> list[tuple[int, bool, float]]:
        """The job workers: (pid, busy, seconds since start) each; [] without workers."""
    def stop_jobs(self) -> None:
        """Stop every job worker (each rolls back and exits, or is killed after 3 s)."""
    def span_queue(self) -> SpanQueue | None:
        """The statement spans' queue (python/iris_pgwire/otel.py drains it); None unless
        started with `otel_endpoint`."""
    @property
    def running(self) -> bool: ...

class SpanQueue:
    """Finished statements waiting for the OpenTelemetry exporter (src/otel.rs)."""

    @property
    def db_system(self) -> str: ...
    def take(self, max: int, wait: float) -> list[tuple[str, int, int, str | None, str | None, str | None, dict[str, Any]]]:
        """Up to `max` spans, waiting at most `wait` seconds (without the GIL) for the first:
        (name, start_ns, end_ns, traceparent, sqlstate, message, attributes)."""

def set_log_level(levelno: int) -> None:
    """The Rust core's records below this Python level are dropped at once (logfmt.py)."""

def translate_sql(
    sql: str, target: str = "iris", iris_version: str = "2025.1", exact_strings: bool = True
) -> list[str]:
    """PostgreSQL SQL -> target SQL statements; raises iris_pgwire.BackendError (0A000 ...)."""

def date_in(text: str) -> str:
    """PostgreSQL's date input and output: any date PostgreSQL reads ('infinity', BC, years past
    9999, ISO, month names) as its ISO text; raises iris_pgwire.BackendError (22007, 22008)."""

def serve_worker(backend: Any) -> None:
    """A job worker's loop: serve the gateway on fd 3 with one connection of `backend`
    until the gateway closes the socket (python -m iris_pgwire.worker)."""

def scram_verifier(password: str, salt: bytes | None = None, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier (SASLprep, then PBKDF2), as pg_authid stores it:
    ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``; a random 16-byte salt by default."""
