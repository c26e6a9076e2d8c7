"""Runs a Node program of tests/clients/node/ with the npm packages scripts/install-deps.sh
put in the client cache (NODE_PATH), once per target."""

from __future__ import annotations

import json

from harness import CACHE, CLIENTS_DIR, env_for, need, run_program

NODE_MODULES = CACHE / "node" / "node_modules"


def run_node(program_cache, target, table: str, script: str):
    node = need("node", "nodejs")

    def run():
        assert NODE_MODULES.is_dir(), f"{NODE_MODULES} missing: run scripts/install-deps.sh"
        # TZ=UTC: node-postgres reads timestamp without time zone in the process's zone.
        env = env_for(target, NODE_PATH=str(NODE_MODULES), TZ="UTC")
        return run_program([node, str(CLIENTS_DIR / "node" / script)], target, table, env=env)

    return program_cache.get((script, target.name), run)


def npm_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        return "not installed"
    return json.loads(manifest.read_text())["version"]
