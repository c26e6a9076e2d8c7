"""The servers a differential test runs against."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

ALL_TARGETS = ("pg15", "gateway")


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
        return self.name == "gateway"


def selected_targets(config: pytest.Config) -> list[str]:
    names = [t.strip() for t in config.getoption("--targets").split(",") if t.strip()]
    unknown = set(names) - set(ALL_TARGETS)
    if unknown or not names:
        raise pytest.UsageError(f"--targets: unknown or empty {sorted(unknown)}")
    return names
