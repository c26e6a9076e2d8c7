"""psql's describe commands on the gateway give PostgreSQL 15's rows.

Two schemas on a fresh PostgreSQL 15 and a fresh gateway (sqlite backend): tables
with a serial key, a composite primary key, foreign keys (within a schema, and from
each schema to the other), a unique constraint, a unique and a multi-column index,
defaults, NOT NULL, a view, comments on a table and a column. psql runs with -X -A -t
(rows only); OIDs, sizes, owners and access privileges are left out of the comparison.
"""

from __future__ import annotations

import pytest

from helpers.clients import psql
from helpers.gateway import GatewayProcess, stop_checked
from helpers.pgcluster import PgCluster
from helpers.targets import Target

PUBLIC_SCHEMA = """
create table dept (id serial primary key, name varchar(40) not null unique, budget numeric(12,2) default 0);
create table emp (id integer not null, dept_id integer references dept(id), seq integer not null,
                  email text, active boolean default true, primary key (id, seq));
create unique index emp_email on emp (email);
create index emp_dept_seq on emp (dept_id, seq);
create view emp_view as select id, email from emp;
comment on table dept is 'departments';
comment on column dept.name is 'dept name';
"""
# The second schema; `refund` (public) references sales.orders.
SALES_SCHEMA = """
create schema sales;
create table sales.orders (id serial primary key, dept_id integer not null references dept(id),
                           emp_id integer, emp_seq integer, total numeric(10,2) default 0,
                           foreign key (emp_id, emp_seq) references emp (id, seq));
create table sales.item (order_id integer references sales.orders(id), sku text, qty integer default 1,
                         primary key (order_id, sku));
create index orders_total on sales.orders (total);
create view sales.big_orders as select id, total from sales.orders;
create table refund (id integer primary key, order_id integer references sales.orders(id));
comment on table sales.orders is 'orders';
comment on column sales.item.qty is 'how many';
"""
SCHEMA = PUBLIC_SCHEMA + ";" + SALES_SCHEMA


@pytest.fixture(scope="module")
def both():
    """A fresh PostgreSQL 15 and a fresh gateway holding SCHEMA (nothing else in them)."""
    cluster = PgCluster()
    cluster.start()
    gw_proc = GatewayProcess().start()
    try:
        pg = Target("pg15", cluster.host, cluster.port, cluster.dsn, user=cluster.user)
        gw = Target("gateway", gw_proc.host, gw_proc.port, gw_proc.dsn, process=gw_proc)
        for t in (pg, gw):
            for stmt in [s for s in SCHEMA.split(";") if s.strip()]:
                r = psql(t, "-c", stmt)
                assert r.returncode == 0, (t.name, stmt, r.stderr)
        yield pg, gw
    finally:
        stop_checked(gw_proc)
        cluster.stop()


def _rows(target, command: str) -> list[list[str]]:
    r = psql(target, "-c", command)
    assert r.returncode == 0, f"{target.name} {command}: {r.stderr}"
    return [line.split("|") for line in r.stdout.splitlines() if line]


# command -> columns to compare (None: all)
COMMANDS = {
    r"\l": [0, 2, 3, 4, 6],
    r"\dn": [0],
    r"\dt": [0, 1, 2],
    r"\dt+": [0, 1, 2, 4, 5, 7],
    r"\dv": [0, 1, 2],
    r"\di": [0, 1, 2, 4],
    r"\ds": [0, 1, 2],
    r"\df": None,
    r"\du": [0],
    r"\d dept": None,
    r"\d+ dept": None,
    r"\d emp": None,
    r"\d+ emp": None,
    r"\d emp_view": None,
    r"\dt sales.*": [0, 1, 2],
    r"\dt *.o*": [0, 1, 2],
    r"\dt public.*": [0, 1, 2],
    r"\dv sales.*": [0, 1, 2],
    r"\di sales.*": [0, 1, 2, 4],
    r"\ds sales.*": [0, 1, 2],
    r"\d sales.orders": None,
    r"\d+ sales.orders": None,
    r"\d+ sales.item": None,
    r"\d refund": None,
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_psql_describe_matches_postgres(both, command):
    pg, gw = both
    keep = COMMANDS[command]

    def cut(rows):
        return [[r[i] for i in keep if i < len(r)] if keep else r for r in rows]

    expected = cut(_rows(pg, command))
    assert expected or command in (r"\df",), "the reference shows rows"
    assert cut(_rows(gw, command)) == expected


@pytest.mark.parametrize("command", [r"\d dept", r"\d emp", r"\d+ emp", r"\d emp_view", r"\d sales.orders",
                                     r"\d sales.item", r"\d refund", r"\d sales.big_orders"])
def test_psql_describe_footers_match_postgres(both, command):
    """The full \\d output: title, columns, and the footers (indexes with their
    definitions, foreign keys, referenced by, view definition left out)."""
    pg, gw = both

    def full(target):
        r = psql(target, "-P", "tuples_only=off", "-c", command)
        assert r.returncode == 0, f"{target.name} {command}: {r.stderr}"
        lines = r.stdout.splitlines()
        # The view's definition text is the backend's own SQL, not PostgreSQL's normal form.
        if "View definition:" in lines:
            lines = lines[: lines.index("View definition:")]
        return lines

    assert full(gw) == full(pg)


@pytest.mark.parametrize("command", [r"\dT", r"\dx", r"\dp", r"\d+ emp_view", r"\dc", r"\do", r"\dy", r"\sv emp_view",
                                     r"\d pg_namespace", r"\dv information_schema.*", r"\dt pg_catalog.pg_cl*"])
def test_psql_other_commands_run(both, command):
    """More describe commands run on the gateway (their rows are not compared: system
    objects and collations of the catalog itself differ from PostgreSQL's)."""
    _, gw = both
    _rows(gw, command)
