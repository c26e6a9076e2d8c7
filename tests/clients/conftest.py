"""The compatibility matrix's test files: one per client (test_<client>.py), each run on
PostgreSQL 15 and on the gateway. Each file names its client (CLIENT) and how to read the
version under test (client_version()); both go into the junit report as properties, which
scripts/client-matrix.py turns into docs/clients.md."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from harness import (CACHE, CLIENTS_DIR, PASSWORD, PGJDBC_JAR, SCRAM_HBA, ProgramCache, compile_java, env_for, need,
                     run_program, scram_args, tool_python)
from helpers.gateway import GatewayProcess, stop_checked
from helpers.pgcluster import PgCluster
from helpers.targets import Target
from node_runner import node_env

_versions: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _matrix_properties(request: pytest.FixtureRequest, record_property) -> None:
    mod = request.module
    if hasattr(mod, "client_module"):
        mod = mod.client_module(request)
    client = getattr(mod, "CLIENT", None)
    if client is None:
        return
    if client not in _versions:
        _versions[client] = mod.client_version()
    record_property("client", client)
    record_property("client_version", _versions[client])


# The matrix's own servers (overriding tests/conftest.py's trusting ones): both require
# SCRAM-SHA-256 with PASSWORD from the test user, so every client file logs in with one.
@pytest.fixture(scope="session")
def pg15():
    cluster = PgCluster(hba=SCRAM_HBA)
    try:
        cluster.start()
        cluster.set_password(PASSWORD)
        yield Target("pg15", cluster.host, cluster.port, dsn_with_password(cluster.dsn),
                     user=cluster.user, password=PASSWORD)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def gateway_process(tmp_path_factory):
    gw = GatewayProcess(scram_args(tmp_path_factory.mktemp("scram"), "postgres")).start()
    yield gw
    stop_checked(gw)


@pytest.fixture(scope="session")
def gateway(gateway_process: GatewayProcess) -> Target:
    gw = gateway_process
    return Target("gateway", gw.host, gw.port, dsn_with_password(gw.dsn), password=PASSWORD,
                  process=gw)


def _iris_double(backend: str):
    """A gateway of its own over a fresh IRIS double (tests/fakes) with the `backend`, the
    test user logging in by SCRAM like on the other servers. Imported late: it needs the
    built extension."""
    from test_iris_e2e import Server

    data = Path(tempfile.mkdtemp(prefix=f"iris-double-{backend}-"))
    server = Server(backend, data, *scram_args(Path(tempfile.mkdtemp(prefix="iris-double-scram-")), "u"))
    dsn = dsn_with_password(f"postgresql://u@127.0.0.1:{server.port}/d")
    return server, Target(backend, "127.0.0.1", server.port, dsn, user="u", dbname="d", password=PASSWORD)


@pytest.fixture(scope="session")
def iris_embedded():
    server, target = _iris_double("embedded")
    yield target
    server.stop()


@pytest.fixture(scope="session")
def iris_dbapi():
    server, target = _iris_double("dbapi")
    yield target
    server.stop()


def dsn_with_password(dsn: str) -> str:
    user, rest = dsn.removeprefix("postgresql://").split("@", 1)
    return f"postgresql://{user}:{quote(PASSWORD, safe='')}@{rest}"


@pytest.fixture(scope="session")
def program_cache() -> ProgramCache:
    return ProgramCache()


# The compiled client programs, built once per session (Go's and cargo's caches make a
# rebuild cheap; scripts/test.sh builds the Rust one before pytest).
GO_ENV = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOPROXY": "off", "GOFLAGS": "",
          "GOCACHE": str(CACHE / "go" / "cache")}
RUST_PROJECT = CLIENTS_DIR / "rust"


@pytest.fixture(scope="session")
def pgjdbc_classes(tmp_path_factory):
    return compile_java(tmp_path_factory.mktemp("pgjdbc"), "PgjdbcSteps.java")


@pytest.fixture(scope="session")
def pgx_binary(tmp_path_factory):
    go = need("go", "golang-go and golang-github-jackc-pgx-v4-dev")
    out = tmp_path_factory.mktemp("pgx") / "pgx_steps"
    proc = subprocess.run([go, "build", "-o", str(out), str(CLIENTS_DIR / "go" / "pgx_steps.go")],
                          capture_output=True, text=True, timeout=600, env=env_for(None, **GO_ENV))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def rust_binaries():
    """The directory of the tokio-postgres and sqlx programs; a no-op when scripts/test.sh
    built them already (the first build takes minutes)."""
    cargo = need("cargo", "the Rust toolchain")
    target_dir = CACHE / "rust-target"
    proc = subprocess.run(
        [cargo, "build", "--locked", "--quiet", "--manifest-path", str(RUST_PROJECT / "Cargo.toml"),
         "--target-dir", str(target_dir)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return target_dir / "debug"


@pytest.fixture(scope="session")
def prisma_client():
    """`prisma generate` of tests/clients/node/prisma/schema.prisma into the client cache
    (prisma-client-js: plain JavaScript and the Wasm query compiler). Every command of the
    prisma CLI first looks for the migrate engine binary, which it would download from
    Prisma's own host; generate never runs it, so any existing file stands in for it."""
    node_modules = CACHE / "node" / "node_modules"
    out = CACHE / "node" / "prisma-client"
    schema = out.parent / "prisma-schema.prisma"
    text = (CLIENTS_DIR / "node" / "prisma" / "schema.prisma").read_text().replace("__OUTPUT__", str(out))
    schema.write_text(text)
    proc = subprocess.run([need("node", "nodejs"), str(node_modules / "prisma" / "build" / "index.js"), "generate",
                           "--schema", str(schema)], capture_output=True, text=True, timeout=300, cwd=out.parent,
                          env=env_for(None, PRISMA_SCHEMA_ENGINE_BINARY=sys.executable,
                                      PRISMA_HIDE_UPDATE_MESSAGE="1", CHECKPOINT_DISABLE="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


SCRIPTS = CLIENTS_DIR / "scripts"
# program: (fixture the command needs or None, command from it, table, extra environment)
PROGRAMS = {
    "node-pg": (None, lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "node_pg.js")],
                "t_node_pg", node_env),
    "node-postgres": (None, lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "node_postgres.js")],
                      "t_node_postgres", node_env),
    "pgjdbc": ("pgjdbc_classes", lambda classes: [need("java", "default-jdk-headless"), "-cp",
                                                  f"{classes}:{PGJDBC_JAR}", "PgjdbcSteps"], "t_pgjdbc", None),
    "pgx": ("pgx_binary", lambda binary: [str(binary)], "t_pgx", None),
    "tokio-postgres": ("rust_binaries", lambda bins: [str(bins / "tokio-postgres-steps")], "t_tokio_postgres", None),
    "sqlx": ("rust_binaries", lambda bins: [str(bins / "sqlx-steps")], "t_sqlx", None),
    "ruby-pg": (None, lambda _: [need("ruby", "ruby-pg"), str(SCRIPTS / "ruby_pg_steps.rb")], "t_ruby_pg", None),
    "php-pdo": (None, lambda _: [need("php", "php-cli php-pgsql"), str(SCRIPTS / "php_pdo_steps.php")],
                "t_php_pdo", None),
    "sequelize": (None, lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "sequelize.js")],
                  "t_sequelize", node_env),
    "drizzle": (None, lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "drizzle.js")],
                "t_drizzle", node_env),
    "typeorm": (None, lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "typeorm.js")],
                "t_typeorm", node_env),
    "prisma": ("prisma_client", lambda _: [need("node", "nodejs"), str(CLIENTS_DIR / "node" / "prisma.js")],
               "t_prisma", node_env),
    "langchain": (None, lambda _: [tool_python("vectorstores"), str(SCRIPTS / "langchain_steps.py")],
                  "t_langchain", None),
    "llamaindex": (None, lambda _: [tool_python("vectorstores"), str(SCRIPTS / "llamaindex_steps.py")],
                   "t_llamaindex", None),
    "dbt": (None, lambda _: [tool_python("dbt"), str(SCRIPTS / "dbt_steps.py")], "t_dbt", None),
    "django": (None, lambda _: [sys.executable, str(SCRIPTS / "django_steps.py")], "t_django", None),
    "perl-dbd-pg": (None, lambda _: [need("perl", "libdbd-pg-perl"), str(SCRIPTS / "perl_dbd_pg_steps.pl")],
                    "t_perl_dbd", None),
}


# Programs that start a large Python tool several times (dbt parses its project on every
# command; LangChain and LlamaIndex import for seconds): their test files raise the per-test
# limit to match (pytestmark), since the first test of a target runs the whole program.
PROGRAM_TIMEOUT = {"dbt": 540, "langchain": 300, "llamaindex": 300}


@pytest.fixture
def client_steps(request, program_cache):
    """client_steps(program, target): that program's steps on that server, run once."""
    def get(program: str, target):
        fixture, command, table, extra_env = PROGRAMS[program]
        built = request.getfixturevalue(fixture) if fixture else None

        def run():
            env = env_for(None, **(extra_env() if extra_env else {}))
            return run_program(command(built), target, table, env=env, timeout=PROGRAM_TIMEOUT.get(program, 170))
        return program_cache.get((program, target.name), run)
    return get
