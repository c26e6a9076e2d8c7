"""A job worker: ``python -m iris_pgwire.worker``, started by the gateway (``--iris-jobs``).

The gateway starts each worker with its own interpreter and environment and one end of a
socket pair as fd 3. The worker builds the configured backend in this process (for
embedded: this process is one IRIS job, with its own transaction), opens one connection,
and serves the gateway's requests with the Rust loop in ``_core.serve_worker`` until the
gateway closes the socket. It is never started by hand.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys

from iris_pgwire.config import Config
from iris_pgwire.errors import ConfigError

CONFIG_ENV = "IRIS_PGWIRE_WORKER_CONFIG"


def main() -> int:
    raw = os.environ.get(CONFIG_ENV)
    if raw is None:
        print("iris_pgwire.worker is started by the gateway (--iris-jobs), not by hand", file=sys.stderr)
        return 2
    cfg = Config(**json.loads(raw))
    logging.basicConfig(
        level=getattr(logging, cfg.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s [job worker %(process)d]: %(message)s",
    )
    logging.getLogger("sqlparser").setLevel(logging.WARNING)
    from iris_pgwire import _core

    _core.set_log_level(logging.getLogger().level)
    # Ctrl-C reaches the whole process group: the gateway decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from iris_pgwire.server import create_backend

    # The gateway built the same backend against the same instance and logged what it
    # found at start-up (select mode, its warning); N workers would repeat it N times.
    startup = logging.getLogger("iris_pgwire.backends")
    level = startup.level
    startup.setLevel(logging.ERROR)
    try:
        backend = create_backend(cfg)
    except ConfigError as e:
        print(f"iris-pgwire job worker: {e}", file=sys.stderr)
        return 2
    finally:
        startup.setLevel(level)
    from iris_pgwire._core import serve_worker

    try:
        serve_worker(backend)
    finally:
        close = getattr(backend, "close", None)
        if callable(close):
            close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
