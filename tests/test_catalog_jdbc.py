"""pgjdbc's DatabaseMetaData (Debian's libpostgresql-jdbc-java, the driver's defaults):
getPrimaryKeys, getImportedKeys, getExportedKeys and getIndexInfo on the gateway equal
PostgreSQL 15's, every column, for the two-schema catalog of test_catalog_psql (foreign
keys within a schema and across schemas, composite keys, unique and plain indexes)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from test_catalog_psql import both  # noqa: F401  (module fixture: fresh pg15 + gateway)

JAR = "/usr/share/java/postgresql.jar"
SOURCE = Path(__file__).parent / "catalog_jdbc" / "CatalogMetaData.java"
TABLES = ["public.dept", "public.emp", "public.refund", "sales.orders", "sales.item"]


def _tool(exe: str) -> str:
    path = shutil.which(exe)
    if not path:
        pytest.fail(f"{exe} not installed: scripts/install-deps.sh installs default-jdk-headless")
    return path


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("catalog_jdbc")
    subprocess.run([_tool("javac"), "-d", str(out), "-cp", JAR, str(SOURCE)], check=True, capture_output=True,
                   timeout=300)
    return out


def _metadata(classes, target) -> dict:
    proc = subprocess.run(
        [_tool("java"), "-cp", f"{classes}:{JAR}", "CatalogMetaData", target.host, str(target.port), target.user,
         target.dbname, *TABLES], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{target.name}: {proc.stderr}"
    return json.loads(proc.stdout)


def test_keys_and_indexes_match_postgres(both, classes):  # noqa: F811
    pg, gw = both
    expected = _metadata(classes, pg)
    assert expected["imported_keys sales.orders"], "the reference has a foreign key across schemas"
    got = _metadata(classes, gw)
    for call in expected:
        assert got[call] == expected[call], call
