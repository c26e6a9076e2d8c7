"""psql (the real binary) against each target: -c, several statements, -f scripts."""

from __future__ import annotations

from helpers.clients import psql


def test_select_1(target):
    r = psql(target, "-c", "select 1")
    assert (r.returncode, r.stdout, r.stderr) == (0, "1\n", "")


def test_several_statements_in_one_c(target, table_name):
    t = table_name
    r = psql(
        target, "-c",
        f"create table {t} (id integer primary key, name text); "
        f"insert into {t} values (1, 'a'), (2, 'b'), (3, 'c'); "
        f"update {t} set name = 'B' where id = 2; "
        f"delete from {t} where id = 3; "
        f"select id, name from {t} order by id",
    )
    assert r.returncode == 0, r.stderr
    # psql 15 prints every result of a multi-statement query, command tags included.
    assert r.stdout.splitlines() == [
        "CREATE TABLE", "INSERT 0 3", "UPDATE 1", "DELETE 1", "1|a", "2|B",
    ]


def test_several_c_options(target, table_name):
    t = table_name
    r = psql(
        target,
        "-c", f"create table {t} (id integer, name text)",
        "-c", f"insert into {t} values (1, 'x')",
        "-c", f"select name, id from {t}",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["CREATE TABLE", "INSERT 0 1", "x|1"]


def test_script_file(target, table_name, tmp_path):
    t = table_name
    script = tmp_path / "script.sql"
    script.write_text(
        f"""
-- a comment line, then statements spread over lines
create table {t} (
    id integer primary key,
    qty integer not null,
    label text
);
begin;
insert into {t} (id, qty, label) values (1, 10, 'one');
insert into {t} (id, qty, label) values (2, 20, 'two'), (3, 30, 'three');
commit;
begin;
delete from {t} where id = 1;
rollback;
update {t} set qty = qty + 1 where qty >= 20;
select id, qty, label from {t} order by id;
select count(*) from {t};
select 'it''s' as quoted, 'multi
line' as text_with_newline;
"""
    )
    r = psql(target, "-f", str(script))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "CREATE TABLE",
        "BEGIN", "INSERT 0 1", "INSERT 0 2", "COMMIT",
        "BEGIN", "DELETE 1", "ROLLBACK",
        "UPDATE 2",
        "1|10|one", "2|21|two", "3|31|three",
        "3",
        "it's|multi", "line",
    ]


def test_script_stops_on_error(target, table_name, tmp_path):
    t = table_name
    script = tmp_path / "bad.sql"
    script.write_text(
        f"create table {t} (id integer);\n"
        f"insert into {t} values (1);\n"
        f"select * from {t}_missing;\n"
        f"insert into {t} values (2);\n"
    )
    r = psql(target, "-f", str(script))
    # ON_ERROR_STOP turns a failed script statement into exit code 3.
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert r.stdout.splitlines() == ["CREATE TABLE", "INSERT 0 1"]
    assert "ERROR:  42P01:" in r.stderr
    after = psql(target, "-c", f"select id from {t}")
    assert (after.returncode, after.stdout) == (0, "1\n"), after.stderr


def test_error_in_c_exit_code_and_sqlstate(target):
    r = psql(target, "-c", "selec 1")
    assert r.returncode == 1
    assert "ERROR:  42601:" in r.stderr, r.stderr


def test_transaction_rolled_back_in_one_c(target, table_name):
    t = table_name
    r = psql(
        target,
        "-c", f"create table {t} (id integer)",
        "-c", f"begin; insert into {t} values (1); insert into {t} values (2); rollback",
        "-c", f"select count(*) from {t}",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["CREATE TABLE", "BEGIN", "INSERT 0 1", "INSERT 0 1", "ROLLBACK", "0"]


def test_null_and_empty_string(target):
    # Unaligned output prints NULL as nothing; -P null=... makes it visible.
    r = psql(target, "-P", "null=<null>", "-c", "select null, '', 'x'")
    assert (r.returncode, r.stdout) == (0, "<null>||x\n"), r.stderr


def test_booleans(target):
    r = psql(target, "-c", "select true, false, 1 = 1")
    assert (r.returncode, r.stdout) == (0, "t|f|t\n"), r.stderr
