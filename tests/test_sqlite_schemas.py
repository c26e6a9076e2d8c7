"""A second schema: CREATE SCHEMA, tables in it, qualified queries, a foreign key from
one schema to the other, DROP SCHEMA, and PostgreSQL's errors, the same on
PostgreSQL 15 and on the gateway's sqlite backend (file and in-memory database)."""

from __future__ import annotations

import uuid

import psycopg
import pytest


def _schema() -> str:
    return f"s_{uuid.uuid4().hex[:8]}"


def _walk(conn, s: str) -> list:
    """The statements a user runs in a new schema; returns what the queries answered."""
    seen = []
    conn.execute(f"create schema {s}")
    conn.execute(f"create table {s}.dept (id serial primary key, name text not null unique)")
    conn.execute(f"create table {s}_emp (id int primary key, dept_id int references {s}.dept (id))")
    conn.execute(f"create index emp_by_dept on {s}.dept (name)")
    # The catalog follows the DDL at once (namespace, tables, the index in its schema).
    seen.append(conn.execute(
        "select n.nspname, c.relname, c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n "
        "on n.oid = c.relnamespace where n.nspname = %s order by 2", (s,)).fetchall())
    conn.execute(f"insert into {s}.dept (name) values ('ops'), ('dev')")
    conn.execute(f"insert into {s}_emp values (1, 2)")
    seen.append(conn.execute(
        f"select {s}.dept.name, e.id from {s}.dept join {s}_emp e on e.dept_id = {s}.dept.id").fetchall())
    seen.append(conn.execute(f"select {s}.dept.* from {s}.dept order by id").fetchall())
    conn.execute(f"update {s}.dept set name = 'eng' where id = 2")
    # numeric(p,s) columns of a schema's table round as PostgreSQL stores them.
    conn.execute(f"create table {s}.price (v numeric(6,2))")
    conn.execute(f"insert into {s}.price values (1.005), (2.5)")
    seen.append(conn.execute(f"select v::text from {s}.price order by v").fetchall())
    conn.execute(f"drop table {s}.price")
    seen.append(conn.execute(f"select name from {s}.dept where id = 2").fetchall())
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(f"insert into {s}_emp values (2, 99)")
    with pytest.raises(psycopg.errors.DependentObjectsStillExist):
        conn.execute(f"drop schema {s}")
    conn.execute(f"drop table {s}_emp")
    conn.execute(f"drop index {s}.emp_by_dept")
    conn.execute(f"drop table {s}.dept")
    conn.execute(f"drop schema {s}")
    seen.append(conn.execute("select nspname from pg_catalog.pg_namespace where nspname = %s", (s,)).fetchall())
    with pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute(f"select * from {s}.dept")
    return seen


def _expected(s: str) -> list:
    catalog = [(s, "dept", "r"), (s, "dept_id_seq", "S"), (s, "dept_name_key", "i"), (s, "dept_pkey", "i"),
               (s, "emp_by_dept", "i")]
    return [catalog, [("dev", 1)], [(1, "ops"), (2, "dev")], [("1.01",), ("2.50",)], [("eng",)], []]


def test_second_schema_matches_postgres(target):
    s = _schema()
    with psycopg.connect(target.dsn, autocommit=True) as c:
        assert _walk(c, s) == _expected(s)


def test_second_schema_in_memory_database(gateway_factory):
    gw = gateway_factory("--sqlite-path", ":memory:")
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        s = _schema()
        assert _walk(c, s) == _expected(s)


def test_schema_errors_match_postgres(target):
    s = _schema()
    with psycopg.connect(target.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.InvalidSchemaName):
            c.execute(f"create table {s}.t (id int)")
        with pytest.raises(psycopg.errors.InvalidSchemaName):
            c.execute(f"drop schema {s}")
        c.execute(f"drop schema if exists {s}")
        c.execute(f"create schema {s}")
        with pytest.raises(psycopg.errors.DuplicateSchema):
            c.execute(f"create schema {s}")
        c.execute(f"create schema if not exists {s}")
        with pytest.raises(psycopg.errors.DuplicateSchema):
            c.execute("create schema public")
        with pytest.raises(psycopg.errors.ReservedName):
            c.execute("create schema pg_mine")
        c.execute(f"create table {s}.t (id int)")
        with pytest.raises(psycopg.errors.DuplicateTable):
            c.execute(f"create table {s}.t (id int)")
        # The same name in another schema is another table.
        c.execute(f"create table {s}_t2 (id int)")
        # RENAME keeps the table in its schema; ANALYZE names it qualified.
        c.execute(f"alter table {s}.t rename to t3")
        c.execute(f"vacuum analyze {s}.t3")
        assert c.execute(f"select count(*) from {s}.t3").fetchall() == [(0,)]
        c.execute(f"drop table {s}.t3")
        c.execute(f"drop table {s}_t2")
        c.execute(f"drop schema {s}")


def test_schema_ddl_in_a_transaction_rolls_back(target):
    s = _schema()
    with psycopg.connect(target.dsn) as c:
        c.execute(f"create schema {s}")
        c.execute(f"create table {s}.t (id int)")
        c.rollback()
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute(f"select * from {s}.t")
        c.rollback()
        c.execute(f"create schema {s}")  # the schema went with the rollback too
        c.commit()
        c.execute(f"drop schema {s}")
        c.commit()
