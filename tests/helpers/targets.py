"""The servers a differential test runs against."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

ALL_TARGETS = ("pg15", "gateway")
# The gateway over the IRIS backends' doubles (tests/fakes): a target only of the test files
# that opt in (IRIS_DOUBLES = True, the compatibility matrix's files, tests/clients/).
IRIS_TARGETS = ("embedded", "dbapi")


@dataclass(frozen=True)
class Target:
    """A server under test: where to connect and what it is."""

    name: str
    host: str
    port: int
    dsn: str
    user: str = "postgres"
    dbname: str = "postgres"
    # None: the server trusts the user (the default fixtures); else what it must prove.
    password: str | None = None
    # The GatewayProcess behind a gateway target, to check it is still alive.
    process: object = field(default=None, compare=False, repr=False)

    @property
    def is_gateway(self) -> bool:
        """The gateway over sqlite (the IRIS doubles' targets are is_iris)."""
        return self.name == "gateway"

    @property
    def is_iris(self) -> bool:
        return self.name in IRIS_TARGETS


def _names(config: pytest.Config) -> list[str]:
    names = [t.strip() for t in config.getoption("--targets").split(",") if t.strip()]
    unknown = set(names) - set(ALL_TARGETS + IRIS_TARGETS)
    if unknown or not names:
        raise pytest.UsageError(f"--targets: unknown or empty {sorted(unknown)}")
    return names


def selected_targets(config: pytest.Config) -> list[str]:
    """The selected servers among pg15 and the gateway over sqlite."""
    return [n for n in _names(config) if n in ALL_TARGETS]


def selected_iris_targets(config: pytest.Config) -> list[str]:
    """The selected IRIS doubles (embedded, dbapi), for the files that run on them."""
    return [n for n in _names(config) if n in IRIS_TARGETS]
