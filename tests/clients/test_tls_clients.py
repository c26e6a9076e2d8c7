"""Real clients over TLS, on PostgreSQL 15 with TLS and on the gateway: pg8000, pgjdbc
(Debian's libpostgresql-jdbc-java, tests/clients/java/TlsConnect.java) and node-postgres
(`pg`, tests/clients/node/pg_tls.js), each with sslmode require and verify-full against
a CA the suite makes, refused with another CA, and logging in by SCRAM-SHA-256 (with
channel binding where the client does it: pg8000 always over TLS, node-postgres with
enableChannelBinding; pgjdbc 42.5 has no channel binding). Both servers accept the test
user only on TLS connections (hostssl), so an admitted login proves encryption."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pg8000.native
import psycopg
import pytest

from harness import CLIENTS_DIR, need
from node_runner import node_env
from helpers.certs import make_pki
from helpers.gateway import GatewayProcess, stop_checked
from helpers.pgcluster import PgCluster

USER, PASSWORD, DATABASE = "tls_user", "Tls-pass-1", "postgres"
PGJDBC_JAR = "/usr/share/java/postgresql.jar"
MODES = ["require", "verify-full"]


@dataclass
class TlsServer:
    name: str
    host: str
    port: int
    ca: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that did not


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls-clients")
    pki = make_pki(base / "ca")
    cert, key = pki.issue("localhost", server=True)
    other = make_pki(base / "other", ca_name="unrelated CA")
    return cert, key, pki.ca, other.ca


def _pg15_with_tls(cert: Path, key: Path) -> PgCluster:
    """PostgreSQL 15 with ssl = on and the test user allowed on TLS only, by SCRAM."""
    cluster = PgCluster()
    cluster.start()
    for src, name in ((cert, "server.crt"), (key, "server.key")):
        dst = cluster.data / name
        shutil.copyfile(src, dst)
        dst.chmod(0o600)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(dst, pw.pw_uid, pw.pw_gid)
    hba = cluster.data / "pg_hba.conf"
    hba.write_text(f"host all {cluster.user} 127.0.0.1/32 trust\nhostssl all {USER} 127.0.0.1/32 scram-sha-256\n")
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET ssl = on")
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 20
    while True:
        with psycopg.connect(cluster.dsn) as conn:
            if conn.execute("SHOW ssl").fetchone() == ("on",):
                return cluster
        assert time.monotonic() < deadline, "PostgreSQL did not turn TLS on:\n" + cluster.log()
        time.sleep(0.2)


@pytest.fixture(scope="module")
def servers(pki_files, tmp_path_factory):
    cert, key, ca, other_ca = pki_files
    cluster = _pg15_with_tls(cert, key)
    conf = tmp_path_factory.mktemp("tls-gateway")
    users, hba = conf / "users", conf / "hba"
    subprocess.run([sys.executable, "-m", "iris_pgwire.users", "add", USER, "--password-stdin", "--file", str(users)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    hba.write_text(f"hostssl all {USER} 127.0.0.1/32 scram-sha-256\n")
    gw = GatewayProcess(("--tls-cert", str(cert), "--tls-key", str(key), "--hba-file", str(hba),
                         "--users-file", str(users)))
    try:
        gw.start()
        yield {
            "pg15": TlsServer("pg15", cluster.host, cluster.port, ca, other_ca),
            "gateway": TlsServer("gateway", gw.host, gw.port, ca, other_ca),
        }
    finally:
        cluster.stop()
        stop_checked(gw)


@pytest.fixture(params=["pg15", "gateway"])
def server(request, servers) -> TlsServer:
    return servers[request.param]


# --- pg8000 ------------------------------------------------------------------------------


def pg8000_connect(server: TlsServer, mode: str, ca: Path | None = None) -> pg8000.native.Connection:
    """pg8000 takes an SSLContext: require is one that checks nothing, verify-full Python's default."""
    if mode == "verify-full":
        context = ssl.create_default_context(cafile=str(ca or server.ca))
    else:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return pg8000.native.Connection(USER, host=server.host, port=server.port, database=DATABASE,
                                    password=PASSWORD, ssl_context=context, timeout=10)


@pytest.mark.parametrize("mode", MODES)
def test_pg8000(server, mode):
    conn = pg8000_connect(server, mode)
    try:
        assert conn.run("select 40 + 2") == [[42]]
        assert isinstance(conn._usock, ssl.SSLSocket)
        # pg8000 binds to the TLS channel whenever the server offers it.
        assert conn.auth.mechanism_name == "SCRAM-SHA-256-PLUS"
    finally:
        conn.close()


def test_pg8000_refuses_a_foreign_ca(server):
    with pytest.raises(Exception) as info:
        pg8000_connect(server, "verify-full", ca=server.other_ca)
    assert "certificate verify failed" in str(info.value) or isinstance(info.value.__cause__, ssl.SSLError)


# --- pgjdbc ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_connect_classes(tmp_path_factory):
    javac = need("javac", "default-jdk-headless")
    out = tmp_path_factory.mktemp("pgjdbc-tls")
    subprocess.run([javac, "-d", str(out), "-cp", PGJDBC_JAR, str(CLIENTS_DIR / "java" / "TlsConnect.java")],
                   check=True, capture_output=True, timeout=300)
    return out


def pgjdbc(classes: Path, server: TlsServer, mode: str, ca: Path) -> dict:
    java = need("java", "default-jdk-headless")
    proc = subprocess.run([java, "-cp", f"{classes}:{PGJDBC_JAR}", "TlsConnect", server.host, str(server.port),
                           USER, PASSWORD, DATABASE, mode, str(ca)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", MODES)
def test_pgjdbc(tls_connect_classes, server, mode):
    assert pgjdbc(tls_connect_classes, server, mode, server.ca) == {"ok": True, "value": 42}


def test_pgjdbc_refuses_a_foreign_ca(tls_connect_classes, server):
    result = pgjdbc(tls_connect_classes, server, "verify-full", server.other_ca)
    assert not result["ok"] and result["sqlstate"] == "08006", result
    assert "PKIX path" in result["error"] or "certification path" in result["error"], result


# --- node-postgres -----------------------------------------------------------------------


def node_pg(server: TlsServer, mode: str, ca: Path, bind: bool, password: str = PASSWORD, name: str = "") -> dict:
    node = need("node", "nodejs")
    proc = subprocess.run([node, str(CLIENTS_DIR / "node" / "pg_tls.js"), server.host, str(server.port), USER,
                           password, DATABASE, mode, str(ca), "1" if bind else "0", name],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, **node_env()})
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("bind", [False, True], ids=["scram", "scram-plus"])
@pytest.mark.parametrize("mode", MODES)
def test_node_postgres(server, mode, bind):
    result = node_pg(server, mode, server.ca, bind)
    mechanism = "SCRAM-SHA-256-PLUS" if bind else "SCRAM-SHA-256"
    assert result == {"ok": True, "value": 42, "mechanism": mechanism, "encrypted": True}


def test_node_postgres_refusals(server):
    foreign = node_pg(server, "verify-full", server.other_ca, bind=True)
    assert not foreign["ok"] and foreign["code"] in ("SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
                                                     "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"), foreign
    # The certificate names localhost and 127.0.0.1 only.
    elsewhere = node_pg(server, "verify-full", server.ca, bind=True, name="db.elsewhere.example")
    assert not elsewhere["ok"] and elsewhere["code"] == "ERR_TLS_CERT_ALTNAME_INVALID", elsewhere
    wrong = node_pg(server, "verify-full", server.ca, bind=True, password="not-it")
    assert wrong == {"ok": False, "error": f'password authentication failed for user "{USER}"', "code": "28P01"}
