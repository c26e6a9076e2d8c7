"""Structure of the IPM (ZPM) package: module.xml and the ObjectScript classes.

No IRIS here to compile the classes: these checks pin what IPM and the
Service contract need (known lifecycle phases, resources on disk, version in
step with the wheel, the methods and the exact process launch arguments).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IPM = ROOT / "ipm"
CLS = IPM / "src" / "cls"
PHASES = {"Reload", "Validate", "Compile", "Activate", "Configure", "Unconfigure"}


@pytest.fixture(scope="module")
def module():
    tree = ET.parse(IPM / "module.xml")  # well-formed or this raises
    found = tree.getroot().find("./Document/Module")
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
    assert ET.parse(IPM / "module.xml").getroot().find("./Document").get("name") == "iris-pgwire.ZPM"


def test_invoke_steps_use_real_phases(module):
    invokes = module.findall("Invoke")
    assert invokes, "expected Invoke steps"
    for inv in invokes:
        assert inv.get("Phase") in PHASES, inv.attrib
        assert inv.get("When") in ("Before", "After")
    assert {inv.get("Phase") for inv in invokes} == {"Activate", "Configure", "Unconfigure"}


def test_invoked_methods_exist(module):
    for inv in module.findall("Invoke"):
        cls = class_text(inv.get("Class"))
        assert re.search(rf"ClassMethod {inv.get('Method')}\(", cls), inv.attrib
        declared = method_signature(cls, inv.get("Method")).count(",") + 1 if method_signature(cls, inv.get("Method")).strip() else 0
        assert len(inv.findall("Arg")) <= declared


def test_resources_exist_on_disk(module):
    root = IPM / module.findtext("SourcesRoot")
    resources = [r.get("Name") for r in module.findall("Resource")]
    assert resources
    for name in resources:
        if name.endswith(".PKG"):
            pkg = root / "cls" / Path(*name[:-4].split("."))
            assert pkg.is_dir() and list(pkg.glob("*.cls")), name
        elif name.endswith(".CLS"):
            assert (root / "cls" / Path(*name[:-4].split("."))).with_suffix(".cls").is_file(), name
        else:
            pytest.fail(f"unexpected resource kind {name}")


def test_requirements_pin_the_wheel():
    lines = [line.strip() for line in (IPM / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == [f"iris-pgwire=={pyproject_version()}"]


def test_every_class_is_in_its_package_file():
    for path in CLS.rglob("*.cls"):
        expected = ".".join(path.relative_to(CLS).with_suffix("").parts)
        assert re.match(rf"(?s)(///.*?\n)*Class {re.escape(expected)}\b", path.read_text()), path
        text = path.read_text()
        assert text.count("{") == text.count("}"), f"unbalanced braces in {path}"


def class_text(name: str) -> str:
    return (CLS / Path(*name.split("."))).with_suffix(".cls").read_text()


def method_signature(cls: str, method: str) -> str:
    m = re.search(rf"ClassMethod {method}\(([^)]*)\)", cls)
    assert m, method
    return m.group(1)


def method_body(cls: str, method: str) -> str:
    start = re.search(rf"ClassMethod {method}\(", cls).start()
    end = cls.find("\n}\n", start)
    return cls[start:end]


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
    assert re.search(r'\$zf\(-100, flags, \.\.PythonBinary\(\), \.args\)', body)
    assert '"/ASYNC /LOGCMD /STDOUT="""_out_""" /STDERR="""_err_""""' in body
    assert "$zchild" in body
    launched = re.findall(r'set args\(\$increment\(args\)\) = (.+)', body)
    words = [w.strip().strip('"') for w in launched]
    assert words[:2] == ["-m", "iris_pgwire.server"]
    for flag in ("--backend", "--host", "--port", "--iris-namespace", "--pidfile"):
        assert flag in words, flag
    assert words[words.index("--pidfile") + 1] == "pidfile"
    # the password never reaches the (logged) command line
    assert "password" not in " ".join(words).lower()
    for key in ("pid", "port", "lastError"):
        assert f'^IrisPGWire("{key}")' in body


def test_python_binary_is_irispython():
    body = method_body(class_text(SERVICE), "PythonBinary")
    assert '"irispython"' in body and "BinaryDirectory()" in body


def test_stop_sends_sigterm_then_forces():
    body = method_body(class_text(SERVICE), "Stop")
    term = body.index('"kill", "-TERM", pid')
    force = body.index('"kill", "-KILL", pid')
    assert term < body.index("deadline") < force
    assert 'kill ^IrisPGWire("pid")' in body


def test_status_uses_the_health_check():
    cls = class_text(SERVICE)
    assert "HealthCheck(" in method_body(cls, "Status")
    check = method_body(cls, "HealthCheck")
    assert '"-m", "iris_pgwire.server", "--check"' in check and '"--port"' in check


def test_installer_enables_callin_and_optional_autostart():
    cls = class_text("IrisPGWire.Installer")
    assert '"%Service_CallIn"' in method_body(cls, "Activate")
    assert 'props("Enabled") = 1' in method_body(cls, "Activate")
    configure = method_body(cls, "Configure")
    assert "InstallStartupTask" in configure and "autoStart" in configure
    assert "IrisPGWire.StartTask" in method_body(cls, "InstallStartupTask")
    assert "Stop()" in method_body(cls, "Unconfigure")
    task = (CLS / "IrisPGWire" / "StartTask.cls").read_text()
    assert "Extends %SYS.Task.Definition" in task and "StartFromConfig()" in task


def test_cli_accepts_the_launch_flags():
    """The flags Service.Start passes exist in the server's CLI."""
    config = ROOT / "python" / "iris_pgwire" / "config.py"
    if not config.exists():
        pytest.skip("CLI (config.py) not on this branch yet")
    from iris_pgwire.config import parser

    ns = parser().parse_args(["--backend", "embedded", "--host", "127.0.0.1", "--port", "5432",
                              "--iris-namespace", "USER", "--log-level", "info", "--pidfile", "/tmp/x.pid"])
    assert ns.pidfile == "/tmp/x.pid" and ns.iris_namespace == "USER"
    assert parser().parse_args(["--check", "--host", "127.0.0.1", "--port", "5432"]).check
