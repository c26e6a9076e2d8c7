"""SQLAlchemy 2 on default engines (`create_engine(url)` / `create_async_engine(url)` and
nothing else), with each PostgreSQL dialect: psycopg, psycopg2, asyncpg, pg8000. Core and
ORM session, on PostgreSQL 15 and the gateway.

Each test body takes a sync Connection or Session; for asyncpg it runs inside
`AsyncConnection.run_sync` / `AsyncSession.run_sync` on an engine made in that event loop,
which is how SQLAlchemy drives the async driver under the same API."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from harness import IRIS_NO_ARRAYS, mark_iris_gaps

CLIENT = "SQLAlchemy"
IRIS_DOUBLES = True
DIALECTS = ("psycopg", "psycopg2", "asyncpg", "pg8000")


# Tests that differ on the IRIS doubles, and why (harness.mark_iris_gaps).
IRIS_GAPS = {"test_core_types_round_trip": IRIS_NO_ARRAYS}


@pytest.fixture(autouse=True)
def _iris_gaps(request):
    mark_iris_gaps(request, IRIS_GAPS)


def client_version() -> str:
    return importlib.metadata.version("SQLAlchemy")


class Runner:
    def __init__(self, target, dialect: str) -> None:
        self.dialect = dialect
        self.url = target.dsn.replace("postgresql://", f"postgresql+{dialect}://", 1)
        self.is_async = dialect == "asyncpg"

    def connection(self, fn):
        if not self.is_async:
            eng = sa.create_engine(self.url)
            try:
                with eng.connect() as c:
                    return fn(c)
            finally:
                eng.dispose()

        async def main():
            eng = create_async_engine(self.url)
            try:
                async with eng.connect() as c:
                    return await c.run_sync(fn)
            finally:
                await eng.dispose()

        return asyncio.run(main())

    def session(self, fn):
        if not self.is_async:
            eng = sa.create_engine(self.url)
            try:
                with orm.Session(eng) as s:
                    return fn(s)
            finally:
                eng.dispose()

        async def main():
            eng = create_async_engine(self.url)
            try:
                async with AsyncSession(eng) as s:
                    return await s.run_sync(fn)
            finally:
                await eng.dispose()

        return asyncio.run(main())


@pytest.fixture(params=DIALECTS)
def runner(request, target):
    dialect = request.param
    return Runner(target, dialect)


def sqlstate(exc: sa.exc.DBAPIError) -> str:
    orig = exc.orig
    for attr in ("sqlstate", "pgcode"):
        if getattr(orig, attr, None):
            return getattr(orig, attr)
    return orig.args[0]["C"]  # pg8000: the ErrorResponse fields


def test_core_select_with_parameters(runner):
    def body(c):
        return c.execute(sa.text("select 1 + :x, :s || 'b'"), {"x": 41, "s": "a"}).one()

    assert tuple(runner.connection(body)) == (42, "ab")


def test_core_types_round_trip(target, runner, table_name):
    md = sa.MetaData()
    t = sa.Table(
        table_name, md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("b", sa.Boolean), sa.Column("i8", sa.BigInteger), sa.Column("f8", sa.Float),
        sa.Column("n", sa.Numeric(12, 3)), sa.Column("s", sa.Text), sa.Column("v", sa.String(10)),
        sa.Column("by", sa.LargeBinary), sa.Column("d", sa.Date), sa.Column("tm", sa.Time),
        sa.Column("ts", sa.DateTime), sa.Column("tz", sa.DateTime(timezone=True)),
        sa.Column("u", sa.Uuid), sa.Column("j", pg.JSONB), sa.Column("a", pg.ARRAY(sa.Integer)),
    )
    row = {
        "id": 1, "b": False, "i8": 2**40, "f8": 0.125, "n": Decimal("-1.250"), "s": "héllo",
        "v": "x'y", "by": b"\x00\x01", "d": dt.date(1999, 12, 31), "tm": dt.time(1, 2, 3),
        "ts": dt.datetime(2020, 5, 6, 7, 8, 9), "u": uuid.UUID(int=1), "j": {"k": [1, None]},
        "tz": dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), "a": [3, 2, 1],
    }

    def body(c):
        md.create_all(c)
        c.execute(t.insert(), row)
        got = c.execute(sa.select(t)).mappings().one()
        c.commit()
        return dict(got)

    assert runner.connection(body) == row


def test_core_transaction_rollback(runner, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))

    def body(c):
        md.create_all(c)
        c.commit()
        c.execute(t.insert().values(id=1))
        c.rollback()
        with c.begin():
            c.execute(t.insert().values(id=2))
        return c.execute(sa.select(t.c.id)).scalars().all()

    assert runner.connection(body) == [2]


def test_core_error_sqlstate_and_continued_use(runner, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))

    def body(c):
        md.create_all(c)
        c.execute(t.insert().values(id=1))
        c.commit()
        try:
            c.execute(t.insert().values(id=1))
        except sa.exc.IntegrityError as e:
            state = sqlstate(e)
        else:
            raise AssertionError("duplicate key accepted")
        c.rollback()
        return state, c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()

    assert runner.connection(body) == ("23505", 1)


def test_core_prepared_statement_reuse(runner):
    """The same statement many times: psycopg prepares it server-side from the 5th run,
    asyncpg from the first (its statement cache), pg8000 caches its parse."""
    stmt = sa.text("select :x * 2")

    def body(c):
        return [c.execute(stmt, {"x": i}).scalar_one() for i in range(8)]

    assert runner.connection(body) == [i * 2 for i in range(8)]


def test_orm_session(runner, table_name):
    class Base(orm.DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = table_name
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(30))
        qty: orm.Mapped[int | None]

    def body(s):
        Base.metadata.create_all(s.connection())
        # Several new objects with server-generated keys: SQLAlchemy 2's insertmanyvalues
        # "INSERT .. SELECT .. FROM (VALUES ..) AS imp_sen(p0, p1, sen_counter)
        # ORDER BY sen_counter RETURNING id, id AS id__1".
        s.add_all([Item(name="apple", qty=3), Item(name="pear", qty=None), Item(name="fig", qty=1)])
        s.commit()
        ids = s.scalars(sa.select(Item.id).order_by(Item.id)).all()
        pear = s.scalars(sa.select(Item).where(Item.name == "pear")).one()
        pear.qty = 9
        s.delete(s.get(Item, ids[0]))
        s.commit()
        s.add(Item(name="ghost"))
        s.flush()
        s.rollback()
        return ids, [(i.name, i.qty) for i in s.scalars(sa.select(Item).order_by(Item.id))]

    ids, rows = runner.session(body)
    assert len(set(ids)) == 3 and ids == sorted(ids)
    assert rows == [("pear", 9), ("fig", 1)]


def test_reflection(request, target, runner, table_name):

    def body(c):
        c.execute(sa.text(f"create table {table_name} (id int primary key, name varchar(20))"))
        c.commit()
        insp = sa.inspect(c)
        cols = [(col["name"], str(col["type"])) for col in insp.get_columns(table_name)]
        return cols, insp.get_pk_constraint(table_name)["constrained_columns"]

    assert runner.connection(body) == ([("id", "INTEGER"), ("name", "VARCHAR(20)")], ["id"])
