"""psql 15 (Debian's postgresql-client-15) running scripts as users write them, on
PostgreSQL 15 and the gateway: variables and interpolation (psql's parameters), \\gset,
\\if, \\watch, server text output of the common types, transactions, errors without
ON_ERROR_STOP, \\d (catalog) and \\copy (COPY). tests/test_psql.py covers -c/-f basics."""

from __future__ import annotations

import subprocess
import time

import pytest

from harness import deb_version, env_for, need

CLIENT = "psql"
IRIS_DOUBLES = True


def client_version() -> str:
    return f"{deb_version('postgresql-client-15')} (Debian)"


def psql_cmd(target, *args: str) -> list[str]:
    return [need("psql", "postgresql-client-15"), "-X", "-q", "-A", "-t", "-h", target.host,
            "-p", str(target.port), "-U", target.user, "-d", target.dbname, *args]


def run_script(target, tmp_path, text: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "script.sql"
    script.write_text(text)
    return subprocess.run(psql_cmd(target, *args, "-f", str(script)), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, env=env_for(target))


def test_variables_and_gset(target, tmp_path):
    r = run_script(target, tmp_path, """
\\set n 21
\\set word 'it''s'
select :n * 2 as answer, :'word' || '!' as quoted \\gset
\\echo answer=:answer quoted=:quoted
select :answer + 1;
select :answer > 40 as big \\gset
\\if :big
\\echo if-branch
\\endif
""", "-v", "ON_ERROR_STOP=1")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == ["answer=42 quoted=it's!", "43", "if-branch"]


def test_types_text_output(target, tmp_path, table_name):
    t = table_name
    r = run_script(target, tmp_path, f"""
create table {t} (id int4 primary key, b bool, i2 int2, i8 int8, f4 float4, f8 float8,
  n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp,
  tz timestamptz, u uuid, j jsonb);
set time zone 'UTC';
insert into {t} values (1, true, -32768, -9223372036854775808, 1.5, -2.25e-300, 12345.678,
  'héllo ☃ ''quoted''', 'varchar', '\\x00ff1027', '2024-02-29', '13:14:15.5',
  '2024-02-29 13:14:15.5', '2024-02-29 13:14:15.5+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{{"k": "v", "a": [1, 2, null]}}');
select * from {t};
""", "-v", "ON_ERROR_STOP=1")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [
        "1|t|-32768|-9223372036854775808|1.5|-2.25e-300|12345.678|héllo ☃ 'quoted'|varchar|"
        "\\x00ff1027|2024-02-29|13:14:15.5|2024-02-29 13:14:15.5|2024-02-29 13:14:15.5+00|"
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{"a": [1, 2, null], "k": "v"}']


def test_transaction_rollback(target, tmp_path, table_name):
    t = table_name
    r = run_script(target, tmp_path, f"""
create table {t} (id int primary key);
begin;
insert into {t} values (1);
rollback;
begin;
insert into {t} values (2);
commit;
select id from {t};
""", "-v", "ON_ERROR_STOP=1")
    assert (r.returncode, r.stdout.splitlines()) == (0, ["2"]), r.stderr


def test_error_sqlstate_and_continued_use(target, tmp_path, table_name):
    """Without ON_ERROR_STOP psql reports the error (SQLSTATE with VERBOSITY verbose) and
    goes on; :LAST_ERROR_SQLSTATE holds the code."""
    r = run_script(target, tmp_path, f"""
\\set VERBOSITY verbose
select * from {table_name}_missing;
\\echo state=:LAST_ERROR_SQLSTATE error=:ERROR
select 'after';
""")
    assert r.returncode == 0
    assert "ERROR:  42P01:" in r.stderr
    assert r.stdout.splitlines() == ["state=42P01 error=true", "after"]


def test_prepare_execute(target, tmp_path):
    r = run_script(target, tmp_path, """
prepare double_it (int) as select $1 * 2;
execute double_it (21);
execute double_it (5);
deallocate double_it;
""", "-v", "ON_ERROR_STOP=1")
    assert (r.returncode, r.stdout.splitlines()) == (0, ["42", "10"]), r.stderr


def test_watch_interval(target, tmp_path):
    """\\watch 0.1 re-runs the query until interrupted (psql 15 has no iteration count)."""
    script = tmp_path / "watch.sql"
    script.write_text("select 'tick' \\watch 0.1\n")
    proc = subprocess.Popen(psql_cmd(target, "-f", str(script)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_for(target))
    time.sleep(1.0)
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    assert out.count("tick") >= 3, (out, err)


def test_watch_count(target, tmp_path):
    psql_major = int(subprocess.run([need("psql", "postgresql-client-15"), "--version"],
                                    capture_output=True, text=True).stdout.split()[2].split(".")[0])
    if psql_major < 16:
        pytest.skip(f"psql {psql_major} has no \\watch count (added in psql 16): it ignores "
                    "the count and loops until interrupted")
    r = run_script(target, tmp_path, "select 'tick' \\watch 0.1 3\n")
    assert r.stdout.count("tick") == 3


def test_describe_table(request, target, tmp_path, table_name):
    r = run_script(target, tmp_path, f"create table {table_name} (id int primary key, name text);\n"
                   f"\\d {table_name}\n", "-v", "ON_ERROR_STOP=1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["id|integer||not null|", "name|text|||"]


def test_copy_from_stdin(request, target, tmp_path, table_name):
    data = tmp_path / "rows.tsv"
    data.write_text("1\tone\n2\ttwo\n")
    r = run_script(target, tmp_path, f"create table {table_name} (id int, name text);\n"
                   f"\\copy {table_name} from '{data}'\nselect count(*) from {table_name};\n",
                   "-v", "ON_ERROR_STOP=1")
    assert (r.returncode, r.stdout.splitlines()) == (0, ["2"]), r.stderr
