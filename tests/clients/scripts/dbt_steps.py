"""dbt-postgres with its defaults on the matrix's dbt project (tests/clients/dbt_project/),
through dbt's own runner (dbt.cli.main.dbtRunner, what the `dbt` command calls): debug
(connects), seed (creates the schema and a table, inserts the CSV in batches), run (a view
and a table model: CREATE VIEW / CREATE TABLE AS, renames and drops in transactions), test
(unique, not_null, relationships, accepted_values), the same again (replacing what
exists), and docs generate (the catalog query). The schema is the table name the harness
gives, so each server's run is its own. Runs in the dbt venv (tests/clients/venvs/dbt.txt)."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from pysteps import dbname, finish, host, password, port, step, table, user

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # no network
from dbt.cli.main import dbtRunner  # noqa: E402

work = Path(tempfile.mkdtemp(prefix="dbt-matrix-"))
project = work / "project"
shutil.copytree(Path(__file__).resolve().parent.parent / "dbt_project", project)
# JSON is YAML: the password's quote and space need no escaping by hand.
(work / "profiles.yml").write_text(json.dumps({"matrix": {"target": "t", "outputs": {"t": {
    "type": "postgres", "host": host, "port": int(port), "user": user, "password": password,
    "dbname": dbname, "schema": table, "threads": 1}}}}))
os.environ["DBT_LOG_PATH"] = str(work / "logs")
os.environ["DBT_TARGET_PATH"] = str(work / "target")
runner = dbtRunner()


def dbt(*args):
    res = runner.invoke([*args, "--project-dir", str(project), "--profiles-dir", str(work)])
    if res.exception is not None:
        raise res.exception
    if not res.success:
        failed = [(r.node.name, str(r.status), r.message) for r in (res.result or []) if str(r.status) not in ("success", "pass")]
        raise RuntimeError(f"dbt {args[0]} failed: {failed or (work / 'logs' / 'dbt.log').read_text()[-3000:]}")
    return res


def statuses(res):
    return sorted([r.node.name, str(r.status)] for r in res.result)


@step("debug")
def _():
    return dbt("debug").success


@step("seed")
def _():
    return statuses(dbt("seed"))


@step("run")
def _():
    return statuses(dbt("run"))


@step("test")
def _():
    return statuses(dbt("test"))


@step("show")
def _():
    res = dbt("show", "--inline", f"select author, books, total_price, first_released from {table}.author_stats order by author")
    return [list(map(str, row.values())) for row in res.result.results[0].agate_table.rows]


@step("rerun")
def _():
    return [statuses(dbt("seed")), statuses(dbt("run", "--full-refresh"))]


@step("docs_generate")
def _():
    res = dbt("docs", "generate")
    return sorted(k.split(".")[-1] for k in res.result.nodes)


finish()
