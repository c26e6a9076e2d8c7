"""Malformed input and abrupt disconnects over raw sockets, against each target.

For every bad input the server must answer with an ErrorResponse (SQLSTATE 08P01 where
PostgreSQL uses it) or close that connection, never hang or crash; a normal connection
made afterwards must still work. The gateway here is its own process (not the session
one), so a crash shows up in this module only.
"""

from __future__ import annotations

import socket
import struct

import psycopg
import pytest

from helpers import wire
from helpers.gateway import GatewayProcess, stop_checked
from helpers.targets import Target, selected_targets


@pytest.fixture(scope="module")
def isolated_gateway():
    gw = GatewayProcess().start()
    yield gw
    stop_checked(gw)


@pytest.fixture(params=["pg15", "gateway"])
def server(request) -> Target:
    if request.param not in selected_targets(request.config):
        pytest.skip(f"{request.param} not in --targets")
    if request.param == "pg15":
        return request.getfixturevalue("pg15")
    gw = request.getfixturevalue("isolated_gateway")
    return Target("gateway", gw.host, gw.port, gw.dsn, process=gw)


def assert_still_serves(server: Target) -> None:
    """A normal client connects and runs a query after the bad one."""
    # A text literal, so this liveness check does not depend on result typing
    # (test_psycopg checks types).
    with psycopg.connect(server.dsn, autocommit=True, connect_timeout=5) as c:
        assert c.execute("select 'alive'").fetchone() == ("alive",)
    assert server.process is None or server.process.alive()


def expect_error_or_close(conn: wire.RawConn, sqlstates=("08P01",)) -> None:
    try:
        fields = wire.error_or_close(conn)
    except TimeoutError:
        pytest.fail("server neither answered with an error nor closed the connection")
    if fields is not None:
        assert fields.get("C") in sqlstates, fields
        assert fields.get("S") in ("ERROR", "FATAL"), fields


def started(server: Target) -> wire.RawConn:
    conn = wire.RawConn(server.host, server.port)
    msgs = conn.startup(user=server.user, database=server.dbname)
    assert msgs[0] == (b"R", struct.pack("!I", 0)), msgs[0]  # AuthenticationOk
    assert msgs[-1] == (b"Z", b"I")
    return conn


# --- well-formed negotiation, done by hand ---------------------------------------------


def test_startup_by_hand(server):
    conn = wire.RawConn(server.host, server.port)
    msgs = conn.startup(user=server.user, database=server.dbname, application_name="raw")
    tags = [t for t, _ in msgs]
    assert tags[0] == b"R" and tags[-1] == b"Z"
    assert b"K" in tags
    status = dict(body.rstrip(b"\0").split(b"\0", 1) for t, body in msgs if t == b"S")
    assert status[b"application_name"] == b"raw"
    assert status[b"server_encoding"] == b"UTF8"
    conn.send(wire.query("select 1"))
    reply = conn.read_until(b"Z")
    assert [t for t, _ in reply] == [b"T", b"D", b"C", b"Z"]
    assert reply[2][1] == b"SELECT 1\0"
    conn.send(wire.TERMINATE)
    with pytest.raises(wire.Closed):
        conn.read_message()


@pytest.mark.parametrize("request_code", [wire.SSL_REQUEST, wire.GSSENC_REQUEST], ids=["ssl", "gssenc"])
def test_ssl_and_gssenc_requests_refused_then_startup(server, request_code):
    if request_code == wire.GSSENC_REQUEST and server.name == "pg15":
        pytest.skip("Debian's PostgreSQL 15 is built with GSSAPI and accepts ('G')")
    conn = wire.RawConn(server.host, server.port)
    conn.send(struct.pack("!II", 8, request_code))
    assert conn.read_byte() == b"N"
    msgs = conn.startup(user=server.user, database=server.dbname)
    assert msgs[-1] == (b"Z", b"I")
    conn.close()


def test_cancel_request_with_unknown_key_is_closed(server):
    conn = wire.RawConn(server.host, server.port)
    conn.send(struct.pack("!IIII", 16, wire.CANCEL_REQUEST, 12345, 67890))
    with pytest.raises(wire.Closed):
        conn.read_message()
    assert_still_serves(server)


# --- malformed startup -------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 3, 7, 0x7FFFFFFF, 0xFFFFFFFF])
def test_bad_startup_length(server, length):
    conn = wire.RawConn(server.host, server.port)
    conn.send(struct.pack("!II", length, wire.PROTOCOL_3_0) + b"user\0postgres\0\0")
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_truncated_startup_then_eof(server):
    conn = wire.RawConn(server.host, server.port)
    full = wire.startup_packet(user=server.user)
    conn.send(full[: len(full) // 2])
    conn.sock.shutdown(socket.SHUT_WR)
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_truncated_startup_does_not_block_others(server):
    """A client that sends half a startup packet and stalls must not stall the server."""
    stalled = wire.RawConn(server.host, server.port)
    full = wire.startup_packet(user=server.user)
    stalled.send(full[:10])
    try:
        assert_still_serves(server)
    finally:
        stalled.abort()


def test_startup_without_terminator(server):
    body = struct.pack("!I", wire.PROTOCOL_3_0) + b"user\0postgres"  # no NULs at the end
    conn = wire.RawConn(server.host, server.port)
    conn.send(struct.pack("!I", len(body) + 4) + body)
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_unsupported_protocol_version(server):
    conn = wire.RawConn(server.host, server.port)
    conn.send(wire.startup_packet(user=server.user, version=(2 << 16)))
    # PostgreSQL answers 0A000 (feature_not_supported) for protocol 2.0.
    expect_error_or_close(conn, sqlstates=("0A000", "08P01"))
    assert_still_serves(server)


def test_garbage_instead_of_startup(server):
    conn = wire.RawConn(server.host, server.port)
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    expect_error_or_close(conn)
    assert_still_serves(server)


# --- malformed messages after startup ------------------------------------------------------


def test_unknown_message_type(server):
    conn = started(server)
    conn.send(b"\x01" + struct.pack("!I", 4))
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_unknown_message_type_letter(server):
    conn = started(server)
    conn.send(b"y" + struct.pack("!I", 8) + b"abcd")
    expect_error_or_close(conn)
    assert_still_serves(server)


@pytest.mark.parametrize("length", [0, 3])
def test_message_length_too_small(server, length):
    conn = started(server)
    conn.send(b"Q" + struct.pack("!I", length) + b"select 1\0")
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_huge_message_length(server):
    """A length word near 2 GiB must be refused at once, not buffered."""
    conn = started(server)
    conn.send(b"Q" + struct.pack("!I", 0x7FFFFFF0) + b"select 1")
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_query_without_nul_terminator(server):
    conn = started(server)
    conn.send(wire.message(b"Q", b"select 1"))
    expect_error_or_close(conn)
    assert_still_serves(server)


def test_truncated_message_then_eof(server):
    conn = started(server)
    conn.send(b"Q" + struct.pack("!I", 100) + b"select")
    conn.sock.shutdown(socket.SHUT_WR)
    expect_error_or_close(conn)
    assert_still_serves(server)


# --- abrupt disconnects ------------------------------------------------------------------------


def count_rows(server: Target, table: str) -> int:
    with psycopg.connect(server.dsn, autocommit=True, connect_timeout=5) as c:
        return len(c.execute(f"select 1 from {table}").fetchall())


@pytest.mark.parametrize("how", ["close", "reset"])
def test_disconnect_mid_transaction_rolls_back(server, table_name, how):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute(f"create table {table_name} (id integer primary key)")
    conn = started(server)
    conn.send(wire.query(f"begin; insert into {table_name} values (1), (2)"))
    reply = conn.read_until(b"Z")
    assert reply[-1] == (b"Z", b"T")
    if how == "reset":
        conn.abort()
    else:
        conn.close()
    # The open transaction is rolled back and releases its locks: a new session can
    # write the same rows at once.
    with psycopg.connect(server.dsn, autocommit=True, connect_timeout=5) as c:
        c.execute(f"insert into {table_name} values (1), (2)")
    assert count_rows(server, table_name) == 2


def test_disconnect_in_failed_transaction(server, table_name):
    conn = started(server)
    conn.send(wire.query(f"begin; select * from {table_name}_missing"))
    reply = conn.read_until(b"Z")
    assert reply[-1] == (b"Z", b"E")
    conn.abort()
    assert_still_serves(server)


@pytest.mark.parametrize("how", ["close", "reset"])
def test_disconnect_mid_result(server, how):
    conn = started(server)
    conn.send(wire.query(
        "with recursive s(i) as (select 1 union all select i + 1 from s where i < 200000) "
        "select i, 'padding padding padding padding' from s"
    ))
    tag, _ = conn.read_message()
    assert tag == b"T"
    for _ in range(10):
        assert conn.read_message()[0] == b"D"
    if how == "reset":
        conn.abort()
    else:
        conn.close()
    assert_still_serves(server)


def test_disconnect_with_suspended_portal(server, table_name):
    with psycopg.connect(server.dsn, autocommit=True) as c:
        c.execute(f"create table {table_name} (id integer primary key)")
        c.cursor().executemany(f"insert into {table_name} values (%s)", [(i,) for i in range(20)])
    conn = started(server)
    conn.send(wire.query("begin"))
    conn.read_until(b"Z")
    conn.send(
        wire.parse(f"select id from {table_name} order by id", "s1")
        + wire.bind("p1", "s1") + wire.execute("p1", 5) + wire.SYNC
    )
    reply = conn.read_until(b"Z")
    tags = [t for t, _ in reply]
    assert tags == [b"1", b"2"] + [b"D"] * 5 + [b"s", b"Z"], tags
    conn.abort()
    assert_still_serves(server)


def test_disconnect_before_sync(server):
    conn = started(server)
    conn.send(wire.parse("select 1", "s1") + wire.bind("", "s1") + wire.execute(""))
    conn.abort()
    assert_still_serves(server)


def test_many_abrupt_disconnects(server):
    """A burst of clients that vanish at every stage; the server keeps serving."""
    for i in range(30):
        conn = wire.RawConn(server.host, server.port)
        stage = i % 3
        if stage >= 1:
            conn.startup(user=server.user, database=server.dbname)
        if stage == 2:
            conn.send(wire.query("select 1; select 2"))
        conn.abort()
    assert_still_serves(server)
    if server.name == "gateway":
        # No session is left behind holding a backend connection: a write still works.
        with psycopg.connect(server.dsn, autocommit=True) as c:
            c.execute("create table if not exists burst_check (id integer)")
            c.execute("insert into burst_check values (1)")
