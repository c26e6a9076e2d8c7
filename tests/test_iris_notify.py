"""NOTIFY from code inside IRIS to the gateway's listeners, end to end over the IRIS doubles:
the gateway (embedded and dbapi backends) takes what IRIS code queued with
``iris_pgwire.notify()`` (embedded Python, another IRIS job: a process of its own with the
fake ``iris`` module) or with the SQL that ``##class(IrisPGWire.Notify).Send()`` runs, and
a psycopg session that LISTENs receives it; a rolled-back IRIS transaction sends nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from helpers.objectscript import check_package, parse_class
from iris_pgwire import iris_notify
from test_iris_e2e import FAKES, Server

ROOT = Path(__file__).resolve().parent.parent
NOTIFY_CLS = ROOT / "ipm" / "src" / "cls" / "IrisPGWire" / "Notify.cls"


def iris_job(server: Server, code: str) -> str:
    """Run Python `code` as IRIS code would: a process of its own on the same instance (the
    embedded fake when the gateway is embedded; a DB-API client of the instance for dbapi)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([FAKES, os.environ.get("PYTHONPATH", "")]),
               FAKE_IRIS_DATA=str(server.data), FAKE_IRIS_LOCK_TIMEOUT="3")
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def cls_parameter(name: str) -> str:
    m = re.search(rf'^Parameter {name} = "((?:[^"]|"")*)";$', NOTIFY_CLS.read_text(), re.M)
    assert m, name
    return m.group(1).replace('""', '"')


@pytest.fixture(params=["embedded", "dbapi"])
def server(request, tmp_path):
    s = Server(request.param, tmp_path, "--iris-notify-interval", "0.1")
    s.backend = request.param
    yield s
    s.stop()


def listen(server: Server, channel: str) -> psycopg.Connection:
    c = server.connect(autocommit=True)
    c.execute(f'LISTEN "{channel}"')
    return c


def got(conn, timeout: float = 3.0, count: int | None = None) -> list[tuple[str, str, int]]:
    return [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=timeout, stop_after=count)]


# The IRIS side, as embedded Python inside IRIS (embedded) or an external DB-API client (dbapi).
EMBEDDED_SEND = """
    import os, iris, iris_pgwire
    iris.sql.exec("START TRANSACTION")
    iris_pgwire.notify("Orders", "rolled back")
    iris.sql.exec("ROLLBACK")
    iris.sql.exec("START TRANSACTION")
    iris_pgwire.notify("Orders", "one")
    iris_pgwire.notify("Orders")
    iris.sql.exec("COMMIT")
    iris_pgwire.notify("Orders", "autocommit é")
    print(os.getpid())
"""
DBAPI_SEND = """
    import os, iris, iris_pgwire
    conn = iris.dbapi.connect(hostname="localhost", port=1972, namespace="USER", username="_SYSTEM", password="SYS")
    conn.setAutoCommit(False)
    iris_pgwire.notify("Orders", "rolled back", connection=conn)
    conn.rollback()
    iris_pgwire.notify("Orders", "one", connection=conn)
    iris_pgwire.notify("Orders", connection=conn)
    conn.commit()
    conn.setAutoCommit(True)
    iris_pgwire.notify("Orders", "autocommit é", connection=conn)
    print(os.getpid())
"""


def test_python_entry_point_delivers_at_iris_commit(server):
    listener = listen(server, "Orders")
    with listener:
        pid = int(iris_job(server, EMBEDDED_SEND if server.backend == "embedded" else DBAPI_SEND))
        assert got(listener, count=3) == [("Orders", "one", pid), ("Orders", "", pid), ("Orders", "autocommit é", pid)]
        assert got(listener, timeout=0.5) == [], "the rolled-back notification never comes"
        # The queue is emptied, and hidden from the catalog.
        assert listener.execute("select count(*) from information_schema.tables "
                                "where table_name ilike 'pgwirenotification'").fetchone() == (0,)


def test_objectscript_send_sql_end_to_end(server):
    """What IrisPGWire.Notify.Send runs (its INSERTSQL and TABLEDDL parameters, the queue's
    definition shared with iris_notify.py), run by another IRIS job, reaches a listener."""
    assert cls_parameter("TABLEDDL") == iris_notify.CREATE_TABLE
    assert cls_parameter("INSERTSQL") == iris_notify.INSERT
    listener = listen(server, "os")
    with listener:
        iris_job(server, f"""
            import iris
            conn = iris.dbapi.connect(hostname="localhost", port=1972, namespace="USER", username="_SYSTEM", password="SYS")
            cur = conn.cursor()
            try:
                cur.execute({iris_notify.INSERT!r}, ("os", "x", 4242))
            except Exception as exc:
                assert "SQLCODE: <-30>" in str(exc), exc   # Send's -30 branch: create, retry
                cur.execute({iris_notify.CREATE_TABLE!r})
                cur.execute({iris_notify.INSERT!r}, ("os", "x", 4242))
            conn.commit()
        """)
        assert got(listener, count=1) == [("os", "x", 4242)]


def test_notify_checks_arguments_at_the_caller():
    for channel, payload, message in [("", "p", "channel name cannot be empty"),
                                      ("c" * 64, "p", "channel name too long"),
                                      ("c", "x" * 8000, "payload string too long")]:
        with pytest.raises(Exception) as err:
            iris_notify.notify(channel, payload, connection=object())
        assert (err.value.sqlstate, err.value.message) == ("22023", message)


def test_notify_class_structure():
    cf = parse_class(NOTIFY_CLS)
    assert cf.name == "IrisPGWire.Notify"
    assert cf.members.get("Send") == "ClassMethod"
    _, problems = check_package(NOTIFY_CLS.parent.parent)
    assert [p for p in problems if p.startswith("IrisPGWire.Notify")] == []
    body = cf.methods["Send"]
    # The same limits as pg_notify, and $JOB as the pid listeners see.
    for text in ("channel name cannot be empty", "channel name too long", "payload string too long",
                 "> 63", "> 7999", "$job", "-30", "-201"):
        assert text in body, text
