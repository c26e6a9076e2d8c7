"""Connection limits, differential against PostgreSQL 15: the startup packet's size
(--max-startup-packet-bytes) and the number of sessions (--max-connections). Each
limit ends only the offending connection; the sessions already in go on."""

from __future__ import annotations

import struct
import time

import psycopg
import pytest

from helpers import wire
from helpers.pgcluster import PgCluster

# PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the body, not counting the length word.
PG_STARTUP_LIMIT = 10_000


def startup_of_body_size(size: int, user: str, database: str) -> bytes:
    """A valid startup packet whose body (without the length word) is `size` bytes."""
    base = wire.startup_packet(user=user, database=database, application_name="")
    padded = wire.startup_packet(user=user, database=database, application_name="x" * (size - (len(base) - 4)))
    assert len(padded) - 4 == size
    return padded


def closed_without_reply(conn: wire.RawConn) -> bool:
    """PostgreSQL answers a bad startup length with nothing: it logs it and hangs up."""
    try:
        conn.read_byte()
    except wire.Closed:
        return True
    return False


def test_startup_packet_of_the_largest_size_is_accepted(target):
    conn = wire.RawConn(target.host, target.port)
    conn.send(startup_of_body_size(PG_STARTUP_LIMIT, target.user, target.dbname))
    msgs = conn.read_until(b"Z")
    assert msgs[0] == (b"R", struct.pack("!I", 0)) and msgs[-1] == (b"Z", b"I")
    conn.close()


@pytest.mark.parametrize("length", [3, 7, PG_STARTUP_LIMIT + 5, 0x7FFFFFFF, 0x80000000])
def test_bad_startup_length_is_logged_and_closed(target, length):
    """One byte over the limit, below the protocol code, or negative: closed without a message."""
    with psycopg.connect(target.dsn, autocommit=True) as other:
        conn = wire.RawConn(target.host, target.port)
        conn.send(struct.pack("!II", length, wire.PROTOCOL_3_0) + b"user\0postgres\0\0")
        assert closed_without_reply(conn)
        assert other.execute("select 'still here'").fetchone() == ("still here",)
    if target.is_gateway:
        log = target.process.log()
        assert f"invalid length of startup packet: {struct.unpack('!i', struct.pack('!I', length))[0]} (08P01)" in log


def test_max_startup_packet_bytes_flag(gateway_factory):
    gw = gateway_factory("--max-startup-packet-bytes", "300")
    with psycopg.connect(gw.dsn, autocommit=True) as other:
        fits = wire.RawConn(gw.host, gw.port)
        fits.send(startup_of_body_size(300, "postgres", "postgres"))
        assert fits.read_until(b"Z")[-1] == (b"Z", b"I")
        over = wire.RawConn(gw.host, gw.port)
        over.send(startup_of_body_size(301, "postgres", "postgres"))
        assert closed_without_reply(over)
        assert other.execute("select 1").fetchone() == (1,)
    assert "invalid length of startup packet: 305 (08P01)" in gw.log()


@pytest.fixture(params=["pg15", "gateway"])
def five_slots(request, gateway_factory):
    """A server that takes 5 sessions at once: its own PostgreSQL 15 or gateway."""
    if request.param == "gateway":
        yield gateway_factory("--max-connections", "5").dsn
        return
    cluster = PgCluster(max_connections=5)
    try:
        cluster.start()
        yield cluster.dsn
    finally:
        cluster.stop()


def test_max_connections_refuses_only_the_extra_client(five_slots):
    dsn = five_slots
    sessions = [psycopg.connect(dsn, autocommit=True) for _ in range(5)]
    try:
        with pytest.raises(psycopg.OperationalError) as refused:
            psycopg.connect(dsn, connect_timeout=10)
        assert "FATAL:  sorry, too many clients already" in str(refused.value)
        for i, s in enumerate(sessions):
            assert s.execute("select %s::int", (i,)).fetchone() == (i,)
        sessions.pop().close()
        # The freed slot is taken again (PostgreSQL frees it once the backend has exited).
        for _ in range(50):
            try:
                sessions.append(psycopg.connect(dsn, autocommit=True))
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        assert len(sessions) == 5
    finally:
        for s in sessions:
            s.close()


# --- idle_in_transaction_session_timeout --------------------------------------------------

IDLE_FATAL = "terminating connection due to idle-in-transaction timeout"


def assert_closed_for_idling(conn: psycopg.Connection) -> None:
    """The next statement finds the FATAL 25P03 PostgreSQL 15 sent, and the connection gone."""
    with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout) as info:
        conn.execute("select 1")
    assert info.value.sqlstate == "25P03" and info.value.diag.severity == "FATAL"
    assert info.value.diag.message_primary == IDLE_FATAL
    assert conn.closed or conn.broken


def test_idle_in_transaction_timeout_set(target, table_name):
    with psycopg.connect(target.dsn, autocommit=True) as setup:
        setup.execute(f"create table {table_name} (id int)")
        conn = psycopg.connect(target.dsn, autocommit=True)
        conn.execute("set idle_in_transaction_session_timeout = '400ms'")
        # Idle outside a transaction: not affected.
        time.sleep(0.8)
        conn.execute("begin")
        conn.execute(f"insert into {table_name} values (1)")
        # Busy with pauses shorter than the limit: not affected.
        for _ in range(3):
            time.sleep(0.15)
            conn.execute("select 1")
        time.sleep(1.0)
        assert_closed_for_idling(conn)
        # Rolled back; the other session never noticed.
        assert setup.execute(f"select count(*) from {table_name}").fetchone() == (0,)
        setup.execute(f"drop table {table_name}")


def test_idle_in_failed_transaction_and_zero_disables(target):
    failed = psycopg.connect(target.dsn, autocommit=True, options="-c idle_in_transaction_session_timeout=300")
    failed.execute("begin")
    with pytest.raises(psycopg.errors.DivisionByZero):
        failed.execute("select 1/0")
    time.sleep(0.8)
    assert_closed_for_idling(failed)
    with psycopg.connect(target.dsn, autocommit=True) as off:
        off.execute("set idle_in_transaction_session_timeout = 300")
        off.execute("set idle_in_transaction_session_timeout = 0")
        off.execute("begin")
        time.sleep(0.8)
        assert off.execute("select 2").fetchone() == (2,)
        off.execute("rollback")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            off.execute("set idle_in_transaction_session_timeout = 'soon'")
        shown = []
        for value in ("300", "'5s'", "90000", "'2min'", "'1h'", "0"):
            off.execute(f"set idle_in_transaction_session_timeout = {value}")
            shown += off.execute("show idle_in_transaction_session_timeout").fetchone()
        assert shown == ["300ms", "5s", "90s", "2min", "1h", "0"]


def test_idle_in_transaction_flag_default_releases_the_backend_connection(gateway_factory):
    """The flag sets the default; the timed-out session's IRIS connection goes back to the pool."""
    gw = gateway_factory("--idle-in-transaction-session-timeout", "500ms", "--pool-size", "1", "--pool-timeout", "3")
    idler = psycopg.connect(gw.dsn)  # psycopg's default: every statement inside a transaction
    assert idler.execute("show idle_in_transaction_session_timeout").fetchone() == ("500ms",)
    # SHOW is answered by the gateway; a statement of the backend's takes the connection.
    assert idler.execute("select 1").fetchone() == (1,)
    with psycopg.connect(gw.dsn) as other:
        # The one backend connection is the idler's until it times out, then other's.
        assert other.execute("select 3").fetchone() == (3,)
        assert_closed_for_idling(idler)
        other.execute("set idle_in_transaction_session_timeout = 0")
        time.sleep(0.8)
        assert other.execute("select 4").fetchone() == (4,)
    assert IDLE_FATAL in gw.log()
