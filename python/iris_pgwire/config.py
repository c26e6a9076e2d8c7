"""Configuration: command-line flags, each also settable as IRIS_PGWIRE_<NAME>.

Precedence: flag > environment variable > default.
"""

from __future__ import annotations

import argparse
import configparser
import os
from dataclasses import dataclass, field, fields
from typing import Any, Optional

from iris_pgwire.errors import ConfigError

ENV_PREFIX = "IRIS_PGWIRE_"


@dataclass
class Config:
    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=5432, metadata={"help": "TCP port to listen on (0: any free port)"})
    backend: str = field(
        default="auto",
        metadata={"help": "sqlite, embedded, dbapi, auto (embedded inside IRIS, else sqlite), "
                         "or package.module:Class (any backend class, see backends/base.py)"},
    )
    sqlite_path: str = field(
        default="iris_pgwire.sqlite",
        metadata={"help": "database file of the sqlite backend (':memory:' for a shared in-memory db)"},
    )
    log_level: str = field(default="info", metadata={"help": "debug (also every protocol message), info, warning or error"})
    max_connections: int = field(default=1000, metadata={"help": "client sessions accepted at once"})
    pool_size: int = field(
        default=50, metadata={"help": "backend connections (IRIS jobs) shared by all sessions"}
    )
    pool_timeout: int = field(
        default=30, metadata={"help": "seconds a session waits for a backend connection (then 55P03)"}
    )
    max_message_size: int = field(
        default=64 * 1024 * 1024, metadata={"help": "largest client message in bytes"}
    )
    fetch_batch_rows: int = field(
        default=1000, metadata={"help": "rows fetched from the backend per call"}
    )
    copy_batch_rows: int = field(
        default=5000, metadata={"help": "rows of a COPY FROM handed to the backend per executemany call"}
    )
    worker_threads: int = field(default=2, metadata={"help": "network threads of the Rust core"})
    catalog_refresh: int = field(
        default=60,
        metadata={"help": "seconds between catalog snapshots of the backend schema (0: only after DDL through the gateway)"},
    )
    iris_version: str = field(
        default="2025.1", metadata={"help": "IRIS version the SQL translation targets"}
    )
    iris_unenforced_checks: bool = field(
        default=False,
        metadata={"help": "IRIS has no CHECK constraints: create tables without them (with a NOTICE) "
                          "instead of refusing the DDL (Django, SQLAlchemy and migration tools emit them)"},
    )
    pidfile: Optional[str] = field(default=None, metadata={"help": "write the process id here"})
    hba_file: Optional[str] = field(
        default=None,
        metadata={"help": "access rules in pg_hba.conf format (default: trust from loopback only, refuse others)"},
    )
    users_file: Optional[str] = field(
        default=None,
        metadata={"help": "name:SCRAM-SHA-256$... verifiers for scram-sha-256/password (python -m iris_pgwire.users)"},
    )
    tls_cert: Optional[str] = field(default=None, metadata={"help": "PEM certificate chain: enables TLS"})
    tls_key: Optional[str] = field(default=None, metadata={"help": "PEM private key of --tls-cert"})
    tls_client_ca: Optional[str] = field(
        default=None, metadata={"help": "PEM CA whose client certificates the cert method accepts"}
    )
    allow_password_without_tls: bool = field(
        default=False, metadata={"help": "let the password method take clear-text passwords without TLS"}
    )
    max_startup_packet_bytes: int = field(
        default=10000,
        metadata={"help": "largest startup packet, without its length word (PostgreSQL's limit); larger: closed"},
    )
    startup_timeout: int = field(default=10, metadata={"help": "seconds a client has to send its startup packet"})
    auth_timeout: int = field(default=60, metadata={"help": "seconds a client has to authenticate (then 57014)"})
    max_connections_per_user: int = field(
        default=0, metadata={"help": "sessions one user may have at once (0: no limit; then 53300)"}
    )
    auth_failure_limit: int = field(
        default=10, metadata={"help": "failed logins from one address within --auth-failure-window before it is refused (0: off)"}
    )
    auth_failure_window: int = field(default=60, metadata={"help": "seconds failed logins are remembered"})
    statement_timeout: str = field(
        default="0", metadata={"help": "default statement_timeout of every session (ms, or with a unit: 30s, 5min; 0: none)"}
    )
    lock_timeout: str = field(
        default="0", metadata={"help": "default lock_timeout of every session (0: the backend's own wait)"}
    )
    role_settings: Optional[str] = field(
        default=None,
        metadata={"help": "per-user session defaults (ALTER ROLE .. SET): an INI file, [user] then name = value lines"},
    )
    shutdown_timeout: int = field(
        default=5, metadata={"help": "seconds running statements may finish after SIGTERM/SIGINT before they are cancelled"}
    )
    idle_in_transaction_session_timeout: str = field(
        default="0",
        metadata={"help": "default of the setting: close sessions idle inside a transaction this long "
                          "(PostgreSQL's spelling: 30s, 5min, bare number = ms; 0: off)"},
    )
    iris_notify_interval: float = field(
        default=0.25,
        metadata={"help": "IRIS backends: seconds between takes of the notifications IRIS code queued "
                          "(iris_pgwire.notify / IrisPGWire.Notify.Send; 0: off)"},
    )
    iris_host: str = field(default="localhost", metadata={"help": "dbapi backend: IRIS host"})
    iris_port: int = field(default=1972, metadata={"help": "dbapi backend: IRIS superserver port"})
    iris_namespace: str = field(default="USER", metadata={"help": "IRIS namespace"})
    iris_user: str = field(default="_SYSTEM", metadata={"help": "dbapi backend: IRIS user"})
    iris_password: str = field(
        default="SYS", metadata={"help": "dbapi backend: IRIS password (prefer the env var)"}
    )
    iris_sslconfig: Optional[str] = field(
        default=None, metadata={"help": "dbapi backend: IRIS SSL/TLS configuration name"}
    )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def core_options(self, dialect: str) -> dict[str, Any]:
        """The settings the Rust core reads (see src/python/mod.rs)."""
        return {
            "host": self.host,
            "port": self.port,
            "max_connections": self.max_connections,
            "pool_size": self.pool_size,
            "pool_timeout_secs": float(self.pool_timeout),
            "max_message_size": self.max_message_size,
            "fetch_batch_rows": self.fetch_batch_rows,
            "copy_batch_rows": self.copy_batch_rows,
            "worker_threads": self.worker_threads,
            "catalog_refresh_secs": float(self.catalog_refresh),
            "iris_notify_interval_secs": float(self.iris_notify_interval),
            "dialect": dialect,
            "iris_version": self.iris_version,
            "iris_unenforced_checks": self.iris_unenforced_checks,
            "hba_file": self.hba_file,
            "users_file": self.users_file,
            "tls_cert": self.tls_cert,
            "tls_key": self.tls_key,
            "tls_client_ca": self.tls_client_ca,
            "allow_password_without_tls": self.allow_password_without_tls,
            "max_startup_packet_bytes": self.max_startup_packet_bytes,
            "startup_timeout_secs": float(self.startup_timeout),
            "auth_timeout_secs": float(self.auth_timeout),
            "max_connections_per_user": self.max_connections_per_user,
            "auth_failure_limit": self.auth_failure_limit,
            "auth_failure_window_secs": float(self.auth_failure_window),
            "shutdown_timeout_secs": float(self.shutdown_timeout),
            "session_defaults": [("statement_timeout", self.statement_timeout), ("lock_timeout", self.lock_timeout)],
            "role_settings": read_role_settings(self.role_settings) if self.role_settings else {},
            "idle_in_transaction_session_timeout": self.idle_in_transaction_session_timeout,
        }


def read_role_settings(path: str) -> dict[str, list[tuple[str, str]]]:
    """``--role-settings``: one section per user, a setting per line, e.g.
    ``[alice]`` / ``statement_timeout = 5s``. Values are checked when the server starts."""
    parser = configparser.ConfigParser(interpolation=None, default_section="\0none")
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names as written
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, configparser.Error) as e:
        raise ConfigError(f"--role-settings {path}: {e}") from None
    return {user: [(k, v.strip().strip("'")) for k, v in parser.items(user)] for user in parser.sections()}


def _env_default(name: str, default: Any, kind: type) -> Any:
    raw = os.environ.get(ENV_PREFIX + name.upper())
    if raw is None:
        return default
    if kind is int:
        return int(raw)
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m iris_pgwire.server",
        description="PostgreSQL wire-protocol gateway for InterSystems IRIS.",
        epilog=f"Every flag can also be set with an environment variable {ENV_PREFIX}<FLAG>, "
        f"e.g. {ENV_PREFIX}PORT=5433.",
    )
    for f in fields(Config):
        if f.type in ("bool", bool):
            p.add_argument(
                "--" + f.name.replace("_", "-"),
                dest=f.name,
                action="store_true",
                default=_env_default(f.name, f.default, bool),
                help=f.metadata.get("help", ""),
            )
            continue
        kind = int if f.type in ("int", int) else str
        p.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            type=kind,
            default=_env_default(f.name, f.default, kind),
            help=f"{f.metadata.get('help', '')} (default: %(default)s)",
        )
    p.add_argument(
        "--check",
        action="store_true",
        help="health check: connect to --host/--port, run SELECT 1, exit 0 if it works",
    )
    return p


def from_args(argv: Optional[list[str]] = None) -> tuple[Config, argparse.Namespace]:
    ns = parser().parse_args(argv)
    cfg = Config(**{f.name: getattr(ns, f.name) for f in fields(Config)})
    return cfg, ns
