"""Operating the gateway (issue 23): Prometheus /metrics checked against pgbench's own
counts, errors by SQLSTATE, /healthz, pg_stat_activity / pg_backend_pid /
pg_terminate_backend with psycopg, the admin console with psql and psycopg, and the
JSON log with slow statements. Every check drives the real server with real clients."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import asyncpg
import psycopg
import pytest

from helpers.clients import PGBENCH_UPDATE_SELECT, pgbench, pgbench_processed, psql
from helpers.metrics import get, metrics_port, scrape, value
from helpers.targets import Target

ACCOUNTS = 20


def target_of(gw, user: str = "postgres", dbname: str = "postgres") -> Target:
    return Target("gateway", gw.host, gw.port, f"postgresql://{user}@{gw.host}:{gw.port}/{dbname}",
                  user=user, dbname=dbname, process=gw)


def connect(gw, user: str = "postgres", dbname: str = "postgres", **kw) -> psycopg.Connection:
    return psycopg.connect(host=gw.host, port=gw.port, user=user, dbname=dbname, **kw)


@pytest.fixture
def ops_gateway(gateway_factory):
    gw = gateway_factory("--metrics-port", "0", "--admin-users", "admin,boss")
    gw.metrics = metrics_port(gw.log())
    return gw


def test_metrics_match_pgbench_counts(ops_gateway, tmp_path):
    gw = ops_gateway
    values = ", ".join(f"({i}, 1, 0, '')" for i in range(1, ACCOUNTS + 1))
    r = psql(target_of(gw), "-c", "create table pgbench_accounts (aid int primary key, bid int, abalance int, "
                                  "filler char(84))", "-c", f"insert into pgbench_accounts values {values}")
    assert r.returncode == 0, r.stderr
    script = tmp_path / "bench.sql"
    script.write_text(PGBENCH_UPDATE_SELECT.format(accounts=ACCOUNTS))
    before = scrape(gw.metrics)
    # Scrapes while pgbench runs: the endpoint answers under load, sessions show up.
    during: list[dict] = []
    done = threading.Event()

    def scraper():
        while not done.is_set():
            during.append(scrape(gw.metrics))
            time.sleep(0.05)

    t = threading.Thread(target=scraper)
    t.start()
    try:
        r = pgbench(target_of(gw), "-n", "-f", str(script), "-M", "prepared", "-c", "2", "-t", "30")
    finally:
        done.set()
        t.join()
    xacts, asked = pgbench_processed(r)
    assert xacts == asked == 60
    after = scrape(gw.metrics)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # pgbench's transactions, statement by statement, under their command tags.
    assert delta("iris_pgwire_queries_total", command="BEGIN") == xacts
    assert delta("iris_pgwire_queries_total", command="UPDATE") == xacts
    assert delta("iris_pgwire_queries_total", command="SELECT") == xacts
    assert delta("iris_pgwire_queries_total", command="COMMIT") == xacts
    assert delta("iris_pgwire_query_duration_seconds_count") >= 4 * xacts
    assert delta("iris_pgwire_query_phase_seconds_count", phase="backend") >= 4 * xacts
    assert delta("iris_pgwire_query_phase_seconds_sum", phase="backend") > 0
    assert delta("iris_pgwire_query_phase_seconds_count", phase="translate") > 0
    assert delta("iris_pgwire_received_bytes_total") > 0 and delta("iris_pgwire_sent_bytes_total") > 0
    assert delta("iris_pgwire_connections_accepted_total") >= 2
    assert delta("iris_pgwire_pool_wait_seconds_count") >= xacts
    errors = [k for k in after if k[0] == "iris_pgwire_errors_total" and after[k] != before.get(k, 0.0)]
    assert errors == [], errors
    assert during, "no scrape finished while pgbench ran"
    states = ("active", "idle", "idle in transaction", "waiting")
    busiest = max(sum(value(s, "iris_pgwire_client_connections", state=st) for st in states) for s in during)
    assert busiest >= 1
    # Idle again: the gauges say so.
    idle = scrape(gw.metrics)
    assert value(idle, "iris_pgwire_client_connections", state="active") == 0
    assert value(idle, "iris_pgwire_backend_connections", state="busy") == 0
    assert value(idle, "iris_pgwire_backend_connections", state="idle") >= 1


def test_errors_counted_by_sqlstate(ops_gateway):
    gw = ops_gateway
    before = scrape(gw.metrics)
    with connect(gw, autocommit=True) as c:
        for _ in range(2):
            with pytest.raises(psycopg.errors.UndefinedTable):
                c.execute("select * from no_such_table")
        with pytest.raises(psycopg.errors.DivisionByZero):
            c.execute("select 1 / 0")
        with pytest.raises(psycopg.errors.SyntaxError):
            c.execute("selec 1")
    after = scrape(gw.metrics)
    for state, n in (("42P01", 2), ("22012", 1), ("42601", 1)):
        got = value(after, "iris_pgwire_errors_total", sqlstate=state) - value(before, "iris_pgwire_errors_total", sqlstate=state)
        assert got == n, (state, got)


def test_healthz_and_unknown_paths(ops_gateway):
    status, _, body = get(ops_gateway.metrics, "/healthz")
    assert (status, body) == (200, "ok\n")
    assert get(ops_gateway.metrics, "/nothing")[0] == 404


@pytest.mark.parametrize("backend", ["embedded", "dbapi"])
def test_healthz_on_the_iris_doubles(backend, tmp_path):
    from test_iris_e2e import Server

    server = Server(backend, tmp_path, "--metrics-port", "0")
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("metrics at" in line for line in server.lines):
            time.sleep(0.05)
        port = metrics_port("".join(server.lines))
        assert get(port, "/healthz")[:1] == (200,)
        with server.connect(autocommit=True) as c:
            c.execute("select 1")
        assert value(scrape(port), "iris_pgwire_queries_total", command="SELECT") >= 1
    finally:
        server.stop()


def test_pg_stat_activity_shows_live_sessions(ops_gateway):
    gw = ops_gateway
    with connect(gw, application_name="ops-a") as a, connect(gw, autocommit=True) as b:
        a_pid = a.info.backend_pid
        # pg_backend_pid() is the BackendKeyData pid, and the key of pg_stat_activity.
        assert a.execute("select pg_backend_pid()").fetchone()[0] == a_pid
        a.execute("select %s::int", (42,))
        row = b.execute(
            "select usename, application_name, client_addr, client_port, state, query, "
            "backend_start is not null, xact_start is not null, query_start >= backend_start, "
            "state_change is not null, wait_event from pg_stat_activity where pid = %s", (a_pid,)).fetchone()
        assert row[0] == "postgres" and row[1] == "ops-a" and row[2] == "127.0.0.1" and row[3] > 0
        # psycopg opened a transaction (autocommit off): idle in it, its last statement shown
        # without the parameter's value.
        assert row[4:] == ("idle in transaction", "select $1::int", True, True, True, True, None)
        own = b.execute("select state, query from pg_stat_activity where pid = pg_backend_pid()").fetchone()
        assert own == ("active", "select state, query from pg_stat_activity where pid = pg_backend_pid()")
        a.commit()
        state, xact = b.execute("select state, xact_start from pg_stat_activity where pid = %s", (a_pid,)).fetchone()
        assert (state, xact) == ("idle", None)
        # SET application_name follows.
        a.execute("set application_name = 'ops-a2'")
        a.commit()
        names = b.execute("select application_name from pg_stat_activity where pid = %s", (a_pid,)).fetchone()
        assert names == ("ops-a2",)
        # pg_stat_database counts the sessions of each database.
        n = b.execute("select numbackends, xact_commit > 0 from pg_stat_database where datname = 'postgres'").fetchone()
        assert n == (2, True)


def test_terminate_and_cancel_backend(ops_gateway):
    gw = ops_gateway
    with connect(gw, user="alice", autocommit=True) as a, connect(gw, user="bob", autocommit=True) as b, \
            connect(gw, user="alice", autocommit=True) as a2:
        # Another user's session: refused as PostgreSQL refuses it.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            b.execute("select pg_terminate_backend(%s)", (a.info.backend_pid,))
        assert b.execute("select pg_terminate_backend(999999999)").fetchone() == (False,)
        assert a2.execute("select pg_cancel_backend(%s)", (a.info.backend_pid,)).fetchone() == (True,)
        # The same user may end its own sessions; the victim gets FATAL 57P01.
        assert a2.execute("select pg_terminate_backend(%s)", (a.info.backend_pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError) as err:
            for _ in range(50):
                a.execute("select 1")
                time.sleep(0.05)
        assert getattr(err.value, "sqlstate", None) == "57P01" or "administrator command" in str(err.value)
        # An admin user may end anybody's.
        with connect(gw, user="admin", autocommit=True) as adm:
            pids = [r[0] for r in adm.execute("select pid from pg_stat_activity where usename = 'bob'")]
            assert pids == [b.info.backend_pid]
            assert adm.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                               "where usename = 'bob'").fetchall() == [(True,)]
        with pytest.raises(psycopg.OperationalError):
            for _ in range(50):
                b.execute("select 1")
                time.sleep(0.05)
    assert value(scrape(gw.metrics), "iris_pgwire_sessions_terminated_total") == 2


def console(gw, sql: str, user: str = "admin"):
    r = psql(target_of(gw, user, "iris_pgwire"), "-c", sql)
    assert r.returncode == 0, r.stderr
    return [line.split("|") for line in r.stdout.splitlines() if line]


def test_admin_console(ops_gateway):
    gw = ops_gateway
    with connect(gw, user="app", application_name="worker-1", autocommit=True) as one, \
            connect(gw, user="app", application_name="worker-2") as two:
        two.execute("select 1")  # idle in transaction
        clients = {int(r[8]): r for r in console(gw, "SHOW CLIENTS")}
        assert set(clients) == {one.info.backend_pid, two.info.backend_pid}
        assert clients[one.info.backend_pid][9] == "worker-1"
        assert clients[two.info.backend_pid][10] == "idle in transaction"
        assert all(r[:4] == ["C", "app", "postgres", "active"] for r in clients.values())
        pools = console(gw, "SHOW POOLS")
        assert pools[0][:4] == ["*", "*", "2", "0"] and pools[0][-1] == "transaction"
        # psycopg (extended protocol) gets the same, with PgBouncer's column names.
        with connect(gw, user="boss", dbname="iris_pgwire", autocommit=True) as adm:
            cur = adm.execute("SHOW POOLS")
            assert [d.name for d in cur.description][:6] == ["database", "user", "cl_active", "cl_waiting",
                                                            "sv_active", "sv_idle"]
            assert cur.fetchone()[2] == 2
            stats = adm.execute("SHOW STATS")
            row = dict(zip([d.name for d in stats.description], stats.fetchone()))
            assert row["total_query_count"] >= 2 and row["total_received"] > 0
            config = dict((r[0], r[1]) for r in adm.execute("SHOW CONFIG"))
            assert config["admin_users"] == "admin,boss" and config["pool_size"] == "50"
            assert adm.execute("SHOW VERSION").fetchone()[0].startswith("iris-pgwire ")
            adm.execute("RELOAD")
            with pytest.raises(psycopg.errors.SyntaxError):
                adm.execute("SHOW NOTHING")
            adm.execute(f"KILL {two.info.backend_pid}")
        with pytest.raises(psycopg.OperationalError):
            for _ in range(50):
                two.execute("select 1")
                time.sleep(0.05)
        assert [int(r[8]) for r in console(gw, "SHOW CLIENTS")] == [one.info.backend_pid]
    # Not an admin: 28000, as PostgreSQL refuses a role (psql says why, psycopg the SQLSTATE).
    r = psql(target_of(gw, "app", "iris_pgwire"), "-c", "SHOW POOLS")
    assert r.returncode != 0 and 'role "app" is not permitted' in r.stderr, r.stderr
    assert login_error(gw, "app", "iris_pgwire") == ("28000", 'role "app" is not permitted to use the admin '
                                                               'console (not in --admin-users)')


def login_error(gw, user: str, database: str) -> tuple[str, str] | None:
    """(SQLSTATE, message) asyncpg reports for a refused login; None if admitted."""
    async def run():
        try:
            conn = await asyncpg.connect(host=gw.host, port=gw.port, user=user, database=database)
        except asyncpg.PostgresError as e:
            return e.sqlstate, str(e)
        await conn.close()
        return None

    return asyncio.run(run())


def test_no_console_without_admin_users(gateway):
    assert login_error(gateway, "postgres", "iris_pgwire") == ("3D000", 'database "iris_pgwire" does not exist')


def test_json_log_with_slow_statements(gateway_factory):
    gw = gateway_factory("--log-format", "json", "--log-min-duration-statement", "0", "--log-parameters")
    with connect(gw, user="carol", application_name="json-app", autocommit=True) as c:
        c.execute("select %s::text as v", ("secret-ish",))
        c.execute("create table t_json (a int)")
        pid = c.info.backend_pid
    time.sleep(0.2)
    lines = [json.loads(line) for line in gw.log().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    mine = [line for line in lines if line.get("session_id") == pid]
    assert mine, lines
    # Every line of the session says who it is.
    assert all(line["user"] == "carol" and line["application"] == "json-app"
               and line["client"].startswith("127.0.0.1:") for line in mine if "user" in line)
    slow = [line["message"] for line in mine if line["message"].startswith("duration: ")]
    assert any("statement: select $1::text as v" in m and "$1 = 'secret-ish'" in m for m in slow), slow
    assert any("statement: create table t_json (a int)" in m for m in slow), slow


def test_slow_log_hides_parameters_by_default(gateway_factory):
    gw = gateway_factory("--log-min-duration-statement", "0")
    with connect(gw, autocommit=True) as c:
        c.execute("select %s::text", ("hidden-value",))
    time.sleep(0.2)
    log = gw.log()
    assert "duration: " in log and "statement: select $1::text" in log
    assert "hidden-value" not in log


@pytest.mark.parametrize("level, shown", [("debug", True), ("info", False)])
def test_log_level_reaches_the_rust_core(gateway_factory, level, shown):
    # The core drops records below --log-level before Python sees them (a per-statement
    # saving); --log-level debug must still bring its debug records through.
    gw = gateway_factory("--log-level", level)
    with connect(gw, autocommit=True) as c:
        c.execute("select 1")
    time.sleep(0.2)
    assert ("checking out a backend connection" in gw.log()) is shown
