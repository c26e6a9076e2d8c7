"""Declared PostgreSQL types survive IRIS (translate/iris/declared.rs): json, jsonb, real,
vector(n), character(n) and bare varchar columns, whose IRIS stand-ins (VARCHAR, REAL,
VECTOR, CHAR) IRIS describes as other types, read back with the type they were declared
with: in result columns (type OIDs, values, text and binary), in RETURNING, as the inferred
type of a parameter, and in the catalog (pg_attribute, information_schema.columns).
psycopg and asyncpg, PostgreSQL 15 (with pgvector) the reference, the gateway over sqlite
and over both IRIS doubles. Tables created outside the gateway keep the stand-ins' types."""

from __future__ import annotations

import asyncio

import pytest

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

import iris_fakes  # noqa: E402
from test_iris_e2e import Server  # noqa: E402
from test_iris_emulations import connect, fresh, iris_servers  # noqa: E402,F401  (fixtures)

COLUMNS = "id int PRIMARY KEY, j json, jb jsonb, f real, v vector(3), c char(4), vc varchar"
NAMES = "id, j, jb, f, v, c, vc"
ROW = (1, '{"a": [1, 2]}', '{"b": true, "a": 1}', 1.25, "[1,2.5,3]", "ab", "x")


def table(c) -> str:
    t = fresh()
    c.execute("CREATE EXTENSION IF NOT EXISTS vector")
    c.execute(f"CREATE TABLE {t} ({COLUMNS})")
    c.execute(f"INSERT INTO {t} ({NAMES}) VALUES (%s, %s, %s, %s, %s, %s, %s)", ROW)
    return t


def type_names(c, description) -> list[str]:
    """Each result column's type by name (PostgreSQL gives pgvector's type an OID of its own)."""
    return [c.execute("SELECT typname FROM pg_type WHERE oid = %s", (d.type_code,)).fetchone()[0]
            for d in description]


def read_back(c, binary: bool) -> dict:
    t = table(c)
    out = {}
    for name, sql in [("star", f"SELECT * FROM {t}"), ("named", f"SELECT x.jb AS doc, f, (v), c, vc, j FROM {t} x"),
                      ("param", f"SELECT jb, f FROM {t} WHERE id = %s")]:
        cur = c.execute(sql, (1,) if "%s" in sql else None, binary=binary)
        rows = cur.fetchall()
        out[name] = (type_names(c, cur.description), [d.display_size for d in cur.description], rows)
    cur = c.execute(f"INSERT INTO {t} (id, jb, f) VALUES (2, %s, %s) RETURNING id, jb, f", ('[1, "x"]', 0.5),
                    binary=binary)
    out["returning"] = (type_names(c, cur.description), cur.fetchall())
    c.execute(f"ALTER TABLE {t} ADD COLUMN extra jsonb")
    c.execute(f"UPDATE {t} SET extra = %s WHERE id = 2", ('{"k": null}',))
    cur = c.execute(f"SELECT extra FROM {t} WHERE id = 2", binary=binary)
    out["added"] = (type_names(c, cur.description), cur.fetchall())
    out["pg_attribute"] = c.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (t,)).fetchall()
    out["information_schema"] = c.execute(
        "SELECT column_name, data_type, udt_name, character_maximum_length FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position", (t,)).fetchall()
    return out


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_declared_types_psycopg(connect, pg15, binary):
    with psycopg.connect(pg15.dsn, autocommit=True) as ref:
        want = read_back(ref, binary)
    with connect() as c:
        got = read_back(c, binary)
    for key in want:
        assert got[key] == want[key], key


async def _asyncpg_read_back(dsn: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        # asyncpg has no codec for an extension's type: text both ways (pgvector-python's
        # asyncpg support registers a binary one the same way).
        await conn.set_type_codec("vector", schema="public", encoder=str, decoder=str, format="text")
        t = fresh()
        await conn.execute(f"CREATE TABLE {t} ({COLUMNS})")
        insert = await conn.prepare(f"INSERT INTO {t} ({NAMES}) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        params = [p.name for p in insert.get_parameters()]
        await insert.fetch(*ROW)
        select = await conn.prepare(f"SELECT * FROM {t} WHERE id = $1")
        columns = [(a.name, a.type.name) for a in select.get_attributes()]
        rows = [tuple(r) for r in await select.fetch(1)]
        returning = await conn.fetch(f"INSERT INTO {t} (id, jb, f) VALUES (2, $1, $2) RETURNING jb, f", "{}", 2.5)
        return {"params": params, "columns": columns, "rows": rows, "returning": [tuple(r) for r in returning]}
    finally:
        await conn.close()


def test_declared_types_asyncpg(connect, pg15):
    """Binary results and parameters typed by the declared types (asyncpg refuses to bind a
    float to a text parameter, or a string to a float8 one it cannot hold exactly)."""
    want = asyncio.run(_asyncpg_read_back(pg15.dsn))
    got = asyncio.run(_asyncpg_read_back(connect.dsn))
    assert got == want


@pytest.mark.parametrize("backend", ["embedded", "dbapi"])
def test_tables_created_outside_keep_the_stand_ins(monkeypatch, tmp_path, backend):
    """A table IRIS got from elsewhere has no recorded types: its columns read back as what
    IRIS describes (VARCHAR text, DOUBLE float8), in results and in the catalog."""
    iris_fakes.install(monkeypatch, tmp_path)
    try:
        import iris

        iris.sql.exec("CREATE TABLE outside (id INT PRIMARY KEY, doc VARCHAR(65535), f DOUBLE, "
                      "n VARCHAR(20) %DESCRIPTION 'the name')")
        iris.sql.exec("INSERT INTO outside (id, doc, f, n) VALUES (1, '{\"a\": 1}', 1.5, 'x')")
    finally:
        iris_fakes.purge()
    s = Server(backend, tmp_path)
    try:
        with s.connect(autocommit=True) as c:
            cur = c.execute("SELECT doc, f, n FROM outside")
            assert type_names(c, cur.description) == ["text", "float8", "varchar"]
            assert cur.fetchall() == [('{"a": 1}', 1.5, "x")]
            assert c.execute("SELECT format_type(atttypid, atttypmod), col_description(attrelid, attnum) "
                             "FROM pg_attribute WHERE attrelid = 'outside'::regclass AND attnum > 0 "
                             "ORDER BY attnum").fetchall() == [
                ("integer", None), ("text", None), ("double precision", None), ("character varying(20)", "the name")]
    finally:
        s.stop()


def test_recorded_types_are_not_comments(iris_servers):
    """The recorded description is the gateway's, not a user comment: col_description and
    psql's \\d+ show none."""
    for backend in ("embedded", "dbapi"):
        s = iris_servers(backend)
        with s.connect(autocommit=True) as c:
            t = fresh()
            c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, jb jsonb)")
            assert c.execute(f"SELECT col_description('{t}'::regclass, 2)").fetchone() == (None,)
            trace = s.trace()
            assert "jb VARCHAR(65535) %DESCRIPTION 'pgtype:jsonb'" in trace, trace[-2000:]

