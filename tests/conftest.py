"""Fixtures: a throwaway PostgreSQL 15 (`pg15`), the real gateway (`gateway`,
`gateway_factory`), and `target`, parametrized over both for differential tests.

`--targets pg15,gateway` (or IRIS_PGWIRE_TEST_TARGETS) picks the targets; the default
is both. Tests that only make sense on the gateway use `gateway` directly.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from helpers.gateway import GatewayProcess
from helpers.pgcluster import PgCluster

ALL_TARGETS = ("pg15", "gateway")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--targets",
        default=os.environ.get("IRIS_PGWIRE_TEST_TARGETS", ",".join(ALL_TARGETS)),
        help="comma-separated servers for differential tests: pg15, gateway",
    )


def _targets(config: pytest.Config) -> list[str]:
    names = [t.strip() for t in config.getoption("--targets").split(",") if t.strip()]
    unknown = set(names) - set(ALL_TARGETS)
    if unknown or not names:
        raise pytest.UsageError(f"--targets: unknown or empty {sorted(unknown)}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", _targets(metafunc.config), indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Gateway-only tests are skipped when the gateway is deselected (developing on pg15).
    if "gateway" in _targets(config):
        return
    skip = pytest.mark.skip(reason="gateway not in --targets")
    for item in items:
        if "gateway" in item.fixturenames or "gateway_factory" in item.fixturenames:
            item.add_marker(skip)


@dataclass(frozen=True)
class Target:
    """A server under test: where to connect and what it is."""

    name: str
    host: str
    port: int
    dsn: str
    user: str = "postgres"
    dbname: str = "postgres"

    @property
    def is_gateway(self) -> bool:
        return self.name == "gateway"


@pytest.fixture(scope="session")
def pg15():
    cluster = PgCluster()
    try:
        cluster.start()
        yield Target("pg15", cluster.host, cluster.port, cluster.dsn, user=cluster.user)
    finally:
        cluster.stop()


def _stop_checked(gw: GatewayProcess) -> None:
    code = gw.stop()
    log = gw.log()
    gw.cleanup()
    if code != 0:
        pytest.fail(
            f"gateway did not exit cleanly on SIGTERM within a few seconds "
            f"(exit code {code}; None = had to be killed)\n--- server log ---\n{log}"
        )


_session_gateway: list[GatewayProcess] = []


@pytest.fixture(scope="session")
def gateway_process():
    gw = GatewayProcess().start()
    _session_gateway.append(gw)
    yield gw
    _session_gateway.clear()
    _stop_checked(gw)


@pytest.fixture(scope="session")
def gateway(gateway_process: GatewayProcess) -> Target:
    gw = gateway_process
    return Target("gateway", gw.host, gw.port, gw.dsn)


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
        _stop_checked(gw)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(request.param)


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses (tests share one database per target)."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    # On failure, attach the tail of the session gateway's log to the report.
    callspec = getattr(item, "callspec", None)
    uses_gateway = "gateway" in getattr(item, "fixturenames", ()) or (
        callspec is not None and callspec.params.get("target") == "gateway"
    )
    if report.failed and uses_gateway and _session_gateway:
        log = _session_gateway[0].log()
        report.sections.append(("gateway log (tail)", log[-8000:]))
    return report
