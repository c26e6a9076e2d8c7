"""Configuration: command-line flags, each also settable as IRIS_PGWIRE_<NAME> and as
a key of the TOML file given with ``--config``.

Precedence: flag > environment variable > config file > default. The `Config`
dataclass is the one definition: the parser, the file's keys, ``--print-default-config``
and docs/configuration.md (``--print-config-docs``) are all generated from it.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, Optional


def _toml() -> Any:
    """tomllib (Python 3.11+), else the tomli backport if installed (IRIS ships 3.9/3.10
    on some versions; the gateway itself needs no TOML unless --config is used)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli

        return tomli
    except ImportError:
        raise ConfigError("--config needs Python 3.11+ or the tomli package (pip install tomli)") from None

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
    log_format: str = field(
        default="text",
        metadata={"help": "text, or json: one object per line, with session_id, user, application and "
                          "client on every line of a session"},
    )
    log_min_duration_statement: int = field(
        default=-1,
        metadata={"help": "log statements that ran at least this many ms, with their duration (0: all; -1: off)"},
    )
    log_parameters: bool = field(
        default=False, metadata={"help": "slow-statement lines also show the parameter values"}
    )
    metrics_port: Optional[int] = field(
        default=None, metadata={"help": "serve Prometheus /metrics and /healthz over HTTP on this port (0: any free port)"}
    )
    metrics_host: str = field(default="127.0.0.1", metadata={"help": "address of the --metrics-port listener"})
    admin_users: str = field(
        default="",
        metadata={"help": "comma-separated users who may open the admin console (database iris_pgwire) "
                          "and cancel or terminate any session"},
    )
    otel_endpoint: Optional[str] = field(
        default=None,
        metadata={"help": "export an OpenTelemetry span per statement over OTLP/HTTP to this base URL "
                          "(e.g. http://127.0.0.1:4318; /v1/traces is appended); needs the otel extra "
                          "(pip install 'iris-pgwire[otel]'); unset: OTEL_EXPORTER_OTLP_ENDPOINT if set, else off"},
    )
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
    iris_jobs: int = field(
        default=0,
        metadata={"help": "worker processes (IRIS jobs) the backend's SQL runs on, one per backend connection "
                          "(0: the backend's default: 4 for embedded; sqlite and dbapi run in this process)"},
    )
    status_file: Optional[str] = field(
        default=None, metadata={"help": "write the job workers' status here (JSON, rewritten as it changes)"}
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
            "metrics_port": self.metrics_port,
            "metrics_host": self.metrics_host,
            "admin_users": self.admin_user_list(),
            "log_min_duration_ms": self.log_min_duration_statement,
            "log_parameters": self.log_parameters,
        }

    def admin_user_list(self) -> list[str]:
        return [u.strip() for u in self.admin_users.split(",") if u.strip()]

    def check(self) -> None:
        """Values the parser cannot check by type alone (``--check-config``, startup)."""
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"--log-format {self.log_format!r}: expected text or json")
        if self.log_level.lower() not in ("debug", "info", "warning", "error"):
            raise ConfigError(f"--log-level {self.log_level!r}: expected debug, info, warning or error")
        for name in ("port", "metrics_port", "iris_port"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 65535:
                raise ConfigError(f"--{name.replace('_', '-')} {v}: not a TCP port")
        if self.role_settings:
            read_role_settings(self.role_settings)


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


def _kind(f: Field) -> type:
    """bool, int or str: the type a flag's value is read as."""
    t = str(f.type)
    if t in ("bool", str(bool)):
        return bool
    if t in ("int", str(int), "Optional[int]"):
        return int
    if t in ("float", str(float)):
        return float
    return str


def _default(f: Field) -> Any:
    return None if f.default is MISSING else f.default


def _parse_bool(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _from_env(f: Field) -> Any:
    """The flag's environment variable, or MISSING."""
    raw = os.environ.get(ENV_PREFIX + f.name.upper())
    if raw is None:
        return MISSING
    kind = _kind(f)
    try:
        return _parse_bool(raw) if kind is bool else kind(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: expected {kind.__name__}") from None


def read_config_file(path: str) -> dict[str, Any]:
    """``--config``: a TOML file of flag names (``pool_size = 20`` or ``pool-size = 20``)."""
    toml = _toml()
    try:
        with open(path, "rb") as fh:
            data = toml.load(fh)
    except OSError as e:
        raise ConfigError(f"--config {path}: {e.strerror or e}") from None
    except toml.TOMLDecodeError as e:
        raise ConfigError(f"--config {path}: {e}") from None
    by_name = {f.name: f for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        f = by_name.get(name)
        if f is None:
            raise ConfigError(f"--config {path}: unknown setting {key!r} (see --print-default-config)")
        kind = _kind(f)
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # statement_timeout = 5000 means "5000"
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise ConfigError(f"--config {path}: {key} = {value!r}: expected {kind.__name__}")
        values[name] = value
    return values


def _pre_parse_config(argv: Optional[list[str]]) -> Optional[str]:
    """The --config path (flag, else environment), read before the other flags' defaults."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    return known.config or os.environ.get(ENV_PREFIX + "CONFIG")


def parser(file_values: Optional[dict[str, Any]] = None, strict_env: bool = True) -> argparse.ArgumentParser:
    """The CLI parser; each flag's default is its environment variable, else the config
    file's value, else the dataclass default (flag > environment > file > default)."""
    file_values = file_values or {}
    p = argparse.ArgumentParser(
        prog="python -m iris_pgwire.server",
        description="PostgreSQL wire-protocol gateway for InterSystems IRIS.",
        epilog=f"Every flag can also be set with an environment variable {ENV_PREFIX}<FLAG>, "
        f"e.g. {ENV_PREFIX}PORT=5433, or in the --config file. See docs/configuration.md.",
    )
    for f in fields(Config):
        env = _from_env(f) if strict_env else MISSING
        default = env if env is not MISSING else file_values.get(f.name, _default(f))
        flag = "--" + f.name.replace("_", "-")
        if _kind(f) is bool:
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                           help=f.metadata.get("help", ""))
            continue
        p.add_argument(flag, dest=f.name, type=_kind(f), default=default,
                       help=f"{f.metadata.get('help', '')} (default: %(default)s)")
    p.add_argument("--config", metavar="PATH", help=f"TOML file of settings (env {ENV_PREFIX}CONFIG)")
    p.add_argument("--print-default-config", action="store_true",
                   help="print a config file of every setting at its default, and exit")
    p.add_argument("--check-config", action="store_true",
                   help="read the flags, environment and --config file, report errors, and exit (0: valid)")
    p.add_argument("--print-config-docs", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--check",
        action="store_true",
        help="health check: connect to --host/--port, run SELECT 1, exit 0 if it works",
    )
    return p


def from_args(argv: Optional[list[str]] = None) -> tuple[Config, argparse.Namespace]:
    path = _pre_parse_config(argv)
    file_values = read_config_file(path) if path else {}
    ns = parser(file_values).parse_args(argv)
    cfg = Config(**{f.name: getattr(ns, f.name) for f in fields(Config)})
    return cfg, ns


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_config_toml() -> str:
    """``--print-default-config``: every setting at its default, with its help; settings
    with no default are commented out."""
    lines = ["# iris-pgwire configuration (python -m iris_pgwire.server --config FILE).",
             "# Precedence: command-line flag > IRIS_PGWIRE_<NAME> environment variable > this file > default.", ""]
    for f in fields(Config):
        lines.append(f"# {f.metadata.get('help', '')}")
        d = _default(f)
        if d is None:
            example = 0 if _kind(f) is int else ""
            lines.append(f"# {f.name} = {_toml_value(example)}")
        else:
            lines.append(f"{f.name} = {_toml_value(d)}")
        lines.append("")
    return "\n".join(lines)


def config_docs() -> str:
    """docs/configuration.md, generated from the flag definitions (``--print-config-docs``;
    tests/test_config_file.py fails when the committed file differs)."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated by `python -m iris_pgwire.server --print-config-docs`; do not edit by hand. -->",
        "",
        "Every setting is a command-line flag, an environment variable and a key of the TOML file",
        "given with `--config PATH` (or `IRIS_PGWIRE_CONFIG`). When a setting is given in several",
        "places, the **flag** wins over the **environment variable**, which wins over the **config file**,",
        "which wins over the **default**.",
        "",
        "- `--print-default-config` prints a config file with every setting at its default.",
        "- `--check-config` reads flags, environment and file, reports what is wrong (exit status 2) or",
        "  `configuration ok` (exit status 0), and starts nothing.",
        "- Booleans: `--flag` / `--no-flag`, `true` / `false` in the file, `1/true/yes/on` in the environment.",
        "- The file's keys are the flag names with `_` (or `-`); an unknown key or a value of the wrong",
        "  type is an error.",
        "",
        "| Flag | Environment | Type | Default | Description |",
        "|---|---|---|---|---|",
    ]
    for f in fields(Config):
        d = _default(f)
        shown = "(none)" if d is None or d == "" else f"`{d}`"
        desc = f.metadata.get("help", "").replace("|", "\\|")
        out.append(f"| `--{f.name.replace('_', '-')}` | `{ENV_PREFIX}{f.name.upper()}` | {_kind(f).__name__} "
                   f"| {shown} | {desc} |")
    return "\n".join(out) + "\n"
