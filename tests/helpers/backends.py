"""The gateway on each backend for differential tests: sqlite (the session's `gateway`)
and the IRIS backends, embedded and dbapi, over the IRIS doubles (tests/fakes).

A test module takes them with `from helpers.backends import gateway_on  # noqa: F401`."""

from __future__ import annotations

import pytest

from helpers.targets import Target

BACKENDS = ("sqlite", "embedded", "dbapi")


@pytest.fixture(scope="module", params=BACKENDS)
def gateway_on(request, tmp_path_factory) -> Target:
    if request.param == "sqlite":
        yield request.getfixturevalue("gateway")
        return
    from test_iris_e2e import Server  # the doubles' server, as the IRIS tests start it

    server = Server(request.param, tmp_path_factory.mktemp(request.param))
    dsn = f"postgresql://u@127.0.0.1:{server.port}/d"
    yield Target(f"gateway-{request.param}", "127.0.0.1", server.port, dsn, user="u", dbname="d")
    server.stop()


def run_on(targets, *statements: str) -> None:
    """Run set-up statements (autocommit) on each target."""
    import psycopg

    for t in targets:
        with psycopg.connect(t.dsn, autocommit=True) as c:
            for sql in statements:
                c.execute(sql)
