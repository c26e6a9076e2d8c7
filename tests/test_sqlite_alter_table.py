"""ALTER TABLE forms SQLite has no statement for, the same on PostgreSQL 15 and on the
gateway's sqlite backend (Django's migrations send them): ADD [CONSTRAINT] FOREIGN KEY
(enforced afterwards, existing rows that break it refuse the statement and leave no
constraint, a rolled-back transaction takes it back, the catalog shows it), ALTER COLUMN
DROP/SET NOT NULL, ALTER COLUMN TYPE varchar(n), DROP COLUMN .. CASCADE."""

from __future__ import annotations

import psycopg
import pytest


def _tables(conn, t: str) -> None:
    conn.execute(f"create table {t}_author (id int primary key, name text, code int)")
    conn.execute(f"create table {t}_book (id int primary key, author_id int)")
    conn.execute(f"insert into {t}_author values (1, 'a', 7)")
    conn.execute(f"insert into {t}_book values (1, 1), (2, null)")


def _foreign_keys(conn, t: str) -> list:
    return conn.execute(
        "select conname, pg_catalog.pg_get_constraintdef(oid) from pg_catalog.pg_constraint "
        "where contype = 'f' and conrelid = %s::regclass order by 1", (f"{t}_book",)).fetchall()


def test_added_foreign_key_is_enforced(target, table_name):
    t = table_name
    with psycopg.connect(target.dsn, autocommit=True) as c:
        _tables(c, t)
        c.execute(f"alter table {t}_book add constraint {t}_fk foreign key (author_id) references {t}_author (id)")
        assert _foreign_keys(c, t) == [
            (f"{t}_fk", f"FOREIGN KEY (author_id) REFERENCES {t}_author(id)")]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            c.execute(f"insert into {t}_book values (3, 99)")
        c.execute(f"insert into {t}_book values (3, 1)")
        assert c.execute(f"select count(*) from {t}_book").fetchone() == (3,)


def test_deferred_key_is_checked_at_commit(target, table_name):
    """Django's form: DEFERRABLE INITIALLY DEFERRED."""
    t = table_name
    with psycopg.connect(target.dsn) as c:
        _tables(c, t)
        c.execute(f'ALTER TABLE "{t}_book" ADD CONSTRAINT "{t}_author_id_fk" FOREIGN KEY ("author_id") '
                  f'REFERENCES "{t}_author" ("id") DEFERRABLE INITIALLY DEFERRED')
        c.commit()
        c.execute(f"insert into {t}_book values (3, 2)")
        c.execute(f"insert into {t}_author values (2, 'b', 8)")
        c.commit()
        c.execute(f"insert into {t}_book values (4, 99)")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            c.commit()
        assert c.execute(f"select id from {t}_book order by id").fetchall() == [(1,), (2,), (3,)]


def test_rows_that_break_the_key_refuse_it(target, table_name):
    t = table_name
    with psycopg.connect(target.dsn, autocommit=True) as c:
        _tables(c, t)
        c.execute(f"insert into {t}_book values (3, 42)")
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as e:
            c.execute(f"alter table {t}_book add constraint {t}_fk foreign key (author_id) references {t}_author (id)")
        assert f'violates foreign key constraint "{t}_fk"' in str(e.value)
        assert _foreign_keys(c, t) == []
        c.execute(f"insert into {t}_book values (4, 43)")  # no key was left behind


def test_rolled_back_key_is_gone(target, table_name):
    t = table_name
    with psycopg.connect(target.dsn) as c:
        _tables(c, t)
        c.commit()
        c.execute(f"alter table {t}_book add foreign key (author_id) references {t}_author (id)")
        c.execute("savepoint s")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            c.execute(f"insert into {t}_book values (3, 42)")
        c.execute("rollback to savepoint s")
        c.rollback()
        assert _foreign_keys(c, t) == []
        c.execute(f"insert into {t}_book values (3, 42)")
        c.commit()


def test_bad_references_are_refused(target, table_name):
    t = table_name
    with psycopg.connect(target.dsn, autocommit=True) as c:
        _tables(c, t)
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute(f"alter table {t}_book add foreign key (author_id) references {t}_nope (id)")
        with pytest.raises(psycopg.errors.InvalidForeignKey):
            c.execute(f"alter table {t}_book add foreign key (author_id) references {t}_author (code)")
        assert _foreign_keys(c, t) == []


def _not_null(conn, t: str) -> list:
    return conn.execute(
        "select column_name, is_nullable, character_maximum_length from information_schema.columns "
        "where table_name = %s order by ordinal_position", (f"{t}_author",)).fetchall()


def test_alter_column_not_null_and_type(target, table_name):
    t = table_name
    with psycopg.connect(target.dsn, autocommit=True) as c:
        c.execute(f"create table {t}_author (id int primary key, name varchar(5) not null, code int)")
        c.execute(f"insert into {t}_author values (1, 'ann', null)")
        c.execute(f'ALTER TABLE "{t}_author" ALTER COLUMN "name" DROP NOT NULL')
        c.execute(f"insert into {t}_author values (2, null, 7)")
        c.execute(f'ALTER TABLE "{t}_author" ALTER COLUMN "name" TYPE varchar(20)')
        c.execute(f"insert into {t}_author values (3, 'a longer name', 8)")
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute(f"alter table {t}_author alter column code set not null")
        c.execute(f"update {t}_author set code = 0 where code is null")
        c.execute(f"alter table {t}_author alter column code set not null")
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute(f"insert into {t}_author values (4, 'x', null)")
        assert _not_null(c, t) == [("id", "NO", None), ("name", "YES", 20), ("code", "NO", None)]
        c.execute(f'ALTER TABLE "{t}_author" DROP COLUMN "name" CASCADE')
        assert c.execute(f"select * from {t}_author order by id").fetchall() == [(1, 0), (2, 7), (3, 8)]
        with pytest.raises(psycopg.errors.UndefinedColumn):
            c.execute(f"alter table {t}_author alter column nope drop not null")
