"""pgcli (Debian's pgcli, on psycopg 3) non-interactively: statements on standard input,
as `pgcli ... < script.sql` does, with its default settings in a fresh HOME, on
PostgreSQL 15 and the gateway. pgcli has no bound parameters of its own.

pgcli refreshes its completions in a background thread on connect (search_path, schemas,
tables, functions, types from pg_catalog) and `pgcli -l` lists pg_database: both need
the catalog on the gateway."""

from __future__ import annotations

import subprocess

import pytest

from harness import deb_version, env_for, need

CLIENT = "pgcli"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"{deb_version('pgcli')} (Debian)"


def pgcli(target, tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    exe = need("pgcli", "pgcli")
    env = env_for(target, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"))
    return subprocess.run([exe, "-h", target.host, "-p", str(target.port), "-U", target.user, "-w",
                           *args], input=stdin, capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def script_run(program_cache, target, tmp_path_factory):
    """One pgcli run per target (pgcli takes seconds to start)."""
    return program_cache.get(("pgcli", target.name), lambda: run_script(target, tmp_path_factory))


def run_script(target, tmp_path_factory):
    t = "t_pgcli"
    return pgcli(target, tmp_path_factory.mktemp("pgcli"), "-d", target.dbname, "--less-chatty", stdin=(
        "select 1 as one, 'x' as two, 2.50::numeric(4,2) as n, '2024-02-29'::date as d;\n"
        f"create table {t} (id int primary key, name text);\n"
        "begin;\n"
        f"insert into {t} values (1, 'gone');\n"
        "rollback;\n"
        f"insert into {t} values (2, 'kept');\n"
        f"select count(*) as rows_left from {t};\n"
        "select 1/0;\n"
        "select 'still here' as after_error;\n"
    ))


def test_statements_from_stdin(script_run):
    out = script_run.stdout
    assert script_run.returncode == 0, script_run.stderr
    assert "| one | two | n    | d          |" in out
    assert "| 1   | x   | 2.50 | 2024-02-29 |" in out
    assert "ROLLBACK" in out


def test_transaction_rollback(script_run):
    assert "| rows_left |" in script_run.stdout and "| 1         |" in script_run.stdout


def test_error_and_continued_use(script_run):
    assert "division by zero" in script_run.stdout
    assert "| still here  |" in script_run.stdout


def test_completion_refresh(request, target, script_run):
    assert "Traceback" not in script_run.stderr, script_run.stderr


def test_list_databases(request, target, tmp_path):
    r = pgcli(target, tmp_path, "-l")
    assert r.returncode == 0, r.stderr
    assert "| postgres " in r.stdout
