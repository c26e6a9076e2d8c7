"""SQLAlchemy 2 Core on psycopg 3 against each target.

On connect the dialect runs its own queries (server version, current_schema(),
standard_conforming_strings, ...) and create_all(checkfirst) asks pg_catalog whether
the table exists. Every statement the engine sends is recorded, so a failure on the
gateway names the exact query it could not answer.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event


class Recorder:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __str__(self) -> str:
        return "statements sent by SQLAlchemy:\n" + "\n".join(
            f"  {i}: {s}" for i, s in enumerate(self.statements, 1)
        )


@pytest.fixture
def engine(target):
    url = target.dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    eng = sa.create_engine(url)
    rec = Recorder()

    @event.listens_for(eng, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):
        rec.statements.append(" ".join(statement.split()))

    # The dialect's first-connect queries bypass cursor events: record them in psycopg.
    def _trace(dbapi_conn, record):
        base = dbapi_conn.cursor_factory
        if getattr(base, "traced", False):
            return

        class TracingCursor(base):
            traced = True

            def execute(self, query, params=None, **kw):
                rec.statements.append(" ".join(str(query).split()))
                return super().execute(query, params, **kw)

        dbapi_conn.cursor_factory = TracingCursor

    # first_connect (the dialect's initialize) fires before any connect listener.
    event.listen(eng, "first_connect", _trace, insert=True)
    event.listen(eng, "connect", _trace, insert=True)

    eng.recorder = rec
    yield eng
    eng.dispose()


def call(engine, fn):
    """Run fn; on failure, re-raise with the statements the engine sent."""
    try:
        return fn()
    except sa.exc.SQLAlchemyError as e:
        raise AssertionError(f"{type(e).__name__}: {e}\n{engine.recorder}") from e


def test_connect_and_select(engine):
    def body():
        with engine.connect() as c:
            return c.execute(sa.text("select 1 + :x"), {"x": 41}).scalar_one()

    assert call(engine, body) == 42


def test_create_insert_select(engine, table_name):
    md = sa.MetaData()
    items = sa.Table(
        table_name, md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("qty", sa.Integer),
    )

    def body():
        md.create_all(engine)
        with engine.begin() as c:
            # A list of rows goes through SQLAlchemy's "insertmanyvalues" batching.
            c.execute(items.insert(), [
                {"id": 1, "name": "apple", "qty": 3},
                {"id": 2, "name": "pear", "qty": 0},
                {"id": 3, "name": "plum", "qty": 7},
            ])
            c.execute(items.insert().values(id=4, name="fig", qty=None))
        with engine.connect() as c:
            rows = c.execute(
                sa.select(items.c.id, items.c.name)
                .where(items.c.qty > sa.bindparam("min_qty"))
                .order_by(items.c.id),
                {"min_qty": 1},
            ).all()
            assert [tuple(r) for r in rows] == [(1, "apple"), (3, "plum")]
            one = c.execute(sa.select(items.c.qty).where(items.c.name == "fig")).scalar_one()
            assert one is None
            n = c.execute(sa.select(sa.func.count()).select_from(items)).scalar_one()
            assert n == 4
            r = c.execute(items.update().where(items.c.id == 2).values(qty=items.c.qty + 5))
            assert r.rowcount == 1
            r = c.execute(items.delete().where(items.c.qty.is_(None)))
            assert r.rowcount == 1
            c.commit()
        with engine.connect() as c:
            rows = c.execute(sa.select(items).order_by(items.c.id.desc()).limit(2)).all()
            assert [tuple(r) for r in rows] == [(3, "plum", 7), (2, "pear", 5)]

    call(engine, body)


def test_transaction_rollback(engine, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))

    def body():
        md.create_all(engine)
        with pytest.raises(RuntimeError):
            with engine.begin() as c:
                c.execute(t.insert().values(id=1))
                raise RuntimeError("roll back")
        with engine.begin() as c:
            c.execute(t.insert().values(id=2))
        with engine.connect() as c:
            assert c.execute(sa.select(t.c.id)).scalars().all() == [2]

    call(engine, body)


def test_integrity_error(engine, table_name):
    md = sa.MetaData()
    t = sa.Table(table_name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    call(engine, lambda: md.create_all(engine))
    with engine.connect() as c:
        c.execute(t.insert().values(id=1))
        with pytest.raises(sa.exc.IntegrityError) as ei:
            c.execute(t.insert().values(id=1))
        assert ei.value.orig.sqlstate == "23505"
        c.rollback()


def test_has_table_and_drop(engine, table_name):
    md = sa.MetaData()
    sa.Table(table_name, md, sa.Column("id", sa.Integer))

    def body():
        insp = sa.inspect(engine)
        assert not insp.has_table(table_name)
        md.create_all(engine)
        assert sa.inspect(engine).has_table(table_name)
        md.drop_all(engine)
        assert not sa.inspect(engine).has_table(table_name)

    call(engine, body)
