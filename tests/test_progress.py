"""Progress displays of long CLI work: `python -m iris_pgwire.users import` (hashing
thousands of SCRAM verifiers) and scripts/package-ipm.sh's wheel builds
(scripts/lib/progress.sh). Both stay silent for work that ends quickly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
USERS_CLI = [sys.executable, "-m", "iris_pgwire.users"]


def test_users_import_shows_progress_and_logs_in(tmp_path, gateway_factory):
    source = tmp_path / "people.txt"
    source.write_text("# name:password\n" + "".join(f"user{i}:pw-{i}\n" for i in range(8)) + "\n")
    users = tmp_path / "users"
    env = {**os.environ, "IRIS_PGWIRE_PROGRESS_AFTER": "0", "IRIS_PGWIRE_PROGRESS_EVERY": "0"}
    r = subprocess.run([*USERS_CLI, "import", str(source), "--file", str(users)], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"imported 8 users into {users} (8 new; send the server SIGHUP to reload)"
    lines = r.stderr.splitlines()
    # Not a terminal: plain lines, counting up to the total.
    assert lines and lines[-1].startswith("hashing passwords: 8/8 (100%)"), r.stderr
    assert any(line.startswith("hashing passwords: 1/8 ") for line in lines), r.stderr
    # Quick work says nothing with the default threshold (2 s).
    one = tmp_path / "one.txt"
    one.write_text("user0:changed\n")
    quiet = subprocess.run([*USERS_CLI, "import", str(one), "--file", str(users)], capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "" and "(0 new;" in quiet.stdout
    # The verifiers work: a SCRAM login with an imported password.
    hba = tmp_path / "hba"
    hba.write_text("host all all 127.0.0.1/32 scram-sha-256\n")
    gw = gateway_factory("--hba-file", str(hba), "--users-file", str(users))
    with psycopg.connect(host=gw.host, port=gw.port, user="user7", password="pw-7", dbname="x") as c:
        assert c.execute("select current_user").fetchone() == ("user7",)


def test_users_import_refuses_bad_lines(tmp_path):
    source = tmp_path / "bad.txt"
    source.write_text("alice:one\nno-colon-here\n")
    r = subprocess.run([*USERS_CLI, "import", str(source), "--file", str(tmp_path / "users")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and f"{source}:2: expected name:password" in r.stderr
    assert not (tmp_path / "users").exists()


def test_shell_progress_ticks_while_a_step_runs():
    script = f'. {ROOT}/scripts/lib/progress.sh; progress_run "building" sleep 3; echo "status $?"'
    env = {**os.environ, "PROGRESS_AFTER": "0", "PROGRESS_EVERY": "1"}
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert r.stdout == "status 0\n"
    ticks = [line for line in r.stderr.splitlines() if line.startswith("building: 0:0")]
    assert len(ticks) >= 2, r.stderr
    failing = subprocess.run(["bash", "-c", f'. {ROOT}/scripts/lib/progress.sh; progress_run "x" false; echo $?'],
                             capture_output=True, text=True, timeout=60)
    assert failing.stdout == "1\n" and failing.stderr == ""
