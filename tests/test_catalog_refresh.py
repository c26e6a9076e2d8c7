"""When the catalog changes: DDL through the gateway shows up in every session's next
catalog query; changes made behind the gateway's back show up after --catalog-refresh;
a query mixing catalog relations and tables is refused with 0A000."""

from __future__ import annotations

import sqlite3
import time

import psycopg
import pytest


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind = 'r' order by 1").fetchall()]


def test_ddl_in_one_session_is_seen_by_another(gateway_factory):
    gw = gateway_factory()
    with psycopg.connect(gw.dsn, autocommit=True) as a, psycopg.connect(gw.dsn, autocommit=True) as b:
        assert _tables(b) == []
        a.execute("create table seen_by_b (id int primary key)")
        assert _tables(b) == ["seen_by_b"]
        with a.transaction():
            a.execute("create table after_commit (id int)")
        assert _tables(b) == ["after_commit", "seen_by_b"]
        a.execute("drop table seen_by_b")
        assert _tables(b) == ["after_commit"]


def test_changes_behind_the_gateway_after_catalog_refresh(gateway_factory):
    gw = gateway_factory("--catalog-refresh", "1")
    with psycopg.connect(gw.dsn, autocommit=True) as c:
        assert _tables(c) == []
        outside = sqlite3.connect(gw.sqlite_path)
        outside.execute("create table made_outside (x integer)")
        outside.commit()
        outside.close()
        deadline = time.monotonic() + 10
        while _tables(c) != ["made_outside"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _tables(c) == ["made_outside"]


def test_catalog_and_user_tables_in_one_query_is_0a000(gateway):
    with psycopg.connect(gateway.dsn, autocommit=True) as c:
        c.execute("create table if not exists mixed_t (id int)")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            c.execute("select * from mixed_t, pg_catalog.pg_class")
    assert "catalog" in str(e.value)
