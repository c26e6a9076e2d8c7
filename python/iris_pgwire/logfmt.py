"""Log output: PostgreSQL-like text lines, or ``--log-format json`` (one JSON object per
line). Records from a session's task carry ``session_id``, ``user``, ``application``
and ``client`` (added by the Rust core, python/logging.rs); JSON lines include them."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

# Fields a session's records carry (src/python/logging.rs).
SESSION_FIELDS = ("session_id", "user", "application", "client")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in SESSION_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = int(value) if name == "session_id" and str(value).isdigit() else value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with ``[session N]`` before the message of a session's records."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        session = getattr(record, "session_id", None)
        if session is None:
            return text
        prefix = f"{record.name}: "
        return text.replace(prefix, f"{prefix}[session {session}] ", 1)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    try:
        from iris_pgwire._core import set_log_level
    except ImportError:  # the extension is not built (config-only use)
        pass
    else:
        # The Rust core drops records below it before they reach pyo3-log (a per-record cost).
        set_log_level(root.level)
    # sqlparser logs every token at debug level: keep it out of the server's log.
    logging.getLogger("sqlparser").setLevel(logging.WARNING)
