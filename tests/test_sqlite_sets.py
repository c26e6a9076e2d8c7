"""Everyday PostgreSQL SQL the sqlite backend runs like PostgreSQL 15: generate_series
and unnest in FROM and in select lists (several in one list run in lockstep, padded with
NULL, as PostgreSQL 10+ runs them; also in catalog queries), regular expressions
(operators, regexp_replace, regexp_match, regexp_matches with 'g' one row per match,
PostgreSQL's flags), array_to_string / string_to_array."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

CASES = [
    "select n from generate_series(1, 5) as n",
    "select * from generate_series(10, 1, -3)",
    "select g.x * 2 from generate_series(1, 3) as g(x) order by 1 desc",
    "select s::text from generate_series('2024-01-30 00:00:00'::timestamp, '2024-02-02 00:00:00'::timestamp, '1 day') as s",
    "select s::text from generate_series('2024-01-31 10:00:00'::timestamp, '2024-04-30 10:00:00'::timestamp, interval '1 month') s",
    "select u from unnest(array['a', 'b', 'c']) as u",
    "select x, n from unnest(array['p', 'q']) with ordinality as t(x, n)",
    "select 'abc' ~ 'b', 'abc' ~ '^B', 'abc' ~* '^B', 'abc' !~ 'z', 'ABC' !~* 'a'",
    "select regexp_replace('hello world', 'o', '0')",
    "select regexp_replace('hello world', 'O', '0', 'gi')",
    "select regexp_replace('2024-01-31', '(\\d+)-(\\d+)-(\\d+)', '\\3/\\2/\\1')",
    "select regexp_replace('abc', 'b', '[&]')",
    "select regexp_match('foo123bar', '(\\d+)')",
    "select regexp_match('foobar', 'x')",
    "select regexp_match('a.b', '.', 'q') is null",
    "select array_to_string(string_to_array('a,b,,c', ','), '|')",
    "select array_to_string(string_to_array('a,b,NULL', ',', 'NULL'), '-', '*')",
    "select string_to_array('x y z', ' ')",
    "select unnest(array[1, 2, 3]) as a, unnest(array['x', 'y']) as b",
    "select generate_series(1, 4) as n, unnest(array['a', 'b']) as s",
    "select unnest(array['a', 'b']) as s, generate_series(1, 4) * 10 as n",
    "select x, generate_series(1, x) as n from generate_series(1, 3) as x order by 1, 2",
    "select regexp_matches('a1b22c333', '\\d+', 'g')",
    "select regexp_matches('k=v; k2=v2', '(\\w+)=(\\w+)', 'g') as kv",
    "select regexp_matches('ABC', 'b', 'i')",
    "select regexp_matches('abc', 'x')",
    "select regexp_matches('a1b2', '\\d', 'g') as m, unnest(array[1, 2, 3]) as n",
    # Several arrays in one unnest in FROM: side by side, the shorter padded with NULL.
    "select * from unnest('{1,2,3}'::int[], '{a,b}'::text[])",
    "select u.x, u.y, u.n from unnest(array[10, 20], array['p', 'q', 'r']) with ordinality as u(x, y, n)",
]

# The same in catalog queries (the catalog engine answers them).
CATALOG_CASES = [
    "select typname, unnest(array[1, 2, 3]) as a, unnest(array['x', 'y']) as b from pg_type where typname = 'int4'",
    "select t.typname, generate_series(1, 2) as n, unnest(array[t.typname, 'x', 'y']) as u "
    "from pg_catalog.pg_type t where t.typname = 'bool'",
    "select nspname, regexp_matches('a1b22c333', '\\d+', 'g') as m from pg_namespace where nspname = 'pg_catalog'",
    "select regexp_matches(typname, '(int)(\\d)', 'g') as m from pg_type where typname in ('int2', 'int4') order by 1",
    "select regexp_matches(typname, 'x') from pg_type where typname = 'int4'",
]


def _rows(target, sql):
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("sql", CASES + CATALOG_CASES)
def test_same_as_postgres(pg15, gateway, sql):
    assert _rows(gateway, sql) == _rows(pg15, sql)


def test_bad_regex_flag_is_22023(gateway):
    with psycopg.connect(gateway.dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as e:
            conn.execute("select regexp_replace('a', 'a', 'b', 'z')")
    assert e.value.sqlstate == "22023"


def test_invalid_regex_is_2201b(gateway):
    with psycopg.connect(gateway.dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as e:
            conn.execute("select 'a' ~ '('")
    assert e.value.sqlstate == "2201B"


def test_insert_from_unnest_of_array_parameters(target, table_name):
    """Django's bulk_create form: whole columns bound as arrays, zipped by unnest."""
    with psycopg.connect(target.dsn, autocommit=True) as c:
        c.execute(f"create table {table_name} (id int, name varchar(10), ok boolean, w float8)")
        c.execute(f"insert into {table_name} (id, name, ok, w) "
                  f"select * from unnest(%s::integer[], %s::varchar[], %s::boolean[], %s::float8[])",
                  ([1, 2, 3], ["a", None, "c"], [True, False, None], [1.5, 2.0, -0.25]))
        assert c.execute(f"select id from {table_name} where ok order by id").fetchall() == [(1,)]
        assert c.execute(f"select id from {table_name} where not ok order by id").fetchall() == [(2,)]
        assert c.execute(f"select sum(w) from {table_name}").fetchone() == (3.25,)
        with psycopg.ClientCursor(c) as cur:  # client-side binding: array literals, as Django
            cur.execute(f"insert into {table_name} (id, name) select * from unnest((%s)::integer[], (%s)::varchar[])",
                        ([4], ["d"]))
        assert c.execute(f"select id, name from {table_name} order by id").fetchall() == [
            (1, "a"), (2, None), (3, "c"), (4, "d")]


def test_bad_array_element_is_an_error_not_a_broken_stream(target):
    """'{1,a}'::int[]: PostgreSQL refuses the literal; the sqlite backend finds it while
    sending rows. Either way the client reads 22P02 and the connection goes on."""
    with psycopg.connect(target.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            c.execute("select x from unnest('{1,a,3}'::int[]) as x").fetchall()
        assert c.execute("select 1").fetchone() == (1,)


def test_jsonb_containment(target, table_name):
    """jsonb @> and <@ (Django's JSONField contains / contained_by), PostgreSQL's rules."""
    with psycopg.connect(target.dsn, autocommit=True) as c:
        c.execute(f"create table {table_name} (id int, doc jsonb)")
        c.execute(f"insert into {table_name} values (1, '{{\"tags\": [\"a\", \"b\"], \"n\": 1}}'), "
                  f"(2, '{{\"tags\": [\"b\"], \"n\": 1.0}}'), (3, '[1, 2, [3]]'), (4, 'true'), (5, null)")
        probes = ['{"tags": ["a"]}', '{"n": 1}', '[[3]]', '1', 'true', '{}', '[]']
        seen = [c.execute(f"select id from {table_name} where doc @> %s::jsonb order by id", (p,)).fetchall()
                for p in probes]
        seen.append(c.execute(f"select id from {table_name} where '{{\"n\": 1}}'::jsonb <@ doc order by id").fetchall())
        seen.append(c.execute("""select '{"a": [1, 2]}'::jsonb @> '{"a": [2]}'::jsonb""").fetchall())
        assert seen == [[(1,)], [(1,), (2,)], [(3,)], [(3,)], [(4,)], [(1,), (2,)], [(3,)], [(1,), (2,)], [(True,)]]


def test_array_constructors_as_psycopg2_writes_lists(target, table_name):
    """psycopg2 interpolates a list parameter as ARRAY[..] (and an empty one as '{}');
    the rows read back, and select-list constructors, as on PostgreSQL."""
    psycopg2 = pytest.importorskip("psycopg2")
    conn = psycopg2.connect(target.dsn)
    try:
        cur = conn.cursor()
        cur.execute(f"create table {table_name} (id int, i int[], t text[], f float8[], b boolean[])")
        cur.execute(f"insert into {table_name} values (%s, %s, %s, %s, %s)",
                    (1, [1, -2, 3], ["x,y", None, 'q"uote', ""], [1.5, -0.25], [True, False]))
        cur.execute(f"insert into {table_name} values (%s, %s, %s, %s, %s)", (2, [], [], [], []))
        cur.execute(f"select i, t, f, b from {table_name} order by id")
        rows = cur.fetchall()
        cur.execute("select ARRAY[1, 2] as a, ARRAY['p', NULL] as s, ARRAY[1.5, 2] as n")
        literal = cur.fetchall()
        conn.commit()
    finally:
        conn.close()
    assert rows == [([1, -2, 3], ["x,y", None, 'q"uote', ""], [1.5, -0.25], [True, False]), ([], [], [], [])]
    assert literal == [([1, 2], ["p", None], [Decimal("1.5"), Decimal("2")])]
