"""Password pass-through on the dbapi backend (over the fake iris.dbapi): the `password`
method hands the client's password to IRIS, which logs the user in; that user's
connections form its own pool, so IRIS privileges apply per session."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from test_auth import dsn, login_code, login_error, write_hba
from test_tls import pki  # noqa: F401 (fixture)

FAKES = str(Path(__file__).resolve().parent / "fakes")
DBAPI_FLAGS = ("--backend", "dbapi", "--iris-host", "localhost", "--iris-port", "1972",
               "--iris-namespace", "USER", "--iris-user", "_SYSTEM", "--iris-password", "SYS")


def fake_iris_env(data: Path) -> dict:
    return {
        "PYTHONPATH": os.pathsep.join([FAKES, os.environ.get("PYTHONPATH", "")]),
        "FAKE_IRIS_DATA": str(data),
        "FAKE_IRIS_EMBEDDED": "0",
        "FAKE_IRIS_LOCK_TIMEOUT": "3",
        # Two IRIS users: alice may do anything, bob only SELECT.
        "FAKE_IRIS_USERS": "alice:alice-pw:all,bob:bob-pw:select",
    }


@pytest.fixture
def passthrough(gateway_factory, tmp_path, pki):  # noqa: F811
    hba = write_hba(tmp_path / "hba", "hostssl all all 127.0.0.1/32 password")
    return gateway_factory(*DBAPI_FLAGS, "--hba-file", hba, "--tls-cert", str(pki.server_cert),
                           "--tls-key", str(pki.server_key), env=fake_iris_env(tmp_path / "iris"))


def test_iris_users_get_their_own_privileges(passthrough, table_name):
    with psycopg.connect(dsn(passthrough, "alice", "alice-pw", sslmode="require"), autocommit=True) as alice:
        alice.execute(f"CREATE TABLE {table_name} (id INT PRIMARY KEY, name VARCHAR(20))")
        alice.execute(f"INSERT INTO {table_name} VALUES (1, 'one')")
    with psycopg.connect(dsn(passthrough, "bob", "bob-pw", sslmode="require"), autocommit=True) as bob:
        assert bob.execute(f"SELECT name FROM {table_name}").fetchall() == [("one",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
            bob.execute(f"INSERT INTO {table_name} VALUES (2, 'two')")
        assert "not privileged" in str(info.value)
        # The session is still usable after the refusal.
        assert bob.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (1,)
    log = passthrough.log()
    assert "alice-pw" not in log and "bob-pw" not in log


@pytest.mark.parametrize("user,password", [("alice", "bob-pw"), ("mallory", "alice-pw")])
def test_iris_refuses_wrong_password_or_unknown_user(passthrough, user, password):
    assert f'password authentication failed for user "{user}"' in login_error(
        dsn(passthrough, user, password, sslmode="require"))
    assert login_code(passthrough, user, password, ssl="require") == "28P01"
    # A refused login does not stop the others (no backoff on IRIS's health).
    with psycopg.connect(dsn(passthrough, "alice", "alice-pw", sslmode="require")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)

