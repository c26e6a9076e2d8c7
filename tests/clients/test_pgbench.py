"""pgbench 15 (Debian's postgresql-client-15) on PostgreSQL 15 and the gateway: the
built-in select-only script (-S) in the simple, extended and prepared query modes, and a
custom script with \\set and a transaction. `pgbench -i` loads its tables with COPY, so the
tables are made here with plain SQL (scale 1: one branch, a few accounts); -n skips the
VACUUM of the tables pgbench -i would have made."""

from __future__ import annotations

import pytest

from harness import deb_version
from helpers.clients import PGBENCH_UPDATE_SELECT, pgbench, psql
from helpers.clients import pgbench_processed as processed

CLIENT = "pgbench"
IRIS_DOUBLES = True
ACCOUNTS = 50


def client_version() -> str:
    return f"{deb_version('postgresql-client-15')} (Debian)"


@pytest.fixture
def tables(program_cache, target):
    def make():
        values = ", ".join(f"({i}, 1, 0, '')" for i in range(1, ACCOUNTS + 1))
        r = psql(target, "-c", "drop table if exists pgbench_accounts, pgbench_branches",
                 "-c", "create table pgbench_branches (bid int primary key, bbalance int, filler char(88))",
                 "-c", "insert into pgbench_branches values (1, 0, '')",
                 "-c", "create table pgbench_accounts (aid int primary key, bid int, abalance int, "
                       "filler char(84))",
                 "-c", f"insert into pgbench_accounts values {values}")
        assert r.returncode == 0, r.stderr
        return True
    return program_cache.get(("pgbench-tables", target.name), make)


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_select_only_builtin(tables, target, mode):
    assert processed(pgbench(target, "-n", "-S", "-M", mode, "-c", "2", "-t", "25")) == (50, 50)


def test_custom_script(tables, target, tmp_path):
    script = tmp_path / "bench.sql"
    script.write_text(PGBENCH_UPDATE_SELECT.format(accounts=ACCOUNTS))
    assert processed(pgbench(target, "-n", "-f", str(script), "-M", "prepared", "-c", "2",
                             "-t", "20")) == (40, 40)


def test_initialize(request, target):
    r = pgbench(target, "-i", "-s", "1", "-q")
    assert r.returncode == 0, r.stderr
