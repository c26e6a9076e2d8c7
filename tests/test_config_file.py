"""The TOML config file (--config), --print-default-config, --check-config, the
precedence flag > environment > file > default, and docs/configuration.md generated from
the flag definitions (this test fails when the committed file drifts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from iris_pgwire.config import Config, config_docs, from_args

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_PGWIRE_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "iris_pgwire.server", *args], capture_output=True, text=True,
                          timeout=60, env=environ, stdin=subprocess.DEVNULL)


def test_docs_are_generated_from_the_flags():
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == config_docs(), (
        "docs/configuration.md is out of date: python -m iris_pgwire.server --print-config-docs "
        "> docs/configuration.md")
    for name in Config.__dataclass_fields__:
        assert f"`--{name.replace('_', '-')}`" in committed


def test_default_config_round_trips(tmp_path):
    r = cli("--print-default-config")
    assert r.returncode == 0, r.stderr
    path = tmp_path / "gateway.toml"
    path.write_text(r.stdout)
    ok = cli("--config", str(path), "--check-config")
    assert (ok.returncode, ok.stdout.strip()) == (0, f"configuration ok ({path})"), ok.stderr
    # Read back, the file gives every setting its default.
    cfg, _ = from_args(["--config", str(path)])
    assert cfg == Config()


def test_bad_files_are_reported(tmp_path):
    cases = {
        "unknown = 1\n": "unknown setting 'unknown'",
        "pool_size = \"many\"\n": "pool_size = 'many': expected int",
        "pool_size = \n": "--config",
        "log_format = \"xml\"\n": "--log-format 'xml': expected text or json",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(text)
        r = cli("--config", str(path), "--check-config")
        assert r.returncode == 2 and message in r.stderr, (text, r.stderr)
    assert "No such file" in cli("--config", str(tmp_path / "missing.toml"), "--check-config").stderr


def test_precedence_flag_env_file_default(tmp_path, monkeypatch):
    path = tmp_path / "gateway.toml"
    path.write_text('pool_size = 7\nmax_connections = 33\nfetch-batch-rows = 11\nlog_parameters = true\n')
    for k in list(os.environ):
        if k.startswith("IRIS_PGWIRE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("IRIS_PGWIRE_MAX_CONNECTIONS", "44")
    monkeypatch.setenv("IRIS_PGWIRE_FETCH_BATCH_ROWS", "22")
    cfg, _ = from_args(["--config", str(path), "--fetch-batch-rows", "99", "--no-log-parameters"])
    assert (cfg.pool_size, cfg.max_connections, cfg.fetch_batch_rows) == (7, 44, 99)
    assert cfg.log_parameters is False
    assert cfg.copy_batch_rows == Config().copy_batch_rows
    # The file may also come from the environment.
    monkeypatch.setenv("IRIS_PGWIRE_CONFIG", str(path))
    assert from_args([])[0].pool_size == 7


def test_server_runs_with_the_file(gateway_factory, tmp_path):
    """A real server started from a file: the admin console (users from the file) shows
    what won, flag over environment over file."""
    path = tmp_path / "gateway.toml"
    path.write_text('admin_users = "boss"\npool_size = 7\nmax_connections = 33\nfetch_batch_rows = 11\n')
    gw = gateway_factory("--config", str(path), "--fetch-batch-rows", "99",
                         env={"IRIS_PGWIRE_MAX_CONNECTIONS": "44"})
    with psycopg.connect(host=gw.host, port=gw.port, user="boss", dbname="iris_pgwire", autocommit=True) as c:
        config = {r[0]: r[1] for r in c.execute("SHOW CONFIG")}
    assert (config["pool_size"], config["max_connections"], config["fetch_batch_rows"]) == ("7", "44", "99")
