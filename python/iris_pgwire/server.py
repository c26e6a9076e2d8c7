"""Command-line entry point: ``python -m iris_pgwire.server``.

The Rust core serves on its own threads; this main thread only waits for
SIGINT/SIGTERM and then stops the core, so Python signal handlers always run.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import socket
import struct
import sys
import threading
from typing import Any, Optional

from iris_pgwire import __version__, otel
from iris_pgwire.config import Config, config_docs, default_config_toml, from_args
from iris_pgwire.logfmt import configure_logging
from iris_pgwire.errors import ConfigError

log = logging.getLogger("iris_pgwire")


def _embedded_available() -> bool:
    try:
        import iris  # noqa: F401

        return hasattr(iris, "sql")
    except ImportError:
        return False


def create_backend(cfg: Config) -> Any:
    """Instantiate the configured backend; `auto` picks embedded inside IRIS, else sqlite.

    `package.module:Class` loads any class implementing the backend protocol
    (backends/base.py), constructed with the configuration as a dict."""
    name = cfg.backend
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            backend_class = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f"cannot load backend {name!r}: {e}") from None
        return backend_class(cfg.as_dict())
    if name == "auto":
        name = "embedded" if _embedded_available() else "sqlite"
    if name == "sqlite":
        from iris_pgwire.backends import sqlite as module
    elif name == "embedded":
        from iris_pgwire.backends import embedded as module  # type: ignore[no-redef]
    elif name == "dbapi":
        from iris_pgwire.backends import dbapi as module  # type: ignore[no-redef]
    else:
        raise ConfigError(
            f"unknown backend {name!r}: expected sqlite, embedded, dbapi, auto or package.module:Class"
        )
    return module.create(cfg.as_dict())


def _describe(backend: Any) -> str:
    describe = getattr(backend, "describe_target", None)
    return describe() if callable(describe) else backend.name


def job_count(cfg: Config, backend: Any) -> int:
    """Job workers for this backend: --iris-jobs, else the backend's own default
    (embedded: DEFAULT_JOBS; 0 runs connections in this process)."""
    if cfg.iris_jobs < 0:
        raise ConfigError("--iris-jobs must be 0 or more")
    jobs = cfg.iris_jobs or getattr(backend, "default_jobs", 0)
    if jobs and getattr(backend, "logs_in_users", False):
        raise ConfigError(f"the {backend.name} backend logs users in: it cannot run on job workers (--iris-jobs)")
    return jobs


def worker_command(cfg: Config) -> tuple[str, list[str], list[tuple[str, str]]]:
    """How the core starts a job worker: this interpreter, this environment (inherited),
    and the configuration."""
    from iris_pgwire.worker import CONFIG_ENV

    return sys.executable, ["-m", "iris_pgwire.worker"], [(CONFIG_ENV, json.dumps(cfg.as_dict()))]


class JobStatus:
    """The job workers as JSON in --status-file (the ObjectScript Service class's
    Status reads it): the gateway's pid and, per job, its pid and busy/idle."""

    def __init__(self, path: str, server: Any) -> None:
        self.path, self.server, self.last = path, server, None

    def write(self) -> None:
        jobs = [{"pid": pid, "state": "busy" if busy else "idle"} for pid, busy, _age in self.server.jobs()]
        text = json.dumps({"pid": os.getpid(), "jobs": jobs})
        if text == self.last:
            return
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(text + "\n")
            os.replace(tmp, self.path)
            self.last = text
        except OSError as e:
            log.warning("cannot write --status-file %s: %s", self.path, e)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass


def health_check(host: str, port: int, timeout: float = 5.0) -> bool:
    """Connect, run SELECT 1 over the simple query protocol, and expect its row. When the
    access rules ask the health user for a password or refuse it, the server answered: ok."""
    def msg(tag: bytes, body: bytes) -> bytes:
        return tag + struct.pack("!i", len(body) + 4) + body

    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            params = b"user\0health\0database\0health\0\0"
            s.sendall(struct.pack("!ii", len(params) + 8, 3 << 16) + params)
            s.sendall(msg(b"Q", b"SELECT 1\0"))
            data = b""
            completed, ready = False, 0
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return False
                data += chunk
                # Walk whole messages: tag byte, then a length that counts itself.
                while len(data) >= 5:
                    tag, length = data[:1], struct.unpack("!i", data[1:5])[0]
                    if len(data) < 1 + length:
                        break
                    body, data = data[5 : 1 + length], data[1 + length :]
                    if tag == b"R" and body[:4] != b"\0\0\0\0":
                        # The access rules ask for a password: the server is up and answering.
                        return True
                    if tag == b"E":
                        # Refused by the access rules (SQLSTATE class 28): answering too.
                        return b"\0C28" in b"\0" + body
                    if tag == b"C" and body.startswith(b"SELECT 1"):
                        completed = True
                    if tag == b"Z":
                        ready += 1  # the first follows authentication, the second the query
                        if ready == 2:
                            s.sendall(msg(b"X", b""))
                            return completed
    except OSError:
        return False


def raise_open_file_limit(wanted: int) -> int:
    """Raise the soft open-file limit towards the hard one (each session is a socket);
    warn when it stays below what the configured connections need. Returns the limit."""
    try:
        import resource
    except ImportError:  # not on this platform
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as e:
            log.debug("cannot raise the open-file limit: %s", e)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning(
            "open-file limit is %d, below the %d that --max-connections needs; "
            "raise it (ulimit -n, or LimitNOFILE in a systemd unit)", soft, wanted,
        )
    return soft


def _log_security(cfg: Config) -> None:
    """Say who is let in and whether connections can be encrypted."""
    if cfg.hba_file:
        log.info("access rules from %s", cfg.hba_file)
    else:
        log.warning(
            "no --hba-file: every user is trusted without a password from loopback addresses, "
            "all other addresses are refused; configure access rules before exposing the gateway"
        )
    if cfg.tls_cert:
        log.info("TLS enabled (certificate %s)%s", cfg.tls_cert,
                 f", client certificates from {cfg.tls_client_ca}" if cfg.tls_client_ca else "")
    else:
        log.info("TLS disabled: SSLRequest is answered 'N' (set --tls-cert and --tls-key)")


def main(argv: Optional[list[str]] = None) -> int:
    try:
        cfg, ns = from_args(argv)
        if ns.print_default_config:
            print(default_config_toml(), end="")
            return 0
        if ns.print_config_docs:
            print(config_docs(), end="")
            return 0
        cfg.check()
    except ConfigError as e:
        print(f"iris-pgwire: {e}", file=sys.stderr)
        return 2
    if ns.check_config:
        print("configuration ok" + (f" ({ns.config})" if ns.config else ""))
        return 0
    configure_logging(cfg.log_level, cfg.log_format)
    if ns.check:
        host = "127.0.0.1" if cfg.host in ("0.0.0.0", "::", "") else cfg.host
        ok = health_check(host, cfg.port)
        print(f"iris-pgwire at {host}:{cfg.port}: {'ok' if ok else 'not answering'}")
        return 0 if ok else 1

    try:
        backend = create_backend(cfg)
    except ConfigError as e:
        print(f"iris-pgwire: {e}", file=sys.stderr)
        return 2
    log.info("iris-pgwire %s starting on the %s backend: %s", __version__, backend.name, _describe(backend))

    from iris_pgwire._core import Server

    try:
        options = cfg.core_options(backend.dialect)
        jobs = job_count(cfg, backend)
        options["otel_endpoint"] = otel.resolve(cfg)
    except ConfigError as e:
        print(f"iris-pgwire: {e}", file=sys.stderr)
        return 2
    if jobs:
        # One backend connection per job worker: the pool hands out the workers.
        options["pool_size"] = jobs
        options["workers"] = worker_command(cfg)
        options["warm_pool"] = True
        log.info("SQL runs on up to %d job worker processes (--iris-jobs)", jobs)
    # A socket per session, the pool's connections, and some for files and the listener.
    raise_open_file_limit(cfg.max_connections + cfg.pool_size + 64)
    server = Server(backend, options)
    try:
        host, port = server.start()
    except (OSError, ValueError) as e:
        print(f"iris-pgwire: {e}", file=sys.stderr)
        return 2
    _log_security(cfg)
    log.info("iris-pgwire listening on %s:%d (backend %s)", host, port, backend.name)
    if server.metrics_address:
        m_host, m_port = server.metrics_address
        log.info("metrics at http://%s:%d/metrics, health check at /healthz", m_host, m_port)
    exporter = None
    if options["otel_endpoint"]:
        exporter = otel.StatementExporter(server.span_queue(), options["otel_endpoint"], __version__)
        log.info("statement spans exported to %s (OTLP/HTTP)", options["otel_endpoint"])
    if cfg.pidfile:
        with open(cfg.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    def on_hangup(_signum: int, _frame: Any) -> None:
        # Handlers run on this main thread; the reload itself is quick file reading.
        try:
            if server.reload_tls():
                log.info("SIGHUP: TLS certificate and key reloaded (live sessions keep theirs)")
        except ValueError as e:
            log.error("SIGHUP: TLS files not reloaded, the old ones stay in use: %s", e)
        if cfg.hba_file:
            try:
                log.info("SIGHUP: access rules reloaded from %s (%d rules; live sessions stay)",
                         cfg.hba_file, server.reload_hba())
            except ValueError as e:
                log.error("SIGHUP: access rules not reloaded, the old rules stay: %s", e)
        if cfg.users_file:
            try:
                log.info("SIGHUP: users file reloaded (%d users)", server.reload_users())
            except ValueError as e:
                log.error("SIGHUP: users file not reloaded, the old users stay: %s", e)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_hangup)
    status = JobStatus(cfg.status_file, server) if cfg.status_file else None
    while not stop.wait(0.5):
        if status:
            status.write()
    server.stop()
    if exporter:
        exporter.close()
    server.stop_jobs()
    if status:
        status.remove()
    backend.close()
    if cfg.pidfile:
        try:
            os.unlink(cfg.pidfile)
        except OSError:
            pass
    log.info("iris-pgwire stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
