"""The Node packages scripts/install-deps.sh put in the client cache, for the programs of
tests/clients/node/ (NODE_PATH)."""

from __future__ import annotations

import json

from harness import CACHE

NODE_MODULES = CACHE / "node" / "node_modules"


def node_env() -> dict:
    assert NODE_MODULES.is_dir(), f"{NODE_MODULES} missing: run scripts/install-deps.sh"
    # TZ=UTC: node-postgres reads timestamp without time zone in the process's zone.
    return {"NODE_PATH": str(NODE_MODULES), "TZ": "UTC"}


def npm_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        return "not installed"
    return json.loads(manifest.read_text())["version"]
