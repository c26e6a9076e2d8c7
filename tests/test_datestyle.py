"""DateStyle: SET/SHOW/RESET and the ParameterStatus, date/timestamp/timestamptz text in the
ISO, SQL, Postgres and German styles with MDY/DMY/YMD order, and parameters read in that
order; the raw text compared with PostgreSQL 15 on every backend (sqlite, IRIS doubles)."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.backends import gateway_on  # noqa: F401

psycopg = pytest.importorskip("psycopg")
from psycopg.types.string import TextLoader  # noqa: E402

STYLES = ["ISO, MDY", "ISO, DMY", "SQL, MDY", "SQL, DMY", "Postgres, MDY", "Postgres, DMY", "German", "German, YMD"]
ZONES = ["UTC", "America/Los_Angeles", "Europe/Rome", "-2"]
LA = dt.timezone(dt.timedelta(hours=-8))


def raw(conn) -> None:
    """Date/time columns as the server's text, untouched by psycopg's parsers."""
    for name in ("date", "timestamp", "timestamptz"):
        conn.adapters.register_loader(name, TextLoader)


def outputs(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        raw(c)
        for zone in ZONES:
            c.execute(f"set time zone '{zone}'")
            for style in STYLES:
                c.execute(f"set datestyle = '{style}'")
                shown = c.execute("show datestyle").fetchone()[0]
                row = c.execute(
                    "select '1997-12-17'::date, '1997-02-03 07:37:16.5'::timestamp, %s::date, %s::timestamp, %s",
                    (dt.date(2001, 7, 4), dt.datetime(2001, 7, 4, 5, 6, 7, 890000), dt.datetime(1997, 7, 1, 23, 0, tzinfo=LA)),
                ).fetchone()
                out.append((zone, style, shown, c.info.parameter_status("DateStyle"), row))
    return out


def test_output_styles_like_postgresql(pg15, gateway_on):
    assert outputs(gateway_on) == outputs(pg15)


def input_order(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        raw(c)
        for order in ("MDY", "DMY", "YMD"):
            c.execute(f"set datestyle = ISO, {order}")
            # A text parameter read as a date: its fields in the session's order.
            out.append(c.execute("select %s::date, %s::timestamp", ("01/02/03", "04/05/06 01:02")).fetchone())
    return out


def test_parameters_read_in_datestyle_order(pg15, gateway_on):
    assert input_order(gateway_on) == input_order(pg15)


def errors(t) -> list:
    out = []
    with psycopg.connect(t.dsn, autocommit=True) as c:
        for value in ("ISO, SQL", "DMY, MDY", "wat"):
            with pytest.raises(psycopg.Error) as e:
                c.execute(f"set datestyle = '{value}'")
            out.append((e.value.sqlstate, e.value.diag.message_primary, e.value.diag.message_detail))
        c.execute("set datestyle = German")
        c.execute("set datestyle = YMD")
        out.append(c.execute("show datestyle").fetchone()[0])
        c.execute("set datestyle = default")
        out.append(c.execute("show datestyle").fetchone()[0])
        c.execute("set datestyle = SQL")
        c.execute("reset datestyle")
        out.append((c.execute("show datestyle").fetchone()[0], c.info.parameter_status("DateStyle")))
    return out


def test_setting_errors_and_reset_like_postgresql(pg15, gateway):
    assert errors(gateway) == errors(pg15)


def test_psycopg_reads_every_style(gateway_on):
    """psycopg's own text loaders follow the ParameterStatus: the values come back whole."""
    with psycopg.connect(gateway_on.dsn, autocommit=True) as c:
        for style in STYLES:
            c.execute(f"set datestyle = '{style}'")
            got = c.execute(
                "select %s::date, %s::timestamp", (dt.date(2001, 7, 4), dt.datetime(2001, 7, 4, 5, 6, 7, 890000))
            ).fetchone()
            assert got == (dt.date(2001, 7, 4), dt.datetime(2001, 7, 4, 5, 6, 7, 890000)), style
