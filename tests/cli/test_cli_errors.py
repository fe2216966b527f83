"""The CLI never prints a traceback through its own frames: a bad cdk8s.yaml, an app file that does not compile
or raises, output that cannot be written and an invalid app under every command exit 1 with one line saying
what failed and the fix. In process (typer's runner) except once, through the installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_sources
from shipform.cli import cli

GOOD = '''
from shipform import App, Environment, WebService
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
WebService(dev, "api", image="nginx:1.27.3", port=80)
'''
INVALID = GOOD + 'from shipform import Build\nWebService(dev, "web", build=Build.python("nowhere", ["x"]), port=80)\n'


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_error_line(result, *expected: str) -> str:
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project folder as the working directory, with the sources the presets need."""
    write_sources(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


CDK8S_YAMLS = [
    # (case, cdk8s.yaml, pass the app file?, expected text)
    ("invalid YAML", "app: python app.py\n  output: [", False,
     "cdk8s.yaml: 'app' cannot be read: the file is not valid YAML (line 2"),
    ("not a mapping", "- app\n- output\n", False,
     "cdk8s.yaml: 'app' cannot be read: the file is a list, not a mapping"),
    ("app not a string", "app: [python, app.py]\n", False, "cdk8s.yaml: 'app' must be a command string"),
    ("app an unclosed quote", "app: python 'app.py\n", False, "cdk8s.yaml: 'app' is not a valid command"),
    ("invalid YAML, output needed", "output: [\n", True, "cdk8s.yaml: 'output' cannot be read: the file is not valid"),
    ("output not a string", "output: 5\n", True, "cdk8s.yaml: 'output' must be a folder name, got 5"),
]


@pytest.mark.parametrize(("case", "text", "app_given", "expected"), CDK8S_YAMLS, ids=[c[0] for c in CDK8S_YAMLS])
def test_a_bad_cdk8s_yaml_is_one_line(project, case, text, app_given, expected):
    (project / "app.py").write_text(GOOD)
    (project / "cdk8s.yaml").write_text(text)
    line = one_error_line(invoke("synth", *(["app.py"] if app_given else [])), expected, "Fix: ")
    assert not (project / "dist").exists(), line


def test_an_app_file_that_does_not_compile_is_one_line(project):
    (project / "syntax.py").write_text("from shipform import App\napp = App('shop', registry='ghcr.io/acme'\n")
    one_error_line(invoke("synth", "syntax.py"), "error: syntax.py:2: '(' was never closed.",
                   "Fix: correct the Python syntax of the app file")
    (project / "nul.py").write_bytes(b"x = 1\0\n")
    one_error_line(invoke("synth", "nul.py"), "error: nul.py is not Python source (",
                   "Fix: pass the Python file that creates your App")


def test_an_app_file_that_raises_shows_the_users_frames_only(project):
    (project / "raising_helper.py").write_text("def load():\n    return {}['missing']\n\n\n"
                                               "def wrap():\n    try:\n        load()\n"
                                               "    except KeyError as err:\n        raise RuntimeError('no config') "
                                               "from err\n")
    (project / "raises.py").write_text(GOOD + "import raising_helper\nraising_helper.wrap()\n")
    result = invoke("synth", "raises.py")
    assert result.exit_code == 1 and result.stdout == ""
    helper = project / "raising_helper.py"
    frames = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("File ")]
    assert frames == [f'File "{helper}", line 7, in wrap', f'File "{helper}", line 2, in load',  # the cause
                      'File "raises.py", line 7, in <module>', f'File "{helper}", line 9, in wrap'], result.stderr
    assert "KeyError: 'missing'\n\nThe above exception was the direct cause" in result.stderr
    assert result.stderr.splitlines()[-2:] == ["RuntimeError: no config",
                                               "error: raises.py raised RuntimeError; fix the app file"]
    assert not (project / "dist").exists()


def test_an_outdir_that_is_a_file_is_one_line(project):
    (project / "app.py").write_text(GOOD)
    (project / "afile").write_text("mine\n")
    one_error_line(invoke("synth", "app.py", "--outdir", "afile"), "error: cannot create the output folder afile: ",
                   "Fix: a file is where shipform needs a folder")
    one_error_line(invoke("synth", "app.py", "--outdir", "afile", "--check"), "error: cannot read afile/shop: ")
    one_error_line(invoke("secrets", "init-local", "app.py", "--outdir", "afile"),
                   "Fix: run `shipform synth` first, with the same --outdir")
    assert (project / "afile").read_text() == "mine\n"


@pytest.mark.parametrize("command", [["synth"], ["synth", "--check"], ["secrets", "init-local"],
                                     ["secrets", "kubectl"]])
def test_an_invalid_app_is_one_line_under_every_command(project, command):
    (project / "invalid.py").write_text(INVALID)
    # the line starts with where the construct is created: the file as given and the line of WebService(...)
    one_error_line(invoke(*command, "invalid.py"), "error: invalid.py:7: shop/dev/web: 'build.context'", "Fix: ")


@pytest.mark.slow
def test_the_installed_command_prints_no_frame_of_its_own(project):
    (project / "raises.py").write_text(GOOD + "import json\njson.loads('{')\n")
    result = subprocess.run([str(Path(sys.executable).with_name("shipform")), "synth", "raises.py"],
                            capture_output=True, text=True, cwd=project, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1 and result.stdout == ""
    frames = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("File ")]
    assert frames[0] == 'File "raises.py", line 7, in <module>'
    assert all("shipform" not in f and "runpy" not in f and "typer" not in f and "click" not in f for f in frames)
    assert result.stderr.splitlines()[-2].startswith("json.decoder.JSONDecodeError: Expecting property name")
    assert result.stderr.splitlines()[-1] == "error: raises.py raised JSONDecodeError; fix the app file"


INIT_BAD_INPUTS = [
    # (case, folder name, arguments, the one error line)
    ("bad NAME", "shop", ["Shop_API"], "error: init: 'NAME' must be a DNS label (lowercase letters, digits and '-', "
     "at most 63), as an App's name, got 'Shop_API'. Fix: pass a name, e.g. `shipform init shop-api`"),
    ("NAME too long", "shop", ["a" * 64], "error: init: 'NAME' must be a DNS label (lowercase letters, digits and "
     f"'-', at most 63), as an App's name, got '{'a' * 64}'. Fix: pass a name, e.g. `shipform init {'a' * 63}`"),
    ("folder name not an App name", "My Shop", [], "error: init: 'NAME' must be a DNS label (lowercase letters, "
     "digits and '-', at most 63), as an App's name (the name of the folder {folder}), got 'My Shop'. Fix: pass a "
     "name, e.g. `shipform init my-shop`"),
    ("unknown preset", "shop", ["--preset", "rust"], "error: init: '--preset' must be one of python, node, go, got "
     "'rust'. Fix: pass --preset with one of python, node, go"),
    ("mistyped preset", "shop", ["--preset", "pyton"], "error: init: '--preset' must be one of python, node, go, got "
     "'pyton'. Fix: did you mean 'python'? pass --preset with one of python, node, go"),
]


@pytest.mark.parametrize(("case", "name", "args", "expected"), INIT_BAD_INPUTS, ids=[c[0] for c in INIT_BAD_INPUTS])
def test_init_with_a_bad_name_or_preset_is_one_line_and_writes_nothing(tmp_path, monkeypatch, case, name, args,
                                                                       expected):
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.chdir(folder)
    line = one_error_line(invoke("init", *args))
    assert line == expected.format(folder=folder)
    assert not any(folder.iterdir())


IMPORT_INPUTS = [
    # (case, file name, its content (None: make a folder), -o, expected text); the file is absent when content is ""
    ("no such file", "missing.yml", "", "app.py",
     "error: missing.yml: 'FILE' is not a file. Fix: pass the path of a compose file, e.g. docker-compose.yml"),
    ("a folder", "compose.d", None, "app.py", "error: compose.d: 'FILE' is not a file."),
    ("not YAML", "compose.yaml", "services: [\n", "app.py",
     "error: compose.yaml: 'FILE' is not valid YAML (line 2). Fix: fix the YAML, e.g. with `docker compose config`"),
    ("a list", "compose.yaml", "- api\n", "app.py",
     "error: compose.yaml: 'FILE' is not a compose file: its top level is a list, not a mapping."),
    ("no services", "compose.yaml", "volumes: {data: {}}\n", "app.py",
     "error: compose.yaml: 'services' is missing or empty: a compose file names its services there."),
    ("empty services", "compose.yaml", "services: {}\n", "app.py", "'services' is missing or empty"),
    ("a key of the wrong shape", "compose.yaml", "services: {api: {image: 'a:1', ports: 8080}}\n", "app.py",
     "error: compose.yaml: 'services.api.ports' must be a list of port mappings (the compose specification), "
     "got '8080'"),
    ("not UTF-8", "compose.yaml", b"services:\n  a: {image: \xff}\n", "app.py", "'FILE' cannot be read ("),
    ("-o not Python", "compose.yaml", "services: {a: {image: 'a:1'}}\n", "app.txt",
     "error: app.txt: '-o' must name a Python file. Fix: pass e.g. -o app.py"),
    ("-o in no folder", "compose.yaml", "services: {a: {image: 'a:1'}}\n", "nowhere/app.py",
     "error: nowhere/app.py: '-o' is in a folder that does not exist"),
]


@pytest.mark.parametrize(("case", "name", "content", "output", "expected"), IMPORT_INPUTS,
                         ids=[c[0] for c in IMPORT_INPUTS])
def test_bad_input_to_import_compose_is_one_line(project, case, name, content, output, expected):
    if content is None:
        (project / name).mkdir()
    elif isinstance(content, bytes):
        (project / name).write_bytes(content)
    elif content:
        (project / name).write_text(content)
    line = one_error_line(invoke("import", "compose", name, "-o", output), expected)
    assert "Fix: " in line and not (project / output).exists()
