"""OpenTelemetry statement spans (issue 23; the otel extra): psycopg passes a W3C trace
context in each documented way, and a real OTLP/HTTP receiver (an HTTP server decoding
ExportTraceServiceRequest with opentelemetry-proto) gets the gateway's spans: the client's
trace id and parent span id, the statement text without parameter values, rows, and an
error's SQLSTATE. On sqlite and on the IRIS doubles (embedded, dbapi)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

# Export at once instead of every 5 s (the SDK's batch processor reads it).
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "50"}


class Receiver:
    """An OTLP/HTTP traces endpoint: each POST /v1/traces is decoded and its spans kept."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                receiver.add(self.path, self.headers.get("Content-Type"), request)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def add(self, path: str, content_type: str, request: ExportTraceServiceRequest) -> None:
        assert content_type == "application/x-protobuf"
        with self.lock:
            self.paths.append(path)
            for rs in request.resource_spans:
                resource = {a.key: a.value.string_value for a in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        self.spans.append(decode(s, resource))

    def wait_for(self, statement_part: str, timeout: float = 20) -> dict:
        """The first span whose db.statement contains `statement_part`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [s for s in self.spans if statement_part in s["attributes"].get("db.statement", "")]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no span for {statement_part!r}; got {[s['name'] for s in self.spans]}")

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def decode(span: Span, resource: dict) -> dict:
    attributes = {}
    for a in span.attributes:
        v = a.value
        attributes[a.key] = v.int_value if v.WhichOneof("value") == "int_value" else v.string_value
    return {
        "name": span.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "kind": span.kind,
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano,
        "status": span.status.code,
        "message": span.status.message,
        "attributes": attributes,
        "resource": resource,
    }


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def ids() -> tuple[str, str, str]:
    """A fresh trace id and parent span id, and their traceparent (sampled)."""
    trace_id, parent = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    return trace_id, parent, f"00-{trace_id}-{parent}-01"


@pytest.fixture(params=["sqlite", "embedded", "dbapi"])
def traced(request, receiver, gateway_factory, tmp_path):
    """(connect, db.system) of a gateway exporting to `receiver`, on each backend."""
    args = ("--otel-endpoint", receiver.url)
    if request.param == "sqlite":
        gw = gateway_factory(*args, env=FAST_EXPORT)
        yield (lambda **kw: psycopg.connect(host=gw.host, port=gw.port, user="postgres", dbname="postgres", **kw)), \
            "sqlite"
        return
    from test_iris_e2e import Server

    server = Server(request.param, tmp_path, *args, env=FAST_EXPORT)
    try:
        yield server.connect, "intersystems_iris"
    finally:
        server.stop()


def test_spans_carry_the_clients_trace_context(traced, receiver):
    connect, db_system = traced
    table = f"t_{uuid.uuid4().hex[:10]}"
    with connect(autocommit=True) as c:
        pid = c.info.backend_pid
        user = c.info.user
        c.execute(f"create table {table} (id int primary key, name varchar(20))")
        # SET iris_pgwire.traceparent: the statements after it are children of that span.
        trace_id, parent, tp = ids()
        c.execute(f"set iris_pgwire.traceparent = '{tp}'")
        c.execute(f"insert into {table} values (%s, %s), (%s, %s)", (1, "secret-one", 2, "secret-two"))
        rows = c.execute(f"select name from {table} where id >= %s", (1,)).fetchall()
        assert len(rows) == 2
        # A failed statement: its span carries the SQLSTATE, as ERROR.
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute("select * from no_such_table_otel")
        # A sqlcommenter comment in the statement wins over the session's setting.
        trace2, parent2, tp2 = ids()
        c.execute(f"select count(*) from {table} /*traceparent='{tp2}'*/")
        # '' clears it: a statement without context is a root span of its own trace.
        c.execute("set iris_pgwire.traceparent = ''")
        c.execute(f"select id from {table} where id = 1 and 'untraced' = 'untraced'")
        # A malformed traceparent is refused, as PostgreSQL refuses a bad setting value.
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("set iris_pgwire.traceparent = '00-nothex-01'")

    insert = receiver.wait_for(f"insert into {table}")
    assert (insert["trace_id"], insert["parent_span_id"]) == (trace_id, parent)
    assert insert["name"] == "INSERT"
    assert insert["kind"] == Span.SPAN_KIND_SERVER
    a = insert["attributes"]
    assert a["db.statement"] == f"insert into {table} values ($1, $2), ($3, $4)"
    assert a["db.response.returned_rows"] == 2
    assert a["db.system"] == db_system
    assert a["db.user"] == user
    assert a["iris_pgwire.session_id"] == pid
    assert a["network.protocol.name"] == "postgresql"
    assert "error.type" not in a and insert["status"] != Status.STATUS_CODE_ERROR
    # Parameter values appear nowhere in any span.
    assert not [s for s in receiver.spans if "secret" in repr(s)]
    assert insert["resource"]["service.name"] == "iris-pgwire"
    assert 0 < insert["start"] <= insert["end"]
    assert abs(insert["end"] / 1e9 - time.time()) < 120

    select = receiver.wait_for(f"select name from {table}")
    assert (select["trace_id"], select["parent_span_id"]) == (trace_id, parent)
    assert (select["name"], select["attributes"]["db.response.returned_rows"]) == ("SELECT", 2)

    failed = receiver.wait_for("no_such_table_otel")
    assert (failed["trace_id"], failed["parent_span_id"]) == (trace_id, parent)
    assert failed["name"] == "SELECT"
    assert failed["status"] == Status.STATUS_CODE_ERROR
    assert failed["attributes"]["db.response.status_code"] == "42P01"
    assert failed["attributes"]["error.type"] == "42P01"
    assert failed["message"].startswith("42P01")

    commented = receiver.wait_for(f"select count(*) from {table}")
    assert (commented["trace_id"], commented["parent_span_id"]) == (trace2, parent2)

    root = receiver.wait_for("'untraced'")
    assert root["parent_span_id"] == "" and root["trace_id"] not in (trace_id, trace2)
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}


def test_application_name_carries_the_trace_context(traced, receiver):
    connect, _ = traced
    trace_id, parent, tp = ids()
    with connect(autocommit=True, application_name=f"billing traceparent={tp}") as c:
        c.execute("select 41 + 1 as traced_by_application_name").fetchone()
        # A simple-protocol syntax error (refused before any backend call) is a span too.
        with pytest.raises(psycopg.errors.SyntaxError):
            c.execute("selec 'traced syntax error'")
    span = receiver.wait_for("traced_by_application_name")
    assert (span["trace_id"], span["parent_span_id"]) == (trace_id, parent)
    bad = receiver.wait_for("traced syntax error")
    assert (bad["trace_id"], bad["attributes"]["db.response.status_code"]) == (trace_id, "42601")
    assert bad["name"] == "SELEC"


def test_otel_endpoint_without_the_extra_is_refused(tmp_path):
    """--otel-endpoint where the SDK cannot be imported: exit 2 with the extra's name."""
    blocker = tmp_path / "no_otel"
    (blocker / "opentelemetry").mkdir(parents=True)
    (blocker / "opentelemetry" / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    r = subprocess.run([sys.executable, "-m", "iris_pgwire.server", "--port", "0", "--backend", "sqlite",
                        "--sqlite-path", str(tmp_path / "db.sqlite"), "--otel-endpoint", "http://127.0.0.1:9"],
                       env={**os.environ, "PYTHONPATH": str(blocker)}, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "iris-pgwire[otel]" in r.stderr
