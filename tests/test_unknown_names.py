"""Names the gateway or the backend does not know, on every backend.

A column type the gateway has no codec for is refused at CREATE TABLE on every backend
(0A000), instead of a column that reads back as whatever SQLite's affinity makes of the
name: `datemultirange` was described as numeric, `int4range` as int8 (psycopg's own
tests/types/test_range.py and test_multirange.py, bench/conformance)."""

from __future__ import annotations

import psycopg
import pytest

from helpers.backends import gateway_on  # noqa: F401


@pytest.mark.parametrize("coltype", ["int4range", "datemultirange", "inet", "no_such_type"])
def test_column_type_without_codec_is_refused(gateway_on, table_name, coltype):
    """A name PostgreSQL does not know either is a user type that does not exist (42704, as
    PostgreSQL says; enum types are the user types the gateway has, test_enums.py)."""
    error = psycopg.errors.UndefinedObject if coltype == "no_such_type" else psycopg.errors.FeatureNotSupported
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        with pytest.raises(error):
            c.execute(f"create table {table_name} (id int primary key, x {coltype})")
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute(f"select * from {table_name}")


@pytest.mark.parametrize("coltype", ["timestamptz", "uuid", "numeric(10,2)", "name", "int4[]", "jsonb"])
def test_known_column_types_still_accepted(gateway_on, table_name, coltype):
    if gateway_on.name != "gateway" and coltype in ("name", "int4[]", "jsonb"):
        pytest.skip("IRIS stand-ins for these are tested in test_iris_e2e")
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        c.execute(f"create table {table_name} (id int primary key, x {coltype})")
        c.execute(f"drop table {table_name}")


def test_unknown_function_is_42883(gateway_on):
    """IRIS reports SQLCODE -359 (no such function); it was XX000 (psycopg's own suite on the
    IRIS doubles: 'no such function: set_config' as InternalError)."""
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            c.execute("select no_such_function(1)")
