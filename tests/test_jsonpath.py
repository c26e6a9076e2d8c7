"""jsonb_path_match on the sqlite backend (the backend's pg_jsonb_path_match) against
PostgreSQL 15: LangChain's metadata filters (`'$.field <op> $value'` with the value in the
vars object) and the rest of the supported subset, including lax-mode missing members,
array unwrapping, incomparable types (NULL), null comparisons and three-valued && / || / !.
On IRIS the function is refused (0A000), see test_refused_on_iris."""

from __future__ import annotations

import json

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")

DOC = {"kind": "pet", "year": 2021, "tags": ["a", "b"], "n": None, "nested": {"x": 1.5, "ok": True},
       "items": [{"k": 1}, {"k": 3}]}
CASES = [
    ("$.kind == $value", {"value": "pet"}),
    ("$.kind == $value", {"value": "wild"}),
    ("$.year >= $value", {"value": 2021}),
    ("$.year < $value", {"value": 2020.5}),
    ("$.year == $value", {"value": "2021"}),
    ("$.kind < $value", {"value": "pets"}),
    ("$.missing == $value", {"value": 1}),
    ("$.tags == $value", {"value": "b"}),
    ("$.tags[0] == \"a\"", {}),
    ("$.tags[*] != \"a\"", {}),
    ("$.n == null", {}),
    ("$.n != 1", {}),
    ("$.kind == null", {}),
    ("$.nested.x > 1 && $.nested.ok == true", {}),
    ("$.nested.x > 2 || $.kind == \"pet\"", {}),
    ("!($.year == 2021)", {}),
    ("$.items.k == 3", {}),
    ("$.items[*].k > $v", {"v": 2}),
    ("$.\"kind\" == \"pet\" && $.year == 2021", {}),
    ("exists($.nested.ok)", {}),
    ("$.nested.ok", {}),
    ("lax $.year == 2021", {}),
    ("$.kind == 1 && $.year == 2021", {}),
    ("$.kind == 1 || $.year == 2021", {}),
]


def matches(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for path, variables in CASES:
            row = c.execute("select jsonb_path_match(%s::jsonb, %s::jsonpath, %s::jsonb)",
                            (json.dumps(DOC), path, json.dumps(variables))).fetchone()
            out.append((path, variables, row[0]))
        for path, variables in [("$.a == $x", {}), ("exists($.a ? (@ > 1))", {})]:
            try:
                c.execute("select jsonb_path_match('{\"a\": 2}'::jsonb, %s::jsonpath, %s::jsonb)",
                          (path, json.dumps(variables)))
                out.append((path, "no error"))
            except psycopg.Error as e:
                out.append((path, e.sqlstate))
    return out


def test_jsonb_path_match_like_postgresql(pg15, gateway):
    expected = matches(pg15)
    got = matches(gateway)
    # Filters are PostgreSQL's, refused (0A000) by the sqlite backend's subset.
    assert expected[-1] == ("exists($.a ? (@ > 1))", "no error")
    assert got[-1] == ("exists($.a ? (@ > 1))", "0A000")
    assert got[:-1] == expected[:-1]


def test_filtering_rows_like_langchain(pg15, gateway, table_name):
    def rows(t):
        with psycopg.connect(t.dsn, autocommit=True) as c:
            c.execute(f"create table {table_name} (id int primary key, meta jsonb)")
            for i, m in enumerate([{"kind": "pet", "year": 2019}, {"kind": "wild", "year": 2022}, {"year": 2023}]):
                c.execute(f"insert into {table_name} values (%s, %s)", (i, json.dumps(m)))
            return c.execute(f"select id from {table_name} where jsonb_path_match(meta, cast(%s as jsonpath), "
                             f"cast(%s as jsonb)) order by id", ("$.year >= $value", json.dumps({"value": 2020}))
                             ).fetchall()

    assert rows(gateway) == rows(pg15) == [(1,), (2,)]


def test_refused_on_iris(gateway_on):
    if gateway_on.name == "gateway":
        pytest.skip("the sqlite backend computes it (above)")
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.FeatureNotSupported) as err:
            c.execute("select jsonb_path_match('{}'::jsonb, '$.a == 1'::jsonpath)")
        assert "jsonpath" in err.value.diag.message_primary or "json" in (err.value.diag.message_hint or "")
