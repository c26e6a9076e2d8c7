"""Who is let in: SCRAM-SHA-256 against the users file, pg_hba.conf rules, the users
CLI, failure limits, timeouts and per-user limits, with psycopg, asyncpg, psql and raw
clients against the real server (sqlite backend)."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import time

import asyncpg
import psycopg
import pytest

from helpers import scram
from helpers.wire import Closed, RawConn, error_fields, error_or_close, message, startup_packet

USERS_CLI = [sys.executable, "-m", "iris_pgwire.users"]


def add_user(path, name: str, password: str) -> None:
    subprocess.run([*USERS_CLI, "add", name, "--password-stdin", "--file", str(path)],
                   input=password + "\n", text=True, check=True, capture_output=True)


def write_hba(path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def scram_gateway(gateway_factory, tmp_path):
    """Loopback clients must prove a password by SCRAM; users alice (secret) and bob (hunter2)."""
    users = tmp_path / "users"
    add_user(users, "alice", "secret")
    add_user(users, "bob", "hunter2")
    hba = write_hba(tmp_path / "hba.conf", "host all all 127.0.0.1/32 scram-sha-256")
    return gateway_factory("--hba-file", hba, "--users-file", str(users))


def dsn(gw, user: str, password: str | None = None, **kw: str) -> str:
    parts = [f"host={gw.host}", f"port={gw.port}", f"user={user}", "dbname=app"]
    if password is not None:
        parts.append(f"password={password}")
    parts += [f"{k}={v}" for k, v in kw.items()]
    return " ".join(parts)


def login_error(conninfo: str) -> str:
    """psycopg's message for a refused login (libpq gives no SQLSTATE for these: see login_code)."""
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(conninfo, connect_timeout=10)
    return str(info.value)


def login_code(gw, user: str, password: str | None = None, **kw) -> str:
    """The SQLSTATE asyncpg reports for a refused login."""
    async def run():
        try:
            conn = await asyncpg.connect(host=gw.host, port=gw.port, user=user, password=password,
                                         database="app", **kw)
        except asyncpg.PostgresError as e:
            return e.sqlstate
        await conn.close()
        return "admitted"

    return asyncio.run(run())


def test_users_cli_add_list_update_remove(tmp_path):
    path = tmp_path / "users"
    add_user(path, "alice", "one")
    add_user(path, "bob", "two")
    assert subprocess.run([*USERS_CLI, "list", "--file", str(path)], capture_output=True, text=True).stdout.split() == ["alice", "bob"]
    before = path.read_text()
    add_user(path, "alice", "three")
    assert path.read_text() != before and path.read_text().count("alice:") == 1
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "one" not in path.read_text() and "three" not in path.read_text()
    assert all(line.split(":", 1)[1].startswith("SCRAM-SHA-256$4096:") for line in path.read_text().splitlines()[1:])
    done = subprocess.run([*USERS_CLI, "remove", "bob", "--file", str(path)], capture_output=True, text=True)
    assert done.returncode == 0
    missing = subprocess.run([*USERS_CLI, "remove", "bob", "--file", str(path)], capture_output=True, text=True)
    assert missing.returncode == 1 and "no user bob" in missing.stderr
    bad = subprocess.run([*USERS_CLI, "add", "a:b", "--password-stdin", "--file", str(path)], input="x\n",
                         capture_output=True, text=True)
    assert bad.returncode == 2


def test_scram_right_password_psycopg(scram_gateway):
    with psycopg.connect(dsn(scram_gateway, "alice", "secret")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.info.parameter_status("session_authorization") == "alice"


@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("bob", "secret"), ("mallory", "secret")])
def test_scram_wrong_password_or_unknown_user_psycopg(scram_gateway, user, password):
    assert f'FATAL:  password authentication failed for user "{user}"' in login_error(dsn(scram_gateway, user, password))
    assert login_code(scram_gateway, user, password) == "28P01"


def test_sighup_reloads_the_users_file(scram_gateway, tmp_path):
    assert login_code(scram_gateway, "carol", "pw3") == "28P01"
    add_user(tmp_path / "users", "carol", "pw3")
    scram_gateway.proc.send_signal(signal.SIGHUP)
    wait_for_log(scram_gateway, "users file reloaded (3 users)")
    assert login_code(scram_gateway, "carol", "pw3") == "admitted"


def test_scram_asyncpg(scram_gateway):
    async def run():
        conn = await asyncpg.connect(host=scram_gateway.host, port=scram_gateway.port, user="bob",
                                     password="hunter2", database="app")
        try:
            assert await conn.fetchval("select 2") == 2
        finally:
            await conn.close()
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(host=scram_gateway.host, port=scram_gateway.port, user="bob",
                                  password="nope", database="app")

    asyncio.run(run())


def test_scram_psql(scram_gateway):
    def psql(password: str):
        env = {**os.environ, "PGPASSWORD": password}
        return subprocess.run(["psql", "-X", "-h", scram_gateway.host, "-p", str(scram_gateway.port), "-U", "alice",
                               "-d", "app", "-tAc", "select 40 + 2"], env=env, capture_output=True, text=True, timeout=30)

    ok = psql("secret")
    assert ok.returncode == 0 and ok.stdout.strip() == "42", ok.stderr
    bad = psql("wrong")
    assert bad.returncode == 2 and 'password authentication failed for user "alice"' in bad.stderr


def test_verifier_imported_from_postgresql(pg15, gateway_factory, tmp_path):
    """A pg_authid hash pasted into the users file logs in with the same password."""
    with psycopg.connect(pg15.dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS imported_user")
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute("CREATE ROLE imported_user LOGIN PASSWORD 'from-postgres'")
        (verifier,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'imported_user'").fetchone()
        conn.execute("DROP ROLE imported_user")
    users = tmp_path / "users"
    users.write_text(f"imported_user:{verifier}\n")
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 scram-sha-256")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users))
    with psycopg.connect(dsn(gw, "imported_user", "from-postgres")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert login_code(gw, "imported_user", "from-Postgres") == "28P01"


# SASLprep (RFC 4013) cases: NFKC (Roman numeral nine, the "fi" ligature), a non-ASCII
# space, a soft hyphen mapped to nothing, a precomposed letter; and a private-use
# character SASLprep refuses, which PostgreSQL (and the gateway) then use as given.
NON_ASCII_PASSWORDS = ["\u2168-\ufb01le", "pass\u00a0word", "I\u00adX", "caf\u00e9", "secret\ue000"]


def test_non_ascii_passwords_match_postgresql(pg15, gateway_factory, tmp_path):
    """The verifiers of non-ASCII passwords are PostgreSQL 15's, and clients log in with them."""
    from psycopg import sql

    from iris_pgwire._core import scram_verifier

    with psycopg.connect(pg15.dsn, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        pg_verifiers = {}
        for i, password in enumerate(NON_ASCII_PASSWORDS):
            role = f"saslprep_{i}"
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            (pg_verifiers[password],) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    users = tmp_path / "users"
    for i, password in enumerate(NON_ASCII_PASSWORDS):
        verifier = pg_verifiers[password]
        iterations, salt = verifier.split("$")[1].split(":")
        assert scram_verifier(password, base64.b64decode(salt), int(iterations)) == verifier, password
        add_user(users, f"u{i}", password)  # the CLI: the same code, a random salt
    hba = write_hba(tmp_path / "hba", "host all u4 127.0.0.1/32 password", "host all all 127.0.0.1/32 scram-sha-256")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--allow-password-without-tls")
    for i, password in enumerate(NON_ASCII_PASSWORDS):
        with psycopg.connect(dsn(gw, f"u{i}", password)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    # Spellings SASLprep maps to the same password are the same password, as on PostgreSQL.
    psycopg.connect(dsn(gw, "u0", "IX-file")).close()
    psycopg.connect(dsn(gw, "u2", "IX")).close()
    assert login_code(gw, "u3", "cafe") == "28P01"
    # Clear-text password method: the gateway normalises what the client sent.
    add_user(users, "u4", "I\u00adX")
    gw.proc.send_signal(signal.SIGHUP)
    wait_for_log(gw, "users file reloaded")
    psycopg.connect(dsn(gw, "u4", "IX")).close()


def wait_for_log(gw, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while text not in gw.log():
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{gw.log()}"
        time.sleep(0.05)


def test_raw_scram_right_and_tampered_proof(scram_gateway):
    gw = scram_gateway
    conn = RawConn(gw.host, gw.port)
    bare, first = scram.begin(conn, "alice")
    final, server_sig = scram.final_message("secret", bare, first)
    conn.send(message(b"p", final))
    tag, body = conn.read_message()
    assert tag == b"R" and scram.auth_code(body) == 12
    assert body[4:] == b"v=" + base64.b64encode(server_sig)
    assert conn.read_message() == (b"R", b"\0\0\0\0")  # AuthenticationOk
    conn.close()

    conn = RawConn(gw.host, gw.port)
    bare, first = scram.begin(conn, "alice")
    final, _ = scram.final_message("secret", bare, first, tamper=True)
    conn.send(message(b"p", final))
    err = error_or_close(conn)
    assert err and err["C"] == "28P01" and err["S"] == "FATAL"
    assert err["M"] == 'password authentication failed for user "alice"'


@pytest.mark.parametrize("data,code", [
    (b"garbage", "08P01"),                        # not a SCRAM message
    (b"n,a=alice,n=,r=abc", "08P01"),             # authorization identity
    (b"p=tls-server-end-point,,n=,r=abc", "08P01"),  # binding asked without TLS
])
def test_raw_scram_malformed_initial_response(scram_gateway, data, code):
    conn = RawConn(scram_gateway.host, scram_gateway.port)
    conn.send(startup_packet(user="alice"))
    conn.read_message()
    conn.send(scram.sasl_initial("SCRAM-SHA-256", data))
    err = error_or_close(conn)
    assert err and err["C"] == code


def test_malformed_and_oversized_frames_during_auth_leave_others_served(scram_gateway):
    gw = scram_gateway
    with psycopg.connect(dsn(gw, "alice", "secret")) as other:
        bad_inputs = [
            message(b"Q", b"select 1\0"),                   # a query instead of the SASL response
            b"p" + (100_000).to_bytes(4, "big"),              # oversized SASL message
            b"p" + (2).to_bytes(4, "big"),                    # length below its own size
            message(b"p", b"SCRAM-SHA-256\0" + (50).to_bytes(4, "big") + b"short"),  # truncated data
            message(b"p", b"NO-SUCH-MECH\0" + (3).to_bytes(4, "big") + b"abc"),
        ]
        for bad in bad_inputs:
            conn = RawConn(gw.host, gw.port)
            conn.send(startup_packet(user="alice"))
            conn.read_message()
            conn.send(bad)
            err = error_or_close(conn)
            assert err is None or err["C"] in ("08P01", "28000", "28P01"), (bad, err)
            conn.close()
        # Half a startup packet, then silence and hang-up.
        half = RawConn(gw.host, gw.port)
        half.send(startup_packet(user="alice")[:7])
        half.close()
        assert other.execute("select 3").fetchone() == (3,)
    assert gw.alive()


def test_secrets_never_logged(gateway_factory, tmp_path):
    users = tmp_path / "users"
    add_user(users, "alice", "S3cretPassw0rd")
    hba = write_hba(tmp_path / "hba", "host all alice 127.0.0.1/32 scram-sha-256",
                    "host all all 127.0.0.1/32 password")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--allow-password-without-tls",
                         "--log-level", "debug")
    psycopg.connect(dsn(gw, "alice", "S3cretPassw0rd")).close()
    login_error(dsn(gw, "alice", "WrongPassw0rd"))
    login_error(dsn(gw, "carol", "CarolsPassw0rd"))
    log = gw.log()
    verifier = users.read_text().splitlines()[1].split(":", 1)[1]
    for secret in ("S3cretPassw0rd", "WrongPassw0rd", "CarolsPassw0rd", verifier.split("$")[2]):
        assert secret not in log
    assert 'authenticated user "alice"' in log


def test_password_method_needs_tls_unless_allowed(gateway_factory, tmp_path):
    users = tmp_path / "users"
    add_user(users, "alice", "pw")
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 password")
    strict = gateway_factory("--hba-file", hba, "--users-file", str(users))
    assert "requires an encrypted connection" in login_error(dsn(strict, "alice", "pw"))
    assert login_code(strict, "alice", "pw", ssl=False) == "28000"
    relaxed = gateway_factory("--hba-file", hba, "--users-file", str(users), "--allow-password-without-tls")
    with psycopg.connect(dsn(relaxed, "alice", "pw")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert login_code(relaxed, "alice", "px") == "28P01"


def test_password_not_utf8_is_a_wrong_password(gateway_factory, tmp_path):
    """Bytes that are not UTF-8 are compared as they are (PostgreSQL's SASLprep fallback): 28P01, not 08P01."""
    users = tmp_path / "users"
    add_user(users, "alice", "caf\u00e9")
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 password")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--allow-password-without-tls")
    conn = RawConn(gw.host, gw.port)
    conn.send(startup_packet(user="alice"))
    tag, body = conn.read_message()
    assert tag == b"R" and scram.auth_code(body) == 3  # AuthenticationCleartextPassword
    conn.send(message(b"p", "caf\u00e9".encode("latin-1") + b"\0"))
    err = error_or_close(conn)
    assert err and err["C"] == "28P01" and err["M"] == 'password authentication failed for user "alice"'
    with psycopg.connect(dsn(gw, "alice", "caf\u00e9")) as ok:
        assert ok.execute("select 1").fetchone() == (1,)


def raw_from(source: str, gw, user: str = "u", database: str = "d") -> dict | None:
    """A startup packet from a chosen loopback source address; the error fields, or None if admitted."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", gw.port))
    conn = RawConn.__new__(RawConn)
    conn.sock, conn.timeout, conn.buf = sock, 5.0, b""
    conn.send(startup_packet(user=user, database=database))
    try:
        while True:
            tag, body = conn.read_message()
            if tag == b"E":
                return error_fields(body)
            if tag == b"Z":
                return None
    except Closed:
        return {"closed": "yes"}
    finally:
        sock.close()


def test_rules_by_client_address(gateway_factory, tmp_path):
    hba = write_hba(tmp_path / "hba",
                    "host all all 127.0.0.1/32 trust",
                    "host app,other all 127.0.0.2/32 reject",
                    "host all admin 127.0.0.3 255.255.255.255 trust")
    gw = gateway_factory("--host", "0.0.0.0", "--hba-file", hba)
    assert raw_from("127.0.0.1", gw) is None
    err = raw_from("127.0.0.2", gw, database="app")
    assert err["C"] == "28000"
    assert err["M"] == 'pg_hba.conf rejects connection for host "127.0.0.2", user "u", database "app", no encryption'
    err = raw_from("127.0.0.2", gw, database="elsewhere")
    assert err["M"] == 'no pg_hba.conf entry for host "127.0.0.2", user "u", database "elsewhere", no encryption'
    assert raw_from("127.0.0.3", gw, user="admin") is None
    assert raw_from("127.0.0.3", gw, user="someone")["C"] == "28000"


def test_sighup_reloads_the_rules(gateway_factory, tmp_path):
    """New rules apply to new connections, live sessions stay; a broken file keeps the old rules."""
    hba = tmp_path / "hba"
    write_hba(hba, "host all all 127.0.0.1/32 trust")
    gw = gateway_factory("--hba-file", str(hba))
    live = psycopg.connect(dsn(gw, "alice"))
    live.execute("begin")
    write_hba(hba, "host all bob 127.0.0.1/32 trust", "host all all 127.0.0.1/32 reject")
    gw.proc.send_signal(signal.SIGHUP)
    wait_for_log(gw, "access rules reloaded")
    assert login_code(gw, "alice") == "28000"
    assert "pg_hba.conf rejects connection" in login_error(dsn(gw, "alice"))
    psycopg.connect(dsn(gw, "bob")).close()
    assert live.execute("select 1").fetchone() == (1,)
    live.execute("commit")
    write_hba(hba, "host all all 127.0.0.1/32 trust", "local all all trust")
    gw.proc.send_signal(signal.SIGHUP)
    wait_for_log(gw, "access rules not reloaded, the old rules stay")
    assert "line 2" in gw.log().split("access rules not reloaded")[1].splitlines()[0]
    assert login_code(gw, "alice") == "28000"
    psycopg.connect(dsn(gw, "bob")).close()
    assert gw.alive() and live.execute("select 2").fetchone() == (2,)
    live.close()


def test_default_rules_trust_loopback_and_warn(gateway):
    with psycopg.connect(gateway.dsn) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert "no --hba-file" in gateway.process.log()


def test_bad_hba_file_stops_start_up(tmp_path):
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 md5")
    done = subprocess.run([sys.executable, "-m", "iris_pgwire.server", "--port", "0", "--backend", "sqlite",
                           "--sqlite-path", str(tmp_path / "db"), "--hba-file", hba],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and 'line 1: invalid authentication method "md5"' in done.stderr


def test_failed_attempts_lock_the_address_out(gateway_factory, tmp_path):
    users = tmp_path / "users"
    add_user(users, "alice", "secret")
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 scram-sha-256")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--auth-failure-limit", "3",
                         "--auth-failure-window", "2")
    for _ in range(2):
        assert login_code(gw, "alice", "guess") == "28P01"
    assert "password authentication failed" in login_error(dsn(gw, "alice", "guess"))
    assert "too many failed authentication attempts" in login_error(dsn(gw, "alice", "secret"))
    assert login_code(gw, "alice", "secret") == "28000"
    time.sleep(2.2)
    psycopg.connect(dsn(gw, "alice", "secret")).close()


def test_startup_and_authentication_timeouts(gateway_factory, tmp_path):
    users = tmp_path / "users"
    add_user(users, "alice", "secret")
    hba = write_hba(tmp_path / "hba", "host all all 127.0.0.1/32 scram-sha-256")
    gw = gateway_factory("--hba-file", hba, "--users-file", str(users), "--startup-timeout", "1",
                         "--auth-timeout", "1")
    silent = RawConn(gw.host, gw.port, timeout=5)
    start = time.monotonic()
    assert error_or_close(silent) is None  # dropped without a word, as PostgreSQL does
    assert time.monotonic() - start < 4
    stalled = RawConn(gw.host, gw.port, timeout=5)
    stalled.send(startup_packet(user="alice"))
    assert stalled.read_message()[0] == b"R"
    err = error_or_close(stalled)
    assert err and err["C"] == "57014" and err["M"] == "canceling authentication due to timeout"
    psycopg.connect(dsn(gw, "alice", "secret")).close()


def test_max_connections_per_user(gateway_factory):
    gw = gateway_factory("--max-connections-per-user", "1")
    first = psycopg.connect(dsn(gw, "alice"))
    assert 'too many connections for role "alice"' in login_error(dsn(gw, "alice"))
    assert login_code(gw, "alice") == "53300"
    with psycopg.connect(dsn(gw, "bob")) as other:
        assert other.execute("select 1").fetchone() == (1,)
    assert first.execute("select 1").fetchone() == (1,)
    first.close()
    psycopg.connect(dsn(gw, "alice")).close()


def test_health_check_with_passwords_required(scram_gateway):
    done = subprocess.run([sys.executable, "-m", "iris_pgwire.server", "--check", "--port", str(scram_gateway.port)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "ok" in done.stdout
