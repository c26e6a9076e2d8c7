"""TLS: SSLRequest and direct TLS with psycopg, asyncpg and psql (sslmode=require and
verify-full against a CA the suite makes), SCRAM-SHA-256-PLUS channel binding,
hostssl rules, client-certificate (cert) authentication, and reload on SIGHUP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import struct
import subprocess
import time

import asyncpg
import psycopg
import pytest

from helpers.certs import make_pki
from helpers.wire import RawConn, SSL_REQUEST, error_or_close, startup_packet
from test_auth import add_user, dsn, login_error, write_hba


@pytest.fixture
def pki(tmp_path):
    pki = make_pki(tmp_path / "pki")
    pki.server_cert, pki.server_key = pki.issue("localhost", server=True, stem="server")
    return pki


@pytest.fixture
def tls_gateway(gateway_factory, pki, tmp_path):
    """TLS on; SCRAM for alice (secret) on any connection, bob only over TLS."""
    users = tmp_path / "users"
    add_user(users, "alice", "secret")
    add_user(users, "bob", "hunter2")
    hba = write_hba(tmp_path / "hba",
                    "hostssl all bob 127.0.0.1/32 scram-sha-256",
                    "host all alice 127.0.0.1/32 scram-sha-256",
                    "hostssl all all 127.0.0.1/32 trust")
    return gateway_factory("--hba-file", hba, "--users-file", str(users),
                           "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key))


def ssl_in_use(conn: psycopg.Connection) -> bool:
    return bool(conn.pgconn.ssl_in_use)


@pytest.mark.parametrize("mode", ["require", "verify-ca", "verify-full"])
def test_psycopg_sslmodes(tls_gateway, pki, mode):
    with psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode=mode, sslrootcert=str(pki.ca),
                             host="localhost")) as conn:
        assert ssl_in_use(conn)
        assert conn.execute("select 'over tls'").fetchone() == ("over tls",)


def test_verify_full_refuses_a_foreign_ca(tls_gateway, tmp_path):
    other = make_pki(tmp_path / "other", "another CA")
    msg = login_error(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(other.ca)))
    assert "certificate verify failed" in msg


def test_channel_binding_require(tls_gateway, pki):
    with psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(pki.ca),
                             channel_binding="require")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    # Without TLS there is nothing to bind to: libpq refuses rather than downgrade.
    msg = login_error(dsn(tls_gateway, "alice", "secret", sslmode="disable", channel_binding="require"))
    assert "channel binding" in msg
    # A wrong password fails with binding too.
    msg = login_error(dsn(tls_gateway, "alice", "nope", sslmode="require", channel_binding="require"))
    assert 'password authentication failed for user "alice"' in msg


def test_direct_tls_negotiation(tls_gateway, pki):
    """PostgreSQL 17's sslnegotiation=direct: a TLS ClientHello first, ALPN postgresql."""
    if psycopg.pq.version() < 170000:
        pytest.skip("libpq older than 17 has no sslnegotiation=direct")
    with psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(pki.ca),
                             sslnegotiation="direct")) as conn:
        assert ssl_in_use(conn)
        assert conn.execute("select 1").fetchone() == (1,)


def test_direct_tls_without_alpn_is_closed(tls_gateway, pki):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    raw = socket.create_connection((tls_gateway.host, tls_gateway.port), timeout=5)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(startup_packet(user="alice"))
            if not tls.recv(1):
                raise ConnectionError("closed")
    ok = ssl.create_default_context(cafile=str(pki.ca))
    ok.set_alpn_protocols(["postgresql"])
    with ok.wrap_socket(socket.create_connection((tls_gateway.host, tls_gateway.port), timeout=5),
                        server_hostname="localhost") as tls:
        assert tls.selected_alpn_protocol() == "postgresql"
        tls.sendall(startup_packet(user="carol"))
        assert tls.recv(1) == b"R"  # trusted over TLS by the last rule: AuthenticationOk follows


def test_hostssl_rule_refuses_plaintext(tls_gateway, pki):
    msg = login_error(dsn(tls_gateway, "bob", "hunter2", sslmode="disable"))
    assert 'no pg_hba.conf entry for host "127.0.0.1", user "bob", database "app", no encryption' in msg
    with psycopg.connect(dsn(tls_gateway, "bob", "hunter2", sslmode="require")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_unencrypted_data_after_ssl_request(tls_gateway):
    conn = RawConn(tls_gateway.host, tls_gateway.port)
    conn.send(struct.pack("!ii", 8, SSL_REQUEST) + startup_packet(user="alice"))
    err = error_or_close(conn)
    assert err and err["C"] == "08P01" and err["M"] == "received unencrypted data after SSL request"


def test_asyncpg_verify_full_and_scram(tls_gateway, pki):
    async def run():
        ctx = ssl.create_default_context(cafile=str(pki.ca))
        conn = await asyncpg.connect(host="localhost", port=tls_gateway.port, user="bob", password="hunter2",
                                     database="app", ssl=ctx)
        try:
            assert await conn.fetchval("select 7") == 7
            tls = conn._transport.get_extra_info("ssl_object")  # noqa: SLF001
            assert tls is not None and tls.version() in ("TLSv1.3", "TLSv1.2")
        finally:
            await conn.close()
        conn = await asyncpg.connect(host="127.0.0.1", port=tls_gateway.port, user="bob", password="hunter2",
                                     database="app", ssl="require")
        await conn.close()

    asyncio.run(run())


def test_psql_verify_full(tls_gateway, pki):
    env = {**os.environ, "PGPASSWORD": "hunter2", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": str(pki.ca)}
    done = subprocess.run(["psql", "-X", "-h", "localhost", "-p", str(tls_gateway.port), "-U", "bob", "-d", "app",
                           "-tAc", "select 'psql over tls'"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "psql over tls"


def test_sighup_reloads_certificate_without_dropping_sessions(tls_gateway, pki, tmp_path):
    live = psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(pki.ca)))
    new = make_pki(tmp_path / "new", "renewed CA")
    cert, key = new.issue("localhost", server=True, stem="server")
    os.replace(cert, pki.server_cert)
    os.replace(key, pki.server_key)
    tls_gateway.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "TLS certificate and key reloaded" not in tls_gateway.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "TLS certificate and key reloaded" in tls_gateway.log()
    with psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(new.ca))) as c:
        assert c.execute("select 1").fetchone() == (1,)
    assert "certificate verify failed" in login_error(
        dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(pki.ca)))
    assert live.execute("select 'still here'").fetchone() == ("still here",)
    live.close()
    # A broken file keeps the old certificate in use.
    pki.server_key.write_text("not a key")
    tls_gateway.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "TLS files not reloaded" not in tls_gateway.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "TLS files not reloaded" in tls_gateway.log()
    psycopg.connect(dsn(tls_gateway, "alice", "secret", sslmode="verify-full", sslrootcert=str(new.ca))).close()
    assert tls_gateway.alive()


def test_client_certificate_authentication(gateway_factory, pki, tmp_path):
    hba = write_hba(tmp_path / "hba", "hostssl all all 127.0.0.1/32 cert")
    gw = gateway_factory("--hba-file", hba, "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key),
                         "--tls-client-ca", str(pki.ca))
    cert, key = pki.issue("alice", server=False)
    common = dict(sslmode="verify-full", sslrootcert=str(pki.ca), sslcert=str(cert), sslkey=str(key))
    with psycopg.connect(dsn(gw, "alice", **common)) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert 'certificate authentication failed for user "bob"' in login_error(dsn(gw, "bob", **common))
    no_cert = login_error(dsn(gw, "alice", sslmode="verify-full", sslrootcert=str(pki.ca),
                              sslcert="/nonexistent", sslkey="/nonexistent"))
    assert "connection requires a valid client certificate" in no_cert
    # A certificate from another CA fails the handshake itself.
    stranger = make_pki(tmp_path / "stranger", "stranger CA")
    scert, skey = stranger.issue("alice", server=False)
    msg = login_error(dsn(gw, "alice", sslmode="verify-full", sslrootcert=str(pki.ca), sslcert=str(scert),
                          sslkey=str(skey)))
    assert "alert unknown ca" in msg


def test_channel_binding_with_a_sha384_signed_certificate(gateway_factory, pki, tmp_path):
    """tls-server-end-point hashes with the certificate's signature hash (SHA-384 here)."""
    from cryptography.hazmat.primitives import hashes

    cert, key = pki.issue("localhost", server=True, hash_alg=hashes.SHA384(), stem="server384")
    users = tmp_path / "users"
    add_user(users, "alice", "secret")
    hba = write_hba(tmp_path / "hba", "hostssl all all 127.0.0.1/32 scram-sha-256")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--tls-cert", str(cert), "--tls-key", str(key))
    with psycopg.connect(dsn(gw, "alice", "secret", sslmode="verify-full", sslrootcert=str(pki.ca),
                             channel_binding="require")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
