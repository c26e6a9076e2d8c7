"""Emulations the ORMs and vector tools need, on every backend: PostgreSQL 15 (the
reference), the gateway over sqlite, and over both IRIS doubles (embedded, dbapi).

Multi-row INSERT .. RETURNING and DEFAULT inside VALUES (Drizzle, Sequelize bulkCreate,
Django bulk_create), UPDATE and DELETE .. RETURNING, the DDL SQLAlchemy and Sequelize emit (SERIAL with a table-level
PRIMARY KEY, DEFAULT CURRENT_TIMESTAMP), SET TIME ZONE in PostgreSQL's forms, CREATE
SCHEMA, CREATE EXTENSION vector."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("iris_pgwire._core", reason="build the extension first: maturin develop")

from test_iris_e2e import Server  # noqa: E402

TARGETS = ("pg15", "sqlite", "embedded", "dbapi")


@pytest.fixture(scope="module")
def iris_servers():
    started: dict[str, Server] = {}

    def get(backend: str) -> Server:
        if backend not in started:
            started[backend] = Server(backend, Path(tempfile.mkdtemp(prefix=f"iris-emul-{backend}-")))
        return started[backend]

    yield get
    for s in started.values():
        s.stop()


@pytest.fixture(params=TARGETS)
def connect(request, iris_servers):
    """A function opening an autocommit psycopg connection to the target."""
    name = request.param
    if name == "pg15":
        dsn = request.getfixturevalue("pg15").dsn
    elif name == "sqlite":
        dsn = request.getfixturevalue("gateway").dsn
    else:
        s = iris_servers(name)
        dsn = f"postgresql://u@127.0.0.1:{s.port}/d"

    def open_(**kw):
        kw.setdefault("autocommit", True)
        return psycopg.connect(dsn, **kw)

    open_.target, open_.dsn = name, dsn
    return open_


def fresh() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


def test_multi_row_insert_returning_with_default(connect):
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL, n INT DEFAULT 7)")
        rows = c.execute(
            f"INSERT INTO {t} (id, name, n) VALUES (DEFAULT, %s, DEFAULT), (DEFAULT, %s, %s), (DEFAULT, %s, DEFAULT) "
            "RETURNING id, name, n", ("a", "b", 3, "c")).fetchall()
        assert rows == [(1, "a", 7), (2, "b", 3), (3, "c", 7)]
        cur = c.execute(f"INSERT INTO {t} (id, name) VALUES (DEFAULT, 'd'), (DEFAULT, 'e') RETURNING *")
        assert cur.fetchall() == [(4, "d", 7), (5, "e", 7)]
        assert cur.statusmessage == "INSERT 0 2"
        # Same columns defaulted in every row, no RETURNING.
        cur = c.execute(f"INSERT INTO {t} (id, name) VALUES (DEFAULT, 'f'), (DEFAULT, 'g')")
        assert cur.rowcount == 2
        assert c.execute(f"SELECT id, name, n FROM {t} WHERE id > 5 ORDER BY id").fetchall() == [
            (6, "f", 7), (7, "g", 7)]


def test_default_keyword_in_different_columns(connect):
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id INT PRIMARY KEY, a VARCHAR(10) DEFAULT 'x', b INT DEFAULT 5)")
        cur = c.execute(f"INSERT INTO {t} (id, a, b) VALUES (1, DEFAULT, %s), (2, %s, DEFAULT), (3, DEFAULT, DEFAULT)",
                        (10, "y"))
        assert cur.rowcount == 3
        rows = c.execute(f"INSERT INTO {t} (id, a, b) VALUES (4, DEFAULT, 1), (5, 'z', DEFAULT) RETURNING id, a, b")
        assert rows.fetchall() == [(4, "x", 1), (5, "z", 5)]
        assert c.execute(f"SELECT id, a, b FROM {t} ORDER BY id").fetchall() == [
            (1, "x", 10), (2, "y", 5), (3, "x", 5), (4, "x", 1), (5, "z", 5)]


def test_multi_row_insert_is_atomic(connect):
    """A failing row leaves none of the statement's rows, outside or inside a transaction."""
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL)")
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute(f"INSERT INTO {t} (id, name) VALUES (DEFAULT, %s), (DEFAULT, %s) RETURNING id",
                      ("a", None))
        assert c.execute(f"SELECT count(*) FROM {t}").fetchone() == (0,)
        c.execute("BEGIN")
        c.execute(f"INSERT INTO {t} (name) VALUES ('kept')")
        c.execute("SAVEPOINT s1")
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute(f"INSERT INTO {t} (id, name) VALUES (DEFAULT, 'b'), (DEFAULT, NULL) RETURNING id")
        c.execute("ROLLBACK TO SAVEPOINT s1")
        c.execute("COMMIT")
        assert c.execute(f"SELECT name FROM {t}").fetchall() == [("kept",)]


def test_update_returning(connect):
    """UPDATE .. RETURNING (Prisma's update, Drizzle's .returning(), TypeORM's save of
    generated columns): IRIS has no RETURNING, the gateway reads the changed rows back
    (their RowIDs first, then the update of those rows, then their new values)."""
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL, n INT NOT NULL)")
        c.execute(f"INSERT INTO {t} (name, n) VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)")
        cur = c.execute(f"UPDATE {t} SET n = n + 10 WHERE n >= %s RETURNING id, n, upper(name) AS big", (3,))
        assert [d.name for d in cur.description] == ["id", "n", "big"]
        assert sorted(cur.fetchall()) == [(3, 13, "C"), (4, 14, "D")]
        assert cur.rowcount == 2
        # Every row, prepared (Parse once, Bind/Execute twice) and with a table alias.
        for _ in range(2):
            cur = c.execute(f"UPDATE {t} AS x SET n = x.n - 1 RETURNING x.name", prepare=True)
            assert sorted(cur.fetchall()) == [("a",), ("b",), ("c",), ("d",)]
        cur = c.execute(f"UPDATE {t} SET n = 0 WHERE id = -1 RETURNING *")
        assert (cur.fetchall(), cur.rowcount) == ([], 0)
        # A failing update changes nothing; a rolled-back one neither.
        with pytest.raises(psycopg.errors.NotNullViolation):
            c.execute(f"UPDATE {t} SET name = NULL WHERE id = 1 RETURNING id")
        c.execute("BEGIN")
        assert c.execute(f"UPDATE {t} SET name = 'z' WHERE id = 2 RETURNING name").fetchall() == [("z",)]
        c.execute("ROLLBACK")
        assert c.execute(f"SELECT id, name, n FROM {t} ORDER BY id").fetchall() == [
            (1, "a", -1), (2, "b", 0), (3, "c", 11), (4, "d", 12)]


def test_delete_returning(connect):
    """DELETE .. RETURNING (Drizzle's .returning(), LlamaIndex's delete, Prisma's delete):
    the rows are read in full, then deleted by RowID in the same transaction."""
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL, n INT NOT NULL)")
        c.execute(f"INSERT INTO {t} (name, n) VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4), ('e', 5)")
        # (An arithmetic item such as n * 10 would read back as text from the doubles: they
        # type an expression by the data of its first row, and the describe sees none.)
        cur = c.execute(f"DELETE FROM {t} WHERE n >= %s RETURNING id, n, upper(name) AS big", (4,))
        assert [d.name for d in cur.description] == ["id", "n", "big"]
        assert (sorted(cur.fetchall()), cur.rowcount) == ([(4, 4, "D"), (5, 5, "E")], 2)
        cur = c.execute(f"DELETE FROM {t} WHERE id = %s RETURNING *", (-1,), prepare=True)
        assert (cur.fetchall(), cur.rowcount) == ([], 0)
        # Rolled back: the rows stay; a failing delete (a row still referenced) leaves all.
        c.execute("BEGIN")
        assert c.execute(f"DELETE FROM {t} AS x WHERE x.id = 1 RETURNING x.name").fetchall() == [("a",)]
        c.execute("ROLLBACK")
        r = f"{t}_ref"
        c.execute(f"CREATE TABLE {r} (id INT PRIMARY KEY, t_id INT REFERENCES {t} (id))")
        c.execute(f"INSERT INTO {r} VALUES (1, 2)")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            c.execute(f"DELETE FROM {t} WHERE id <= 3 RETURNING id")
        assert c.execute(f"SELECT id FROM {t} ORDER BY id").fetchall() == [(1,), (2,), (3,)]
        # More rows than one fetch batch (1,000): every row read before any is deleted.
        c.cursor().executemany(f"INSERT INTO {t} (name, n) VALUES (%s, %s)", [(f"x{i}", i) for i in range(1, 1501)])
        got = c.execute(f"DELETE FROM {t} WHERE name LIKE 'x%%' RETURNING n").fetchall()
        assert sorted(n for (n,) in got) == list(range(1, 1501))
        c.execute(f"DROP TABLE {r}")


def test_sqlalchemy_and_sequelize_ddl(connect):
    """SQLAlchemy: SERIAL NOT NULL with a table-level PRIMARY KEY; Sequelize/Drizzle:
    timestamptz DEFAULT CURRENT_TIMESTAMP (IRIS: CURRENT_TIMESTAMP(6), documented)."""
    t = fresh()
    with connect() as c:
        c.execute(f"CREATE TABLE {t} (id SERIAL NOT NULL, name VARCHAR(30), "
                  "created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL, "
                  "updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id))")
        row = c.execute(f"INSERT INTO {t} (name) VALUES ('x') RETURNING id, created_at, updated").fetchone()
        assert row[0] == 1 and row[1] is not None and row[2] is not None
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute(f"INSERT INTO {t} (id, name) VALUES (1, 'dup')")


def test_create_and_drop_schema(connect):
    s = f"s_{uuid.uuid4().hex[:8]}"
    with connect() as c:
        c.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
        c.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
        with pytest.raises(psycopg.errors.DuplicateSchema if connect.target in ("pg15", "sqlite") else psycopg.Error):
            c.execute(f"CREATE SCHEMA {s}")
        c.execute(f"DROP SCHEMA {s}")
        c.execute(f"DROP SCHEMA IF EXISTS {s}")


def test_tables_of_a_schema(connect):
    """Objects of a schema other than the default one (Drizzle's migrations table, dbt's
    target schema): created, written, read, joined with the default schema's tables, listed
    under their schema by information_schema, renamed; a schema that holds them is not
    dropped without CASCADE."""
    s, t = f"s_{uuid.uuid4().hex[:8]}", fresh()
    with connect() as c:
        c.execute(f"CREATE SCHEMA {s}")
        c.execute(f'CREATE TABLE "{s}"."m" (id SERIAL PRIMARY KEY, hash TEXT NOT NULL, created_at BIGINT)')
        c.execute(f"CREATE TABLE {t} (id INT PRIMARY KEY, m_id INT)")
        c.execute(f'INSERT INTO "{s}"."m" ("hash", "created_at") VALUES (%s, %s)', ("abc", 1700000000000))
        c.execute(f"INSERT INTO {t} VALUES (1, 1)")
        got = c.execute(f'SELECT id, hash, created_at FROM "{s}"."m" ORDER BY created_at DESC LIMIT 1').fetchall()
        joined = c.execute(f"SELECT x.hash FROM {s}.m x JOIN {t} y ON y.m_id = x.id").fetchall()
        listed = c.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                           (s,)).fetchall()
        c.execute(f"CREATE VIEW {s}.v AS SELECT hash FROM {s}.m")
        viewed = c.execute(f"SELECT hash FROM {s}.v").fetchall()
        with pytest.raises(psycopg.Error):
            c.execute(f"DROP SCHEMA {s}")
        c.execute(f"DROP VIEW {s}.v")
        c.execute(f"DROP TABLE {s}.m")
        c.execute(f"DROP TABLE {t}")
        c.execute(f"DROP SCHEMA {s}")
    assert (got, joined, listed, viewed) == ([(1, "abc", 1700000000000)], [("abc",)], [("m",)], [("abc",)])


TIME_ZONES = ["INTERVAL '+00:00' HOUR TO MINUTE", "INTERVAL '-08:00' HOUR TO MINUTE",
              "INTERVAL '+05:30' HOUR TO MINUTE", "-7", "5.5", "'UTC'", "'Europe/Paris'", "'+02'"]


@pytest.mark.parametrize("zone", TIME_ZONES)
def test_set_time_zone_forms(connect, pg15, zone):
    """SHOW TimeZone and the ParameterStatus the client gets, as PostgreSQL 15 reports them."""
    stamp = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)

    def run(c):
        t = fresh()
        c.execute(f"CREATE TABLE {t} (id INT PRIMARY KEY, at TIMESTAMPTZ)")
        c.execute(f"INSERT INTO {t} (id, at) VALUES (1, %s)", (stamp,))
        c.execute(f"SET TIME ZONE {zone}")
        # The text the server sends (psycopg knows no POSIX zone names such as <+02>-02).
        c.adapters.register_loader("timestamptz", psycopg.types.string.TextLoader)
        text = c.execute(f"SELECT at FROM {t}").fetchone()[0]
        return c.execute("SHOW TimeZone").fetchone()[0], c.info.parameter_status("TimeZone"), text

    with psycopg.connect(pg15.dsn, autocommit=True) as ref:
        want = run(ref)
    with connect() as c:
        # SHOW, ParameterStatus and the offset timestamptz values are shown with.
        assert run(c) == want


@pytest.mark.parametrize("reset", ["LOCAL", "DEFAULT"])
def test_set_time_zone_local_and_default(connect, reset):
    with connect() as c:
        initial = c.execute("SHOW TimeZone").fetchone()[0]
        c.execute("SET TIME ZONE 'Europe/Paris'")
        c.execute(f"SET TIME ZONE {reset}")
        assert c.execute("SHOW TimeZone").fetchone()[0] == initial
        assert c.info.parameter_status("TimeZone") == initial


def test_create_extension_vector(connect, pg15):
    """As PostgreSQL 15 with pgvector 0.8.0. The gateway has the extension built in: CREATE
    EXTENSION vector succeeds even when pg_extension lists it already (PostgreSQL: 42710
    the second time; the gateway cannot tell a first CREATE from a second), and DROP EXTENSION
    is a no-op; other extensions are 0A000 with a hint (PostgreSQL: 58P01, not installed)."""
    def listed(c):
        c.execute("CREATE EXTENSION IF NOT EXISTS vector")
        c.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return c.execute("SELECT extname, extversion, n.nspname FROM pg_extension e "
                         "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'vector'").fetchall()

    with psycopg.connect(pg15.dsn, autocommit=True) as ref:
        assert listed(ref) == [("vector", "0.8.0", "public")]
    if connect.target == "pg15":
        return
    with connect() as c:
        assert listed(c) == [("vector", "0.8.0", "public")]
        c.execute("CREATE EXTENSION vector")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        assert "vector" in (e.value.diag.message_hint or "")
        c.execute("DROP EXTENSION IF EXISTS vector")
        assert listed(c) == [("vector", "0.8.0", "public")]


def vector_search(c) -> dict:
    """pgvector's example: distances, nearest neighbours, vectors read back."""
    t = fresh()
    out = {}
    c.execute("CREATE EXTENSION IF NOT EXISTS vector")
    c.execute(f"CREATE TABLE {t} (id bigserial PRIMARY KEY, content text, embedding vector(3))")
    c.execute(f"INSERT INTO {t} (content, embedding) VALUES ('a', '[1,2,3]'::vector(3)), "
              "('b', %s::vector(3)), ('c', %s::vector(3))", ("[4,5,6]", "[1,1,1]"))
    c.execute(f"CREATE INDEX ON {t} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")
    q = "[3,1,2]"
    out["cos"] = c.execute(f"SELECT content, embedding <=> %s::vector(3) AS d FROM {t} ORDER BY d LIMIT 2",
                           (q,)).fetchall()
    out["l2"] = c.execute(f"SELECT content, embedding <-> %s::vector(3) FROM {t} ORDER BY embedding <-> %s::vector(3) "
                          "LIMIT 3", (q, q)).fetchall()
    out["ip"] = c.execute(f"SELECT content, embedding <#> %s::vector(3) FROM {t} ORDER BY embedding <#> %s::vector(3) "
                          "LIMIT 1", (q, q)).fetchall()
    # pgvector-python / SQLAlchemy send the vector as a bare text parameter.
    c.execute(f"INSERT INTO {t} (content, embedding) VALUES (%s, %s)", ("d", "[0,0,1]"))
    c.execute(f"UPDATE {t} SET embedding = %s WHERE content = %s", ("[0,1,0]", "a"))
    out["near"] = c.execute(f"SELECT content FROM {t} ORDER BY embedding <-> %s::vector(3) LIMIT 2",
                            ("[0,0.9,0]",)).fetchall()
    cur = c.execute(f"SELECT content, embedding FROM {t} ORDER BY id")
    typname = c.execute("SELECT typname FROM pg_type WHERE oid = %s", (cur.description[1].type_code,)).fetchone()
    out["read"] = (typname, cur.fetchall())
    return out


def test_vector_search_on_every_backend(connect, pg15):
    """The pgvector example gives PostgreSQL 15's results on sqlite (distances computed by
    functions) and on the IRIS doubles (IRIS's VECTOR functions); pgvector computes in
    float4, the gateway in double, so distances agree to float4's precision."""
    with psycopg.connect(pg15.dsn, autocommit=True) as ref:
        want = vector_search(ref)
    with connect() as c:
        got = vector_search(c)
    assert got["read"] == want["read"]
    for key in ("cos", "l2", "ip", "near"):
        expected = [tuple(v if isinstance(v, str) else pytest.approx(v, rel=1e-5) for v in row)
                    for row in want[key]]
        assert got[key] == expected, key


def test_vector_column_of_the_open_transaction(connect):
    """A vector column created in the still open transaction stays known to the session
    (a catalog query in between takes a snapshot on another backend connection, which
    cannot see the uncommitted table), so a bare parameter into it is TO_VECTOR'ed on IRIS;
    ROLLBACK and ROLLBACK TO SAVEPOINT forget the DDL they undo: the column is a string
    column again and takes the text as it is. psycopg with its defaults (a transaction
    opened by the first statement)."""
    t, u = fresh(), fresh()
    with connect() as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS vector")
        c.execute(f"CREATE TABLE {u} (id int PRIMARY KEY, v varchar(20))")
    with connect(autocommit=False) as c:
        c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v vector(3))")
        # A catalog query after the DDL: on the gateway, a new snapshot of the catalog.
        assert c.execute("SELECT typname FROM pg_type WHERE typname = 'vector'").fetchone() == ("vector",)
        c.execute(f"INSERT INTO {t} (id, v) VALUES (%s, %s)", (1, "[1,2,3]"))
        c.execute("SAVEPOINT s")
        c.execute(f"ALTER TABLE {u} DROP COLUMN v")
        c.execute(f"ALTER TABLE {u} ADD COLUMN v vector(3)")
        c.execute("ROLLBACK TO SAVEPOINT s")
        c.execute(f"INSERT INTO {u} (id, v) VALUES (%s, %s)", (1, "[4,5,6]"))
        c.commit()
        assert c.execute(f"SELECT v <-> %s::vector(3) FROM {t}", ("[1,2,4]",)).fetchone()[0] == pytest.approx(1.0)
        c.execute(f"ALTER TABLE {u} DROP COLUMN v")
        c.execute(f"ALTER TABLE {u} ADD COLUMN v vector(3)")
        c.rollback()
        c.execute(f"INSERT INTO {u} (id, v) VALUES (%s, %s)", (2, "[7,8,9]"))
        c.commit()
        assert c.execute(f"SELECT id, v FROM {u} ORDER BY id").fetchall() == [(1, "[4,5,6]"), (2, "[7,8,9]")]
    with connect() as other:
        # Committed, the table is known to every session.
        other.execute(f"INSERT INTO {t} (id, v) VALUES (%s, %s)", (2, "[0,0,1]"))
        assert other.execute(f"SELECT count(*) FROM {t}").fetchone() == (2,)


def test_vector_columns_known_after_restart(tmp_path):
    """A gateway started over existing tables knows their vector columns (catalog snapshot
    at start), so a bare parameter into one still becomes TO_VECTOR on IRIS."""
    for backend in ("embedded", "dbapi"):
        data = tmp_path / backend
        data.mkdir()
        s = Server(backend, data)
        try:
            with s.connect(autocommit=True) as c:
                c.execute("CREATE TABLE docs (id INT PRIMARY KEY, emb vector(2))")
        finally:
            s.stop()
        s = Server(backend, data)
        try:
            with s.connect(autocommit=True) as c:
                c.execute("INSERT INTO docs (id, emb) VALUES (%s, %s)", (1, "[3,4]"))
                assert c.execute("SELECT emb <-> '[0,0]' FROM docs").fetchone()[0] == pytest.approx(5.0)
        finally:
            s.stop()


def test_check_constraints_refused_or_unenforced(tmp_path):
    """IRIS has no CHECK: refused by default (0A000 with a hint naming the flag); with
    --iris-unenforced-checks the table is created without them and a NOTICE says so."""
    (tmp_path / "refused").mkdir()
    (tmp_path / "accepted").mkdir()
    s = Server("embedded", tmp_path / "refused")
    try:
        with s.connect(autocommit=True) as c:
            with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
                c.execute("CREATE TABLE t (n INT CHECK (n >= 0))")
            assert "--iris-unenforced-checks" in e.value.diag.message_hint
    finally:
        s.stop()
    s = Server("dbapi", tmp_path / "accepted", "--iris-unenforced-checks")
    try:
        with s.connect(autocommit=True) as c:
            notices = []
            c.add_notice_handler(lambda d: notices.append(d.message_primary))
            c.execute('CREATE TABLE t ("id" integer NOT NULL PRIMARY KEY, "n" integer NOT NULL CHECK ("n" >= 0))')
            assert any("CHECK constraints are not enforced" in n for n in notices)
            c.execute("INSERT INTO t (id, n) VALUES (1, -1)")  # accepted: not enforced
            assert c.execute("SELECT n FROM t").fetchall() == [(-1,)]
    finally:
        s.stop()
