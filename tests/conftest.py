"""Fixtures: a throwaway PostgreSQL 15 (`pg15`), the real gateway (`gateway`,
`gateway_factory`), and `target`, parametrized over both for differential tests.

`--targets pg15,gateway` (or IRIS_PGWIRE_TEST_TARGETS) picks the targets; the default
is both. Tests that only make sense on the gateway use `gateway` directly.
"""

from __future__ import annotations

import os
import uuid

import pytest

from helpers.gateway import GatewayProcess, stop_checked
from helpers.pgcluster import PgCluster
from helpers.targets import ALL_TARGETS, IRIS_TARGETS, Target, selected_iris_targets, selected_targets


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--targets",
        default=os.environ.get("IRIS_PGWIRE_TEST_TARGETS", ",".join(ALL_TARGETS + IRIS_TARGETS)),
        help="comma-separated servers for differential tests: pg15, gateway, and for the "
        "files that also run on the IRIS doubles (IRIS_DOUBLES = True) embedded, dbapi",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        names = selected_targets(metafunc.config)
        if getattr(metafunc.module, "IRIS_DOUBLES", False):
            names += selected_iris_targets(metafunc.config)
        metafunc.parametrize("target", names, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Gateway-only tests are skipped when the gateway is deselected (developing on pg15).
    if "gateway" in selected_targets(config):
        return
    skip = pytest.mark.skip(reason="gateway not in --targets")
    for item in items:
        if "gateway" in item.fixturenames or "gateway_factory" in item.fixturenames:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pg15():
    cluster = PgCluster()
    try:
        cluster.start()
        yield Target("pg15", cluster.host, cluster.port, cluster.dsn, user=cluster.user)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def gateway_process():
    gw = GatewayProcess().start()
    yield gw
    stop_checked(gw)


@pytest.fixture(scope="session")
def gateway(gateway_process: GatewayProcess) -> Target:
    gw = gateway_process
    return Target("gateway", gw.host, gw.port, gw.dsn, process=gw)


@pytest.fixture
def gateway_factory():
    """Start fresh gateways for tests that need isolation; each is stopped at test end."""
    started: list[GatewayProcess] = []

    def start(*extra_args: str, env: dict | None = None) -> GatewayProcess:
        gw = GatewayProcess(tuple(extra_args), env).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        stop_checked(gw)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Target:
    # embedded / dbapi: the fixtures iris_embedded / iris_dbapi (tests/clients/conftest.py).
    name = request.param
    return request.getfixturevalue(f"iris_{name}" if name in IRIS_TARGETS else name)


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses (tests share one database per target)."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    # On failure, attach the tail of the log of every gateway the test talked to.
    if report.failed:
        seen = set()
        for value in getattr(item, "funcargs", {}).values():
            gw = value.process if isinstance(value, Target) else value
            if isinstance(gw, GatewayProcess) and id(gw) not in seen:
                seen.add(id(gw))
                report.sections.append((f"gateway log (tail) port {gw.port}", gw.log()[-8000:]))
    return report
