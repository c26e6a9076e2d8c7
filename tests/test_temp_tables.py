"""Temporary tables belong to the session that made them, as in PostgreSQL: with
transaction pooling the backend connection they live on would otherwise serve other
sessions (which then saw them, or failed to create their own of the same name), and the
session itself could lose them to another connection. Found by node-postgres's and
pg8000's own suites (bench/conformance: "relation ... already exists")."""

from __future__ import annotations

import psycopg
import pytest


def test_temp_table_is_the_sessions_own(target, table_name):
    a = psycopg.connect(target.dsn, autocommit=True)
    b = psycopg.connect(target.dsn, autocommit=True)
    try:
        a.execute(f"create temporary table {table_name} (x int)")
        a.execute(f"insert into {table_name} values (1)")
        # While `a` is idle, `b` takes a backend connection for a transaction: it must
        # not find a's table there.
        with pytest.raises(psycopg.errors.UndefinedTable):
            with b.transaction():
                b.execute(f"select x from {table_name}")
        assert a.execute(f"select x from {table_name}").fetchall() == [(1,)]
        with b.transaction():
            b.execute(f"create temporary table {table_name} (y text)")
            b.execute(f"insert into {table_name} values ('b')")
        assert a.execute(f"select x from {table_name}").fetchall() == [(1,)]
        assert b.execute(f"select y from {table_name}").fetchall() == [("b",)]
    finally:
        a.close()
        b.close()


def test_temp_table_ends_with_its_session(target, table_name):
    for _ in range(3):  # each session makes the table afresh
        with psycopg.connect(target.dsn, autocommit=True) as c:
            c.execute(f"create temp table {table_name} (x int)")
            c.execute(f"insert into {table_name} values (1)")
            assert c.execute(f"select count(*) from {table_name}").fetchone() == (1,)
    with psycopg.connect(target.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute(f"select x from {table_name}")
