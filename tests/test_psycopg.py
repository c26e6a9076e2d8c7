"""psycopg 3 against each target: simple and extended protocol, prepared statements,
executemany, transactions and their states, command tags, rowcount, SQLSTATEs.

psycopg sends a query without parameters over the simple query protocol and one with
parameters (or prepare=True) over the extended protocol; ClientCursor binds client-side
and always uses the simple protocol.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg import errors, pq

from helpers.targets import selected_targets

IDLE = pq.TransactionStatus.IDLE
INTRANS = pq.TransactionStatus.INTRANS
INERROR = pq.TransactionStatus.INERROR


@pytest.fixture
def conn(target):
    with psycopg.connect(target.dsn, autocommit=True, connect_timeout=10) as c:
        yield c


@pytest.fixture
def txconn(target):
    """A connection in psycopg's default mode: the first statement opens a transaction."""
    with psycopg.connect(target.dsn, connect_timeout=10) as c:
        yield c


def ids(conn, table: str) -> list[int]:
    """The ids in `table`: checks rows without depending on how aggregates are typed."""
    return [r[0] for r in conn.execute(f"select id from {table} order by id")]


@pytest.fixture
def items(conn, table_name):
    conn.execute(f"create table {table_name} (id integer primary key, name text, qty integer)")
    return table_name


def test_connect_reports_parameters(conn):
    info = conn.info
    assert info.parameter_status("server_encoding") == "UTF8"
    assert info.parameter_status("client_encoding") == "UTF8"
    assert info.parameter_status("standard_conforming_strings") == "on"
    assert info.parameter_status("integer_datetimes") == "on"
    assert info.parameter_status("DateStyle").startswith("ISO")
    assert info.server_version >= 150000
    assert info.backend_pid != 0
    assert info.transaction_status == IDLE


def test_datestyle_iso_is_iso_mdy(conn):
    conn.execute("set datestyle = 'ISO'")
    assert conn.info.parameter_status("DateStyle") == "ISO, MDY"
    assert conn.execute("select '2000-01-02'::date").fetchone()[0] == dt.date(2000, 1, 2)


@pytest.mark.parametrize("reset", ["SET SESSION TIME ZONE DEFAULT", "SET TIME ZONE LOCAL", "SET timezone TO DEFAULT"])
def test_set_time_zone_default(conn, reset):
    """pg8000's own test_typeconversion runs `SET SESSION TIME ZONE DEFAULT` (it was 22023)."""
    default = conn.execute("show timezone").fetchone()[0]
    conn.execute("set time zone 'Europe/Rome'")
    conn.execute(reset)
    assert conn.execute("show timezone").fetchone()[0] == default
    assert conn.info.parameter_status("TimeZone") == default


def test_simple_protocol_select(conn):
    cur = conn.execute("select 1, 'two', null")
    assert cur.fetchall() == [(1, "two", None)]
    assert cur.statusmessage == "SELECT 1"
    assert cur.rowcount == 1
    assert [d.name for d in cur.description] == ["?column?", "?column?", "?column?"]


def test_expression_result_types(conn, items):
    """Results of expressions and aggregates carry PostgreSQL's types, not text."""
    conn.execute(f"insert into {items} (id, name, qty) values (1, 'a', 2), (2, 'b', 3)")
    row = conn.execute(
        f"select count(*), sum(qty), max(name), min(id), 2 + 3, 'x' || 'y', 1 = 1 from {items}"
    ).fetchone()
    assert row == (2, 5, "b", 1, 5, "xy", True)


def test_expression_column_names(conn, items):
    cur = conn.execute(f"select count(*), max(name), 1 + 1, true, min(id) as id from {items}")
    assert [d.name for d in cur.description] == ["count", "max", "?column?", "?column?", "id"]


def test_column_names(conn):
    cur = conn.execute("select 1 as a, 'x' as b")
    assert [d.name for d in cur.description] == ["a", "b"]


def test_extended_protocol_parameters(conn):
    cur = conn.execute("select %s::integer + 1, %s::text, %s::text is null", (41, "héllo", None))
    assert cur.fetchone() == (42, "héllo", True)
    assert cur.statusmessage == "SELECT 1"


def test_extended_protocol_binary_results(conn):
    cur = conn.cursor(binary=True)
    cur.execute("select %s::integer * 2, %s::text", (21, "bin"))
    assert cur.fetchone() == (42, "bin")


def test_client_cursor_simple_protocol(target, items):
    with psycopg.connect(target.dsn, autocommit=True, cursor_factory=psycopg.ClientCursor) as c:
        cur = c.cursor()
        cur.execute(f"insert into {items} (id, name, qty) values (%s, %s, %s)", (1, "it's", 3))
        assert cur.statusmessage == "INSERT 0 1"
        cur.execute(f"select name, qty from {items} where id = %s", (1,))
        assert cur.fetchall() == [("it's", 3)]


def test_command_tags_and_rowcount(conn, items):
    cur = conn.cursor()
    cur.execute(f"insert into {items} (id, name, qty) values (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
    assert (cur.statusmessage, cur.rowcount) == ("INSERT 0 3", 3)
    cur.execute(f"update {items} set qty = qty * 10 where id >= 2")
    assert (cur.statusmessage, cur.rowcount) == ("UPDATE 2", 2)
    cur.execute(f"delete from {items} where id = 1")
    assert (cur.statusmessage, cur.rowcount) == ("DELETE 1", 1)
    cur.execute(f"update {items} set qty = 0 where id = 99")
    assert (cur.statusmessage, cur.rowcount) == ("UPDATE 0", 0)
    cur.execute(f"select id, qty from {items} order by id")
    assert cur.fetchall() == [(2, 20), (3, 30)]
    assert (cur.statusmessage, cur.rowcount) == ("SELECT 2", 2)


def test_command_tags_with_parameters(conn, items):
    cur = conn.cursor()
    cur.execute(f"insert into {items} (id, name, qty) values (%s, %s, %s)", (1, "a", 5))
    assert (cur.statusmessage, cur.rowcount) == ("INSERT 0 1", 1)
    cur.execute(f"update {items} set qty = %s where id = %s", (6, 1))
    assert (cur.statusmessage, cur.rowcount) == ("UPDATE 1", 1)
    cur.execute(f"delete from {items} where id = %s", (1,))
    assert (cur.statusmessage, cur.rowcount) == ("DELETE 1", 1)


def test_create_table_tag(conn, table_name):
    cur = conn.execute(f"create table {table_name} (a integer)")
    assert cur.statusmessage == "CREATE TABLE"
    cur = conn.execute(f"drop table {table_name}")
    assert cur.statusmessage == "DROP TABLE"


def test_select_five_rows(conn, items):
    conn.cursor().executemany(
        f"insert into {items} (id, name, qty) values (%s, %s, %s)",
        [(i, f"n{i}", i * i) for i in range(1, 6)],
    )
    cur = conn.execute(f"select id, name, qty from {items} order by id")
    assert cur.fetchall() == [(i, f"n{i}", i * i) for i in range(1, 6)]
    assert (cur.statusmessage, cur.rowcount) == ("SELECT 5", 5)


def test_executemany(conn, items):
    cur = conn.cursor()
    cur.executemany(
        f"insert into {items} (id, name, qty) values (%s, %s, %s)",
        [(1, "a", 10), (2, "b", 20), (3, None, 30)],
    )
    assert cur.rowcount == 3
    cur.executemany(f"update {items} set qty = qty + %s where id = %s", [(1, 1), (2, 2), (3, 99)])
    assert cur.rowcount == 2
    rows = conn.execute(f"select id, name, qty from {items} order by id").fetchall()
    assert rows == [(1, "a", 11), (2, "b", 22), (3, None, 30)]


def test_executemany_returning(conn, items):
    cur = conn.cursor()
    cur.executemany(
        f"insert into {items} (id, name) values (%s, %s) returning id * 100",
        [(1, "a"), (2, "b")],
        returning=True,
    )
    got = [cur.fetchone()]
    while cur.nextset():
        got.append(cur.fetchone())
    assert got == [(100,), (200,)]


def test_prepared_statement_reused(conn, items):
    cur = conn.cursor()
    sql = f"insert into {items} (id, name, qty) values (%s, %s, %s)"
    for i in range(5):
        cur.execute(sql, (i, f"p{i}", i), prepare=True)
        assert cur.statusmessage == "INSERT 0 1"
    query = f"select name from {items} where id = %s"
    for i in range(5):
        assert cur.execute(query, (i,), prepare=True).fetchone() == (f"p{i}",)


def test_prepared_statements_evicted_and_recreated(conn, items):
    """With a tiny cache psycopg closes (deallocates) old named statements and prepares
    new ones: named statements must coexist, close cleanly and be re-creatable."""
    conn.prepared_max = 2
    conn.execute(f"insert into {items} (id, name, qty) values (1, 'a', 10), (2, 'b', 20)")
    queries = [
        (f"select name from {items} where id = %s", (1,), ("a",)),
        (f"select qty from {items} where id = %s", (2,), (20,)),
        (f"select id from {items} where name = %s", ("b",), (2,)),
        (f"select name from {items} where qty > %s", (15,), ("b",)),
    ]
    for _ in range(3):
        for sql, params, expected in queries:
            assert conn.execute(sql, params, prepare=True).fetchone() == expected


def test_prepared_statement_with_error_then_reuse(conn, items):
    cur = conn.cursor()
    sql = f"insert into {items} (id, name) values (%s, %s)"
    cur.execute(sql, (1, "a"), prepare=True)
    with pytest.raises(errors.UniqueViolation) as ei:
        cur.execute(sql, (1, "dup"), prepare=True)
    assert ei.value.sqlstate == "23505"
    cur.execute(sql, (2, "b"), prepare=True)
    assert ids(conn, items) == [1, 2]


def test_transaction_commit(txconn, items):
    c = txconn
    assert c.info.transaction_status == IDLE
    cur = c.execute(f"insert into {items} (id, name) values (1, 'a')")
    assert cur.statusmessage == "INSERT 0 1"
    assert c.info.transaction_status == INTRANS
    c.commit()
    assert c.info.transaction_status == IDLE
    assert c.execute(f"select name from {items}").fetchall() == [("a",)]
    c.rollback()


def test_transaction_rollback(txconn, items):
    c = txconn
    c.execute(f"insert into {items} (id, name) values (1, 'a')")
    c.commit()
    c.execute(f"insert into {items} (id, name) values (2, 'b')")
    c.execute(f"update {items} set name = 'z' where id = 1")
    assert ids(c, items) == [1, 2]
    c.rollback()
    assert c.info.transaction_status == IDLE
    assert c.execute(f"select id, name from {items}").fetchall() == [(1, "a")]
    c.rollback()


def test_transaction_context_manager(conn, items):
    with conn.transaction():
        conn.execute(f"insert into {items} (id) values (1)")
        assert conn.info.transaction_status == INTRANS
    assert conn.info.transaction_status == IDLE
    with pytest.raises(RuntimeError):
        with conn.transaction():
            conn.execute(f"insert into {items} (id) values (2)")
            raise RuntimeError("roll back")
    assert conn.execute(f"select id from {items}").fetchall() == [(1,)]


def test_failed_transaction_is_aborted_until_rollback(conn, items):
    conn.execute("begin")
    conn.execute(f"insert into {items} (id, name) values (1, 'a')")
    with pytest.raises(errors.UndefinedTable) as ei:
        conn.execute(f"select * from {items}_missing")
    assert ei.value.sqlstate == "42P01"
    assert conn.info.transaction_status == INERROR
    for sql, params in [("select 1", None), (f"select * from {items}", None), ("select %s::integer", (1,))]:
        with pytest.raises(errors.InFailedSqlTransaction) as ei:
            conn.execute(sql, params)
        assert ei.value.sqlstate == "25P02"
        assert conn.info.transaction_status == INERROR
    # COMMIT of a failed transaction rolls it back (tag ROLLBACK).
    cur = conn.execute("commit")
    assert cur.statusmessage == "ROLLBACK"
    assert conn.info.transaction_status == IDLE
    assert ids(conn, items) == []


def test_failed_transaction_rollback_then_usable(txconn, items):
    c = txconn
    c.execute(f"insert into {items} (id) values (1)")
    with pytest.raises(errors.UniqueViolation):
        c.execute(f"insert into {items} (id) values (1)")
    assert c.info.transaction_status == INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        c.execute("select 'x'")
    c.rollback()
    assert c.info.transaction_status == IDLE
    assert ids(c, items) == []
    c.rollback()


@pytest.mark.parametrize("sql", ["meh", "select from where"])
def test_syntax_error_aborts_the_transaction(txconn, sql):
    """A statement the server cannot even parse fails the transaction like any other
    (psycopg's own test_auto_transaction_fail / test_autocommit_inerror)."""
    c = txconn
    c.execute("select 1")
    assert c.info.transaction_status == INTRANS
    with pytest.raises(errors.SyntaxError):
        c.execute(sql)
    assert c.info.transaction_status == INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        c.execute("select 'x'")
    c.rollback()
    assert c.info.transaction_status == IDLE


@pytest.mark.parametrize("key", ["f1 int primary key", "f1 integer primary key", "f1 bigint primary key",
                                 "f1 text primary key", "f1 int, f2 int, primary key (f1, f2)"])
def test_null_in_a_key_column_is_23502(conn, table_name, key):
    """SQLite lets a key column hold NULL, and numbers a NULL in an INTEGER PRIMARY KEY (the
    rowid); pg8000's own test_failed_transaction_* expected the insert to fail."""
    conn.execute(f"create table {table_name} ({key})")
    with pytest.raises(errors.NotNullViolation):
        conn.execute(f"insert into {table_name} (f1) values (null)")


def test_explicit_begin_commit_tags(conn, items):
    cur = conn.cursor()
    cur.execute("begin")
    assert cur.statusmessage == "BEGIN"
    assert conn.info.transaction_status == INTRANS
    cur.execute(f"insert into {items} (id) values (1)")
    cur.execute("commit")
    assert cur.statusmessage == "COMMIT"
    cur.execute("start transaction")
    assert cur.statusmessage == "START TRANSACTION"
    cur.execute("rollback")
    assert cur.statusmessage == "ROLLBACK"
    assert conn.info.transaction_status == IDLE


def test_multiple_statements_in_one_simple_query(conn, items):
    cur = conn.cursor()
    cur.execute(
        f"insert into {items} (id, name) values (1, 'a'), (2, 'b'); "
        f"update {items} set name = 'c' where id = 2; "
        f"select id, name from {items} order by id; "
        f"select name from {items} where id = 2"
    )
    results = []
    while True:
        rows = cur.fetchall() if cur.description else None
        results.append((cur.statusmessage, rows))
        if not cur.nextset():
            break
    assert results == [
        ("INSERT 0 2", None),
        ("UPDATE 1", None),
        ("SELECT 2", [(1, "a"), (2, "c")]),
        ("SELECT 1", [("c",)]),
    ]


def test_multiple_statements_error_stops_the_rest(conn, items):
    # One simple Query is one implicit transaction: an error rolls back earlier statements.
    with pytest.raises(errors.UndefinedTable):
        conn.execute(
            f"insert into {items} (id) values (1); select * from {items}_missing; "
            f"insert into {items} (id) values (2)"
        )
    assert conn.info.transaction_status == IDLE
    assert ids(conn, items) == []


def test_multiple_statements_with_explicit_commit(conn, items):
    with pytest.raises(errors.UndefinedTable):
        conn.execute(
            f"begin; insert into {items} (id) values (1); commit; "
            f"insert into {items} (id) values (2); select * from {items}_missing"
        )
    # The first transaction committed; the statements after COMMIT were rolled back.
    assert conn.execute(f"select id from {items}").fetchall() == [(1,)]


@pytest.mark.parametrize("sql", ["", "  ;  ", "-- only a comment"])
def test_empty_query(conn, sql):
    # The server answers EmptyQueryResponse; libpq reports it as PGRES_EMPTY_QUERY.
    cur = conn.cursor()
    cur.execute(sql)
    assert cur.pgresult.status == pq.ExecStatus.EMPTY_QUERY
    assert cur.statusmessage is None and cur.description is None
    assert conn.info.transaction_status == IDLE
    assert conn.execute("select 'ok'").fetchone() == ("ok",)


@pytest.mark.parametrize(
    "sql, sqlstate, exc",
    [
        ("selec 1", "42601", errors.SyntaxError),
        ("select * from no_such_table_xyz", "42P01", errors.UndefinedTable),
        ("select 1 from", "42601", errors.SyntaxError),
    ],
)
def test_error_sqlstate(conn, sql, sqlstate, exc):
    with pytest.raises(exc) as ei:
        conn.execute(sql)
    assert ei.value.sqlstate == sqlstate
    assert ei.value.diag.severity == "ERROR"
    assert ei.value.diag.message_primary
    assert conn.info.transaction_status == IDLE
    assert conn.execute("select 'ok'").fetchone() == ("ok",)


@pytest.mark.parametrize("sql", ["select 1 / 0", "select 7 % 0", "select 1.5 / 0.0",
                                 "select qty / (qty - 3) from {t}", "select id from {t} where 10 % (qty - 3) = 1"])
def test_division_by_zero(conn, items, sql):
    """22012 as in PostgreSQL (SQLite alone would answer NULL), from literals and rows."""
    conn.execute(f"insert into {items} (id, name, qty) values (1, 'a', 5), (2, 'b', 3)")
    with pytest.raises(errors.DivisionByZero) as ei:
        conn.execute(sql.format(t=items)).fetchall()
    assert ei.value.sqlstate == "22012"
    assert conn.execute(f"select qty / 2, qty %% 2, qty / %s from {items} where id = 1", (-1,)).fetchone() == (2, 1, -5)


def test_gateway_sum_of_text_is_invalid_numeric(gateway):
    """The sqlite backend's exact SUM reports text input as PostgreSQL's numeric input
    error (22P02), from inside an aggregate (PostgreSQL itself refuses sum(text) at parse time)."""
    with psycopg.connect(gateway.dsn, autocommit=True, connect_timeout=10) as c:
        c.execute("create temp table sum_text (s text)")
        c.execute("insert into sum_text values ('x')")
        with pytest.raises(errors.InvalidTextRepresentation):
            c.execute("select sum(s) from sum_text")
        with pytest.raises(errors.DivisionByZero):  # a function's error, after an aggregate's
            c.execute("select 1 / 0")


def test_error_sqlstate_extended_protocol(conn):
    with pytest.raises(errors.UndefinedTable) as ei:
        conn.execute("select * from no_such_table_xyz where 1 = %s", (1,))
    assert ei.value.sqlstate == "42P01"
    assert conn.execute("select %s", ("ok",)).fetchone() == ("ok",)


def test_unique_violation(conn, items):
    conn.execute(f"insert into {items} (id) values (1)")
    with pytest.raises(errors.UniqueViolation) as ei:
        conn.execute(f"insert into {items} (id) values (1)")
    assert ei.value.sqlstate == "23505"


def test_not_null_violation(conn, table_name):
    conn.execute(f"create table {table_name} (id integer not null)")
    with pytest.raises(errors.NotNullViolation) as ei:
        conn.execute(f"insert into {table_name} (id) values (null)")
    assert ei.value.sqlstate == "23502"


def test_typed_values_roundtrip(conn):
    row = conn.execute(
        "select %s::integer, %s::bigint, %s::double precision, %s::text, %s::boolean, %s::boolean",
        (-7, 2**40, 1.5, "ünïcode ✓", True, False),
    ).fetchone()
    assert row == (-7, 2**40, 1.5, "ünïcode ✓", True, False)


def test_limit_offset_and_order(conn, items):
    conn.cursor().executemany(
        f"insert into {items} (id, name) values (%s, %s)", [(i, f"n{i}") for i in range(10)]
    )
    cur = conn.execute(f"select id from {items} order by id desc limit 3 offset 2")
    assert cur.fetchall() == [(7,), (6,), (5,)]
    cur = conn.execute(f"select id from {items} order by id limit %s offset %s", (2, 4))
    assert cur.fetchall() == [(4,), (5,)]


def test_serial_and_returning(conn, table_name):
    conn.execute(f"create table {table_name} (id serial primary key, name text)")
    cur = conn.execute(f"insert into {table_name} (name) values ('a'), ('b') returning id, name")
    assert cur.fetchall() == [(1, "a"), (2, "b")]
    assert cur.statusmessage == "INSERT 0 2"
    cur = conn.execute(f"insert into {table_name} (name) values (%s) returning id", ("c",))
    assert cur.fetchone() == (3,)


def test_large_result(conn):
    cur = conn.execute(
        "with recursive s(i) as (select 1 union all select i + 1 from s where i < 5000) "
        "select i, 'row ' || i from s"
    )
    rows = cur.fetchall()
    assert len(rows) == 5000 and rows[0] == (1, "row 1") and rows[-1] == (5000, "row 5000")
    assert cur.statusmessage == "SELECT 5000"


def test_two_connections_are_isolated(target, items):
    with psycopg.connect(target.dsn) as a, psycopg.connect(target.dsn, autocommit=True) as b:
        a.execute(f"insert into {items} (id) values (1)")
        # Not committed yet: the other session does not see it.
        assert ids(b, items) == []
        a.commit()
        assert ids(b, items) == [1]


# --- differential: the same statement on PostgreSQL 15 and on the gateway ---------------------

DIFF_SETUP = [
    "create table diff_items (id serial primary key, name text not null, qty integer, price numeric(10,2), active boolean)",
    "insert into diff_items (name, qty, price, active) values "
    "('apple', 3, 1.25, true), ('pear', 0, 2.50, false), ('plum', 7, null, true), ('fig', null, 0.75, null)",
    "create table diff_tags (item_id integer, tag text)",
    "insert into diff_tags values (1, 'red'), (1, 'sweet'), (3, 'purple'), (9, 'orphan')",
]

DIFF_STATEMENTS = [
    ("select id, name, qty from diff_items order by id", None),
    ("select name, price from diff_items order by id", None),
    ("select name from diff_items where qty > %s order by name", (1,)),
    ("select name from diff_items where name = %s or id = %s order by id", ("pear", 4)),
    ("select name, qty from diff_items order by qty desc nulls last, name limit 2 offset 1", None),
    ("select name from diff_items where active = true order by id", None),
    ("select name from diff_items where active is null", None),
    ("select name from diff_items where qty is null or qty = 0 order by id", None),
    ("select name from diff_items where name like 'p%' order by name", None),
    ("select name from diff_items where id in (1, 3, 5) order by id", None),
    ("select i.name, t.tag from diff_items i join diff_tags t on t.item_id = i.id order by i.id, t.tag", None),
    ("select i.name, t.tag from diff_items i left join diff_tags t on t.item_id = i.id order by i.id, t.tag", None),
    ("select name from diff_items where id in (select item_id from diff_tags) order by id", None),
    ("select case when qty > 2 then 'many' when qty > 0 then 'few' else 'none' end as c from diff_items order by id", None),
    ("select coalesce(qty, -1) as q from diff_items order by id", None),
    ("select upper(name), lower('ABC'), length(name) from diff_items order by id", None),
    ("select name || '!' as shout from diff_items order by id", None),
    ("select qty * 2 + 1 as calc from diff_items where qty is not null order by id", None),
    ("select count(*) as n from diff_items", None),
    ("select active, count(*) as n from diff_items group by active having count(*) >= 1 order by n desc, active", None),
    ("select %s::integer + 1 as plus", (41,)),
    ("select '42'::integer as i, 7::text as t", None),
    ("select now() is not null as has_now", None),
    ("select distinct item_id from diff_tags order by item_id", None),
    ("update diff_items set qty = qty where qty > 100", None),
    ("delete from diff_items where id < 0", None),
    ("select * from diff_missing", None),
    ("select nope from diff_items", None),
    ("insert into diff_items (id, name) values (1, 'dup')", None),
    ("insert into diff_items (name) values (null)", None),
]


def _run_one(conn, sql: str, params) -> dict:
    """Everything a client can observe: tag, rowcount, columns and type OIDs, rows, SQLSTATE."""
    try:
        cur = conn.execute(sql, params)
    except psycopg.Error as e:
        if e.sqlstate is None:  # a client-side error: the test itself is wrong
            raise
        return {"sqlstate": e.sqlstate}
    return {
        "tag": cur.statusmessage,
        "rowcount": cur.rowcount,
        "columns": [(d.name, d.type_code) for d in cur.description or []],
        "rows": cur.fetchall() if cur.description else None,
    }


@pytest.fixture(scope="module")
def diff_conns(request):
    names = selected_targets(request.config)
    if set(names) != {"pg15", "gateway"}:
        pytest.skip("differential tests need both targets")
    conns = {}
    for name in names:
        c = psycopg.connect(request.getfixturevalue(name).dsn, autocommit=True)
        for sql in DIFF_SETUP:
            c.execute(sql)
        conns[name] = c
    yield conns
    for c in conns.values():
        c.close()


@pytest.mark.parametrize("sql, params", DIFF_STATEMENTS, ids=[s for s, _ in DIFF_STATEMENTS])
def test_differential(diff_conns, sql, params):
    expected = _run_one(diff_conns["pg15"], sql, params)
    got = _run_one(diff_conns["gateway"], sql, params)
    assert got == expected


def test_like_is_case_sensitive_and_ilike_is_not(conn):
    row = conn.execute(
        "select 'Abc' like 'a%%', 'Abc' like 'A%%', 'Abc' ilike 'a%%', 'Abc' not ilike 'a%%'"
    ).fetchone()
    assert row == (False, True, True, False)
