"""Enum types (`CREATE TYPE .. AS ENUM`, src/translate/statements/enums.rs) on every backend:
PostgreSQL 15 the reference, the gateway over sqlite and over both IRIS doubles.

Values round trip as text in both formats, result columns carry the enum's own OID (clients
introspect it in pg_type / pg_enum as on PostgreSQL), labels outside the type are refused
with 22P02, comparisons and ORDER BY follow the declaration order, ALTER TYPE .. ADD VALUE
[BEFORE | AFTER] places the new label, and the DDL errors match PostgreSQL's. psycopg,
asyncpg, and a SQLAlchemy model with `Enum(PyEnum)` and its defaults."""

from __future__ import annotations

import asyncio
import enum
import uuid

import pytest

psycopg = pytest.importorskip("psycopg")
asyncpg = pytest.importorskip("asyncpg")

from test_iris_emulations import connect, iris_servers  # noqa: E402,F401  (fixtures)


def fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def error(c, sql, params=None) -> tuple[str, str]:
    with pytest.raises(psycopg.Error) as e:
        c.execute(sql, params)
    return e.value.sqlstate, e.value.diag.message_primary


def scenario(c, binary: bool) -> dict:
    mood, t = fresh("mood"), fresh("t")
    out: dict = {}
    c.execute(f"CREATE TYPE {mood} AS ENUM ('sad', 'ok', 'happy')")
    c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, m {mood})")
    c.execute(f"INSERT INTO {t} (id, m) VALUES (1, 'happy')")
    c.execute(f"INSERT INTO {t} (id, m) VALUES (%s, %s)", (2, "sad"))
    c.execute(f"INSERT INTO {t} (id, m) VALUES (3, 'ok'::{mood})")
    c.execute(f"INSERT INTO {t} (id, m) VALUES (4, NULL)")
    cur = c.execute(f"SELECT id, m FROM {t} ORDER BY m, id", binary=binary)
    out["typname"] = [c.execute("SELECT typname, typtype FROM pg_type WHERE oid = %s", (d.type_code,)).fetchone()
                      for d in cur.description]
    out["ordered"] = cur.fetchall()
    out["desc"] = c.execute(f"SELECT m FROM {t} WHERE m IS NOT NULL ORDER BY m DESC", binary=binary).fetchall()
    out["param"] = c.execute(f"SELECT id FROM {t} WHERE m = %s", ("ok",), binary=binary).fetchall()
    out["cast"] = c.execute(f"SELECT 'ok'::{mood}", binary=binary).fetchall()
    out["invalid_literal"] = error(c, f"INSERT INTO {t} (id, m) VALUES (5, 'meh')")
    out["invalid_param"] = error(c, f"INSERT INTO {t} (id, m) VALUES (%s, %s)", (5, "meh"))
    out["invalid_cast"] = error(c, f"SELECT 'meh'::{mood}")
    c.execute(f"ALTER TYPE {mood} ADD VALUE 'meh' BEFORE 'ok'")
    c.execute(f"ALTER TYPE {mood} ADD VALUE 'ecstatic'")
    c.execute(f"ALTER TYPE {mood} ADD VALUE IF NOT EXISTS 'ok'")
    c.execute(f"INSERT INTO {t} (id, m) VALUES (5, 'meh'), (6, 'ecstatic')")
    out["after_add"] = c.execute(f"SELECT m FROM {t} WHERE m IS NOT NULL ORDER BY m").fetchall()
    out["pg_enum"] = c.execute(
        "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = %s "
        "ORDER BY e.enumsortorder", (mood,)).fetchall()
    out["types"] = c.execute(
        "SELECT t.typtype, t.typcategory, a.typname = '_' || t.typname, a.typelem = t.oid, n.nspname "
        "FROM pg_type t JOIN pg_type a ON a.oid = t.typarray JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE t.typname = %s", (mood,)).fetchall()
    out["format_type"] = c.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", (t,)).fetchall()
    out["information_schema"] = [
        (name, data_type, udt == mood) for name, data_type, udt in c.execute(
            "SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position", (t,)).fetchall()]
    out["add_again"] = error(c, f"ALTER TYPE {mood} ADD VALUE 'ok'")
    out["add_after_missing"] = error(c, f"ALTER TYPE {mood} ADD VALUE 'x' AFTER 'nope'")
    out["create_again"] = error(c, f"CREATE TYPE {mood} AS ENUM ('a')")
    out["drop_in_use"] = error(c, f"DROP TYPE {mood}")[0]
    out["missing_type_column"] = error(c, f"CREATE TABLE {fresh('u')} (m no_such_{mood})")[0]
    c.execute(f"DROP TABLE {t}")
    c.execute(f"DROP TYPE {mood}")
    out["drop_again"] = error(c, f"DROP TYPE {mood}")
    c.execute(f"DROP TYPE IF EXISTS {mood}")
    return {k: _anonymous(v, mood, t) for k, v in out.items()}


def _anonymous(v, *names):
    """Results with the fresh names replaced, so PostgreSQL's and the gateway's compare."""
    if isinstance(v, str):
        for n in names:
            v = v.replace(n, "NAME")
        return v
    if isinstance(v, (list, tuple)):
        return type(v)(_anonymous(x, *names) for x in v)
    return v


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_enum_types_psycopg(connect, pg15, binary):
    with psycopg.connect(pg15.dsn, autocommit=True) as ref:
        want = scenario(ref, binary)
    with connect() as c:
        got = scenario(c, binary)
    for key in want:
        assert got[key] == want[key], key


async def _asyncpg_scenario(dsn: str) -> dict:
    conn = await asyncpg.connect(dsn)
    mood, t = fresh("mood"), fresh("t")
    try:
        await conn.execute(f"CREATE TYPE {mood} AS ENUM ('low', 'mid', 'high')")
        await conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, level {mood} NOT NULL)")
        insert = await conn.prepare(f"INSERT INTO {t} (id, level) VALUES ($1, $2)")
        await insert.executemany([(1, "high"), (2, "low"), (3, "mid")])
        select = await conn.prepare(f"SELECT id, level FROM {t} ORDER BY level")
        attrs = [(a.name, a.type.name == mood, a.type.kind, a.type.schema) for a in select.get_attributes()]
        rows = [tuple(r) for r in await select.fetch()]
        params = [(p.name == mood, p.kind) for p in insert.get_parameters()]
        try:
            await conn.execute(f"INSERT INTO {t} (id, level) VALUES ($1, $2)", 4, "extreme")
            bad = None
        except asyncpg.PostgresError as e:
            bad = (e.sqlstate, e.message.replace(mood, "NAME"))
        arr = await conn.fetchval(f"SELECT typname = '_' || %s FROM pg_type WHERE oid = "
                                  f"(SELECT typarray FROM pg_type WHERE typname = '{mood}')".replace("%s", f"'{mood}'"))
        await conn.execute(f"DROP TABLE {t}")
        await conn.execute(f"DROP TYPE {mood}")
        return {"attrs": attrs, "rows": rows, "params": params, "bad": bad, "array": arr}
    finally:
        await conn.close()


def test_enum_types_asyncpg(connect, pg15):
    """asyncpg introspects the result and parameter types (typtype 'e' -> text codec)."""
    want = asyncio.run(_asyncpg_scenario(pg15.dsn))
    got = asyncio.run(_asyncpg_scenario(connect.dsn))
    assert got == want


class Status(enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


def _sqlalchemy_model(url: str) -> dict:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy import orm

    suffix = uuid.uuid4().hex[:8]

    class Base(orm.DeclarativeBase):
        pass

    class Post(Base):
        __tablename__ = f"post_{suffix}"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        title = sqlalchemy.Column(sqlalchemy.String(50))
        status = sqlalchemy.Column(sqlalchemy.Enum(Status, name=f"status_{suffix}"), default=Status.draft)

    engine = sqlalchemy.create_engine(url)
    try:
        Base.metadata.create_all(engine)
        Base.metadata.create_all(engine)  # checkfirst: the type and table exist now
        with orm.Session(engine) as s:
            s.add_all([Post(title="a", status=Status.archived), Post(title="b"),
                       Post(title="c", status=Status.published)])
            s.commit()
            ordered = [(p.title, p.status) for p in s.scalars(sqlalchemy.select(Post).order_by(Post.status))]
            published = s.scalars(sqlalchemy.select(Post.title).where(Post.status == Status.published)).all()
            later = s.scalars(sqlalchemy.select(Post.title).where(Post.status > Status.draft)
                              .order_by(Post.title)).all()
        inspected = {c["name"]: (type(c["type"]).__name__, list(getattr(c["type"], "enums", [])))
                     for c in sqlalchemy.inspect(engine).get_columns(Post.__tablename__)}
        enums = [(e["name"] == f"status_{suffix}", e["labels"])
                 for e in sqlalchemy.inspect(engine).get_enums() if e["name"] == f"status_{suffix}"]
        Base.metadata.drop_all(engine)
        with engine.connect() as c:
            left = c.execute(sqlalchemy.text("SELECT count(*) FROM pg_type WHERE typname = :n"),
                             {"n": f"status_{suffix}"}).scalar()
        return {"ordered": ordered, "published": published, "later": later, "inspected": inspected,
                "enums": enums, "left": left}
    finally:
        engine.dispose()


def test_enum_sqlalchemy_model(connect, pg15):
    """A model with `Enum(PyEnum)` and SQLAlchemy's defaults (native enum: CREATE TYPE with a
    checkfirst query of pg_type, DROP TYPE in drop_all)."""
    want = _sqlalchemy_model(pg15.dsn.replace("postgresql://", "postgresql+psycopg://"))
    got = _sqlalchemy_model(connect.dsn.replace("postgresql://", "postgresql+psycopg://"))
    assert got == want
