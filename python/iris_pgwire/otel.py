"""OpenTelemetry statement spans: the ``otel`` extra (``pip install 'iris-pgwire[otel]'``,
the OpenTelemetry SDK and its OTLP/HTTP exporter, Python 3.10+).

With ``--otel-endpoint URL`` (or ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` in the environment) the Rust core queues a record
per finished statement (src/otel.rs); a thread here takes them in batches, without
holding anything a session waits for, and hands them to the SDK, whose batch processor
exports them. Without an endpoint this module's SDK imports never run and the core
makes no spans. The SDK's own environment variables apply (OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional

from iris_pgwire.errors import ConfigError

log = logging.getLogger("iris_pgwire.otel")

TRACES_PATH = "/v1/traces"
EXTRA_HINT = "pip install 'iris-pgwire[otel]' (Python 3.10+)"


def traces_url(cfg: Any) -> Optional[str]:
    """The OTLP/HTTP traces URL spans go to, or None (tracing off). ``--otel-endpoint`` and
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` are base URLs (``/v1/traces`` is appended, as the SDK
    does); ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is used as it is."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    base = cfg.otel_endpoint
    if not base:
        traces = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
        if traces:
            return traces
        base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if not base:
        return None
    base = base.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def available() -> bool:
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(cfg: Any) -> Optional[str]:
    """The traces URL when spans are to be exported. ``--otel-endpoint`` without the extra
    is a configuration error; an OTEL_* variable without it (set for other programs,
    perhaps) is a warning, and no spans."""
    url = traces_url(cfg)
    if url is None or available():
        return url
    if cfg.otel_endpoint:
        raise ConfigError(f"--otel-endpoint needs the OpenTelemetry SDK: {EXTRA_HINT}")
    log.warning("OTEL_EXPORTER_OTLP_*ENDPOINT is set but the OpenTelemetry SDK is not installed "
                "(%s): no statement spans", EXTRA_HINT)
    return None


class StatementExporter:
    """Drains the core's span queue on a thread of its own into the SDK's batch
    processor, which exports over OTLP/HTTP (protobuf)."""

    BATCH = 512

    def __init__(self, queue: Any, url: str, version: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES override these (Resource.create).
        resource = Resource.create({"service.name": "iris-pgwire", "service.version": version})
        self._provider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
        self._tracer = self._provider.get_tracer("iris_pgwire", version)
        self._propagator = TraceContextTextMapPropagator()
        self._kind, self._status, self._error = SpanKind.SERVER, Status, StatusCode.ERROR
        self._queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iris-pgwire-otel", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            batch = self._queue.take(self.BATCH, 0.0 if stopping else 0.25)
            for record in batch:
                try:
                    self._span(record)
                except Exception:  # a bad record must not end the exporter
                    log.exception("statement span not exported")
            if stopping and not batch:
                return

    def _span(self, record: tuple) -> None:
        name, start_ns, end_ns, traceparent, sqlstate, message, attributes = record
        # The client's W3C context (already checked by the core) makes the span its child.
        parent = self._propagator.extract({"traceparent": traceparent}) if traceparent else None
        span = self._tracer.start_span(name, context=parent, kind=self._kind, attributes=attributes,
                                       start_time=start_ns)
        if sqlstate:
            span.set_status(self._status(self._error, f"{sqlstate}: {message}"))
        span.end(end_time=end_ns)

    def close(self) -> None:
        """After the server stopped: export what is queued, then flush the SDK."""
        self._stop.set()
        self._thread.join(10)
        self._provider.shutdown()
