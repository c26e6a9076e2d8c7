"""The compatibility matrix's test files: one per client (test_<client>.py), each run on
PostgreSQL 15 and on the gateway. Each file names its client (CLIENT) and how to read the
version under test (client_version()); both go into the junit report as properties, which
scripts/client-matrix.py turns into docs/clients.md."""

from __future__ import annotations

import pytest

from harness import ProgramCache

_versions: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _matrix_properties(request: pytest.FixtureRequest, record_property) -> None:
    mod = request.module
    client = getattr(mod, "CLIENT", None)
    if client is None:
        return
    if client not in _versions:
        _versions[client] = mod.client_version()
    record_property("client", client)
    record_property("client_version", _versions[client])


@pytest.fixture(scope="session")
def program_cache() -> ProgramCache:
    return ProgramCache()
