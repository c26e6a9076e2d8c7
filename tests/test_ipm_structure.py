"""Structure of the IPM (zpm) module: module.xml against what IPM's source accepts
(helpers/ipm_schema.py), the lifecycle steps where IPM calls them, and the ObjectScript
classes through a structural check (helpers/objectscript.py). No IRIS here to compile them;
tests/test_ipm_package.py builds and installs the module.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import ipm_schema as S
from helpers.objectscript import check_package, parse_class, split_args, string_literals

ROOT = Path(__file__).resolve().parent.parent
IPM = ROOT / "ipm"
CLS = IPM / "src" / "cls"


@pytest.fixture(scope="module")
def module():
    tree = ET.parse(IPM / "module.xml")  # well-formed or this raises
    assert tree.getroot().tag == "Export"
    doc = tree.getroot().find("./Document")
    assert doc is not None and doc.get("name") == "iris-pgwire.ZPM"
    found = doc.find("./Module")
    assert found is not None, "module.xml needs Export/Document/Module"
    return found


def pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return re.search(r'(?m)^version\s*=\s*"([^"]+)"', text).group(1)


def test_identity(module):
    assert module.findtext("Name") == "iris-pgwire"
    assert module.findtext("Version") == pyproject_version()
    assert module.findtext("Packaging") == "module"
    assert module.find("SystemRequirements").get("Version", "").startswith(">=")


def test_every_element_and_attribute_is_one_ipm_reads(module):
    for child in module:
        tag = child.tag
        if tag in S.PROCESSOR_ATTRIBUTES:
            allowed = S.PROCESSOR_ATTRIBUTES[tag] | S.RESOURCE_ATTRIBUTES
            for need in S.REQUIRED_PROCESSOR_ATTRIBUTES.get(tag, []):
                assert need & set(child.attrib), (tag, need)
        else:
            assert tag in S.MODULE_CHILDREN, f"<{tag}> is not a Module element IPM reads"
            allowed = {"Resource": S.RESOURCE_ATTRIBUTES, "Invoke": S.INVOKE_ATTRIBUTES,
                       "Default": S.DEFAULT_ATTRIBUTES,
                       "SystemRequirements": S.SYSTEM_REQUIREMENTS_SINCE_V0_9}.get(tag, set())
        assert set(child.attrib) <= allowed, (tag, set(child.attrib) - allowed)
        if "Scope" in child.attrib:
            assert child.get("Scope") in S.RESOURCE_SCOPES
    for child in module.find("Author"):
        assert child.tag in S.AUTHOR_CHILDREN, child.tag
    for inv in module.findall("Invoke"):
        assert inv.get("Phase") in S.PHASES and inv.get("When") in S.WHEN, inv.attrib
        assert [c.tag for c in inv] == ["Arg"] * len(inv)
        assert all(len(arg.text or "") <= S.INVOKE_ARG_MAXLEN for arg in inv)


def test_expressions_are_ones_ipm_evaluates(module):
    defaults = {d.get("Name").lower() for d in module.findall("Default")}
    known = S.MODULE_EXPRESSIONS | S.SYSTEM_EXPRESSIONS | defaults
    text = ET.tostring(module, encoding="unicode")
    used = re.findall(r"\$\{([^}]*)\}|\{\$([^}]*)\}", text)
    assert used
    for a, b in used:
        assert (a or b).lower() in known, a or b
    assert "ipmdir" not in {(a or b).lower() for a, b in used}, "${ipmDir} is newer than IPM 0.9"


def test_no_requirements_txt():
    """IPM pip-installs requirements.txt from the index, where the name iris-pgwire is taken."""
    assert not (IPM / "requirements.txt").exists()


def test_wheels_travel_with_the_module(module):
    copies = module.findall("FileCopy")
    assert [c.get("Name") for c in copies] == ["/wheels/"]
    target = copies[0].get("Target")
    assert target.lower().startswith("${mgrdir}")
    activate = [i for i in module.findall("Invoke") if i.get("Method") == "Activate"]
    assert len(activate) == 1
    assert activate[0].findtext("Arg") == target, "Activate installs from FileCopy's copy"


def test_lifecycle_steps_run_where_ipm_calls_them(module):
    """Install = Activate (with Configure inside it); uninstall = Clean (Unconfigure inside)."""
    reached = set(S.INSTALL_PHASES) | set(S.UNINSTALL_PHASES)
    for outer in list(reached):
        reached |= set(S.PHASES_INSIDE.get(outer, []))
    steps = {(i.get("Method"), i.get("Phase"), i.get("When")) for i in module.findall("Invoke")}
    assert steps == {("Activate", "Activate", "Before"), ("Configure", "Configure", "After"),
                     ("Unconfigure", "Unconfigure", "Before")}
    assert all(phase in reached for _, phase, _ in steps)
    # The wheel must be in before Configure may start the gateway: Configure runs inside
    # Activate's own step, i.e. after Invokes When="Before" and before When="After".
    assert S.PHASES_INSIDE["Activate"] == ["Configure"]
    # A failed step must fail the install on every IPM (CheckStatus defaulted to 0 before 0.10.5).
    assert all(i.get("CheckStatus") == "true" for i in module.findall("Invoke"))


def test_invoked_methods_exist_with_their_arguments(module):
    for inv in module.findall("Invoke"):
        cf = parse_class(class_path(inv.get("Class")))
        assert cf.members.get(inv.get("Method")) == "ClassMethod", inv.attrib
        params = method_signature(class_path(inv.get("Class")).read_text(), inv.get("Method"))
        declared = len(split_args(params + ")")) if params.strip() else 0
        assert len(inv.findall("Arg")) <= declared


def test_resources_exist_on_disk(module):
    root = IPM / module.findtext("SourcesRoot")
    for name in [r.get("Name") for r in module.findall("Resource")]:
        assert name.endswith(".PKG"), name
        pkg = root / "cls" / Path(*name[:-4].split("."))
        assert pkg.is_dir() and list(pkg.glob("*.cls")), name


def test_objectscript_structure():
    package, problems = check_package(CLS)
    assert set(package) == {"IrisPGWire.Installer", "IrisPGWire.Notify", "IrisPGWire.Service", "IrisPGWire.StartTask"}
    assert problems == []
    for path in CLS.rglob("*.cls"):
        expected = ".".join(path.relative_to(CLS).with_suffix("").parts)
        assert parse_class(path).name == expected, path


@pytest.mark.parametrize("snippet, complaint", [
    ('    do $zf(-100, "", "kill", pid)', "DO needs a method"),
    ('    try {\n        quit sc\n    } catch ex {\n    }', "QUIT with an argument"),
    ('    sett x = 1', "unknown command"),
    ('    if x {\n        set y = 1', "unclosed"),
    ('    set rc = $zf(-100, "/ASYNCH", "ls")', "unknown $ZF(-100) keyword"),
    ('    set rc = $zf(-100, "", .args, "ls")', "3rd and last"),
    ('    set rc = $zf(-100, "/SHELL")', "needs a program"),
    ('    set x = ..Missing()', "not a member"),
    ('    set x = $$$NOSUCH', "unknown macro"),
    ('    set x = $zfoo(1)', "unknown function"),
])
def test_objectscript_check_catches(tmp_path, snippet, complaint):
    cls = tmp_path / "X" / "Y.cls"
    cls.parent.mkdir()
    cls.write_text(f"Class X.Y\n{{\n\nClassMethod M() As %Status\n{{\n{snippet}\n}}\n\n}}\n")
    _, problems = check_package(tmp_path)
    assert any(complaint in p for p in problems), problems


def class_path(name: str) -> Path:
    return (CLS / Path(*name.split("."))).with_suffix(".cls")


def class_text(name: str) -> str:
    return class_path(name).read_text()


def method_signature(cls: str, method: str) -> str:
    m = re.search(rf"ClassMethod {method}\(([^)]*)\)", cls)
    assert m, method
    return m.group(1)


def method_body(cls: str, method: str) -> str:
    return parse_class_text(cls, method)


def parse_class_text(cls: str, method: str) -> str:
    start = re.search(rf"ClassMethod {method}\(", cls).start()
    return cls[start:cls.find("\n}\n", start)]


def parameter(cls: str, name: str) -> str:
    m = re.search(rf'^Parameter {name} = "((?:[^"]|"")*)";$', cls, re.M)
    assert m, name
    return m.group(1).replace('""', '"')


SERVICE = "IrisPGWire.Service"


@pytest.mark.parametrize("method", ["Start", "Stop", "Restart", "Status"])
def test_service_methods(method):
    assert method_signature(class_text(SERVICE), method) is not None


def test_start_signature_and_launch():
    cls = class_text(SERVICE)
    assert method_signature(cls, "Start").startswith("port As %Integer")
    assert "options" in method_signature(cls, "Start")
    body = method_body(cls, "Start")
    # background process, logged command, redirected output, pid from $ZCHILD
    assert re.search(r"\$zf\(-100, flags, program, \.args\)", body)
    assert '"/ASYNC /LOGCMD /STDOUT="""_out_""" /STDERR="""_err_""""' in body
    assert "$zchild" in body
    launched = re.findall(r"set args\(\$increment\(args\)\) = (.+)", body)
    words = [w.strip().strip('"') for w in launched]
    assert words[:2] == ["-m", "iris_pgwire.server"]
    for flag in ("--backend", "--host", "--port", "--iris-namespace", "--pidfile"):
        assert flag in words, flag
    assert words[words.index("--pidfile") + 1] == "pidfile"
    # the password never reaches the (logged) command line
    assert "password" not in " ".join(words).lower()
    assert "SetEnviron" not in cls, "%SYSTEM.Util has GetEnviron only; a job cannot set its own"
    for key in ("pid", "port", "lastError"):
        assert f'^IrisPGWire("{key}")' in body


def test_credentials_launcher_exports_them_through_stdin(tmp_path):
    """Start's /bin/sh -c LAUNCHER reads user and password from stdin (the credentials file)."""
    cls = class_text(SERVICE)
    body = method_body(cls, "Start")
    shell = [w.strip() for w in re.findall(r"set shell\(\$increment\(shell\)\) = (.+)", body)]
    assert shell == ['"-c"', "..#LAUNCHER", '"iris-pgwire"', "program", "args(i) }"]
    assert '/STDIN="""_credentials_""""' in body and 'set program = "/bin/sh"' in body
    creds = tmp_path / "creds"
    creds.write_text('app\np@ss "w;rd $x\n')
    names = ["IRISUSERNAME", "IRISPASSWORD", "IRIS_PGWIRE_IRIS_USER", "IRIS_PGWIRE_IRIS_PASSWORD"]
    probe = f"import json, os; print(json.dumps([os.environ.get(n) for n in {names!r}]))"
    with creds.open() as stdin:
        out = subprocess.run(["/bin/sh", "-c", parameter(cls, "LAUNCHER"), "iris-pgwire",
                              sys.executable, "-c", probe],
                             stdin=stdin, capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(out.stdout) == ["app", 'p@ss "w;rd $x', "app", 'p@ss "w;rd $x']


def test_python_binary_is_irispython():
    body = method_body(class_text(SERVICE), "PythonBinary")
    assert '"irispython"' in body and "BinaryDirectory()" in body


def test_stop_sends_sigterm_then_forces():
    body = method_body(class_text(SERVICE), "Stop")
    term = body.index('"kill", "-TERM", pid')
    force = body.index('"kill", "-KILL", pid')
    assert term < body.index("deadline") < force
    assert 'kill ^IrisPGWire("pid")' in body
    # It waits at least the gateway's --shutdown-timeout, which Start passes.
    cls = class_text(SERVICE)
    assert "..ShutdownTimeout(" in body and "+ ..#STOPMARGIN" in body
    launched = [w.strip() for w in re.findall(r"set args\(\$increment\(args\)\) = (.+)", method_body(cls, "Start"))]
    assert launched[launched.index('"--shutdown-timeout"') + 1] == "..ShutdownTimeout(opts)"
    assert 'opts.%Get("shutdownTimeout", ..#SHUTDOWNTIMEOUT)' in method_body(cls, "ShutdownTimeout")


def test_status_uses_the_health_check():
    cls = class_text(SERVICE)
    assert "HealthCheck(" in method_body(cls, "Status")
    check = method_body(cls, "HealthCheck")
    assert '"-m", "iris_pgwire.server", "--check"' in check and '"--port"' in check


def test_status_uses_healthz_with_a_metrics_port():
    """Started with "metricsPort", the gateway serves /healthz there and Start/Status ask it
    over HTTP instead of starting a Python process for --check."""
    cls = class_text(SERVICE)
    launched = [w.strip() for w in re.findall(r"set args\(\$increment\(args\)\) = (.+)", method_body(cls, "Start"))]
    assert launched[launched.index('"--metrics-port"') + 1] == '+opts.%Get("metricsPort")'
    assert launched[launched.index('"--metrics-host"') + 1] == 'opts.%Get("metricsHost", "127.0.0.1")'
    assert 'HealthCheck(port, opts.%Get("host", "127.0.0.1"), opts)' in method_body(cls, "Status")
    assert 'HealthCheck(+port, opts.%Get("host", "127.0.0.1"), opts)' in method_body(cls, "Start")
    check = method_body(cls, "HealthCheck")
    assert check.index('..Healthz(opts.%Get("metricsHost", "127.0.0.1"), +opts.%Get("metricsPort"))') \
        < check.index('"--check"')
    healthz = method_body(cls, "Healthz")
    assert "%Net.HttpRequest" in healthz and 'Get("/healthz")' in healthz
    assert "HttpResponse.StatusCode = 200" in healthz
    # The flags Start passes exist in the CLI.
    from iris_pgwire.config import parser

    ns = parser().parse_args(["--metrics-port", "9187", "--metrics-host", "127.0.0.1"])
    assert (ns.metrics_port, ns.metrics_host) == (9187, "127.0.0.1")


def test_status_reports_the_job_workers():
    """Start points the gateway's --status-file at a file Status reads the jobs from
    (its format: test_iris_jobs.py, server.JobStatus)."""
    cls = class_text(SERVICE)
    start = method_body(cls, "Start")
    launched = [w.strip() for w in re.findall(r"set args\(\$increment\(args\)\) = (.+)", start)]
    assert launched[launched.index('"--status-file"') + 1] == "statusfile"
    assert launched[launched.index('"--iris-jobs"') + 1] == '+opts.%Get("jobs")'
    assert 'set ^IrisPGWire("statusfile") = statusfile' in start
    assert 'status.%Set("jobs", $select(running: ..Jobs(), 1: []))' in method_body(cls, "Status")
    jobs = method_body(cls, "Jobs")
    assert '$get(^IrisPGWire("statusfile"))' in jobs and "%FromJSON(stream)" in jobs and "doc.jobs" in jobs


def test_installer_steps():
    cls = class_text("IrisPGWire.Installer")
    assert "EnableCallIn()" in method_body(cls, "Activate")
    assert "InstallWheel(wheelDir, version)" in method_body(cls, "Activate")
    assert 'props("Enabled") = 1' in method_body(cls, "EnableCallIn")
    install = method_body(cls, "InstallWheel")
    assert "..Architecture()" in install and "..WheelFor(" in install and "..PipCommand(" in install
    assert '"iris_pgwire-"_version_".dist-info/RECORD"' in install
    configure = method_body(cls, "Configure")
    assert "InstallStartupTask" in configure and "autoStart" in configure
    assert "IrisPGWire.StartTask" in method_body(cls, "InstallStartupTask")
    unconfigure = method_body(cls, "Unconfigure")
    for step in ("Service).Stop()", "..RemoveStartupTask()", "..RemoveWheel()", "RemoveDirectoryTree(work)"):
        assert step in unconfigure, step
    task = class_text("IrisPGWire.StartTask")
    assert "Extends %SYS.Task.Definition" in task and "StartFromConfig()" in task


def test_pip_command_installs_offline_from_the_wheel_folder():
    args = pip_command_template()
    assert args[:4] == ["python", "-m", "pip", "install"]
    for flag in ("--no-index", "--target", "--upgrade"):
        assert flag in args
    assert args[args.index("--find-links") + 1] == "wheelDir"
    assert args[args.index("--target") + 1] == "target"
    assert args[-1] == "wheel"
    assert "--index-url" not in args and "--extra-index-url" not in args


def pip_command_template() -> list[str]:
    """Installer.PipCommand's $listbuild: literals as text, parameters by name."""
    body = method_body(class_text("IrisPGWire.Installer"), "PipCommand")
    m = re.search(r"return \$listbuild\(", body)
    return [string_literals(a)[0] if a.startswith('"') else a for a in split_args(body[m.end():])]


def test_cli_accepts_the_launch_flags():
    """The flags Service.Start passes exist in the server's CLI."""
    from iris_pgwire.config import parser

    ns = parser().parse_args(["--backend", "embedded", "--host", "127.0.0.1", "--port", "5432",
                              "--iris-namespace", "USER", "--log-level", "info", "--pidfile", "/tmp/x.pid",
                              "--shutdown-timeout", "5"])
    assert ns.pidfile == "/tmp/x.pid" and ns.iris_namespace == "USER" and ns.shutdown_timeout == 5
    assert parser().parse_args(["--check", "--host", "127.0.0.1", "--port", "5432"]).check
