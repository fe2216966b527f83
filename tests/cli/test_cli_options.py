"""The habits of a command line: -h everywhere, shell completion, --quiet / --verbose, --json for scripts (synth,
synth --check, diff: one document, errors included, exit codes unchanged) and colour on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_sources
from shipform.cli import cli

SHIPFORM = Path(sys.executable).with_name("shipform")
APP = '''
from shipform import App, Environment, WebService
app = App("shop", registry="ghcr.io/acme", workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", replicas=REPLICAS)
for env in (dev, prod):
    WebService(env, "api", image="nginx:1.27.3", port=80)
'''


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    write_sources(tmp_path)
    path = tmp_path / "app.py"
    path.write_text(APP.replace("REPLICAS", "2"))
    return path


def out(app_file: Path) -> str:
    return str(app_file.parent / "out")


@pytest.mark.parametrize("command", [[], ["synth"], ["diff"], ["graph"], ["lock"], ["lock", "record"],
                                     ["secrets"], ["secrets", "kubectl"], ["promote"]])
def test_h_is_help_on_every_command(command):
    short, long = invoke(*command, "-h"), invoke(*command, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and "Usage: " in short.stdout and "-h, --help" in short.stdout


@pytest.mark.slow
def test_completion_is_offered_and_completes_commands():
    assert "--install-completion" in invoke("--help").stdout
    script = CliRunner().invoke(cli, ["--show-completion", "bash"], prog_name="shipform")
    assert script.exit_code == 0 and "_SHIPFORM_COMPLETE=complete_bash" in script.stdout
    done = subprocess.run([str(SHIPFORM)], capture_output=True, text=True, env={
        **os.environ, "_SHIPFORM_COMPLETE": "complete_bash", "COMP_WORDS": "shipform sy", "COMP_CWORD": "1"})
    assert done.returncode == 0 and done.stdout.split() == ["synth"]


def test_quiet_prints_errors_only_and_verbose_says_what_was_read_and_written(app_file):
    quiet = invoke("--quiet", "synth", str(app_file), "-o", out(app_file))
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    (app_file.parent / "out" / "shop" / "k8s" / "prod" / "deployment-shop-api.yaml").unlink()
    verbose = invoke("-v", "synth", str(app_file), "-o", out(app_file))
    assert verbose.exit_code == 0 and verbose.stdout.startswith("shop: 1 file(s) written to ")
    assert verbose.stderr.splitlines() == [
        f"read: {app_file}", f"wrote: + {app_file.parent}/out/shop/k8s/prod/deployment-shop-api.yaml"]
    stale = app_file.parent / "out" / "shop" / "k8s" / "prod" / "deployment-shop-api.yaml"
    stale.write_text("edited\n")
    check = invoke("--quiet", "synth", str(app_file), "-o", out(app_file), "--check")
    assert check.exit_code == 1 and check.stdout == ""
    assert check.stderr.splitlines()[-1] == "error: output is stale. Fix: run `shipform synth` and commit the result"
    both = invoke("-q", "-v", "synth", str(app_file))
    assert both.exit_code == 1 and both.stderr == \
        "error: --quiet and --verbose contradict each other. Fix: pass one of them\n"


def test_quiet_diff_prints_nothing_and_exits_1_on_differences(app_file):
    first = invoke("-q", "diff", str(app_file), "-o", out(app_file))
    assert first.exit_code == 1 and first.stdout == "" and first.stderr == ""
    assert invoke("synth", str(app_file), "-o", out(app_file)).exit_code == 0
    assert invoke("-q", "diff", str(app_file), "-o", out(app_file)).exit_code == 0


def test_synth_json_lists_each_app_its_files_and_notes(app_file):
    result = invoke("synth", str(app_file), "-o", out(app_file), "--json")
    assert result.exit_code == 0 and result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == {"format", "command", "apps", "notes", "errors"}
    assert (report["format"], report["command"], report["errors"]) == (1, "synth", [])
    [app] = report["apps"]
    assert app["name"] == "shop" and app["up_to_date"] is False and app["folders"] == [f"{out(app_file)}/shop/"]
    assert {"path": f"{out(app_file)}/shop/k8s/prod/deployment-shop-api.yaml", "change": "added"} in app["files"]
    again = json.loads(invoke("synth", str(app_file), "-o", out(app_file), "--json").stdout)
    assert again["apps"][0]["files"] == [] and again["apps"][0]["up_to_date"] is True


def test_check_json_names_stale_files_and_the_error_with_exit_1(app_file):
    assert invoke("synth", str(app_file), "-o", out(app_file)).exit_code == 0
    fresh = invoke("synth", str(app_file), "-o", out(app_file), "--check", "--json")
    assert fresh.exit_code == 0 and json.loads(fresh.stdout)["command"] == "synth --check"
    target = app_file.parent / "out" / "shop" / "k8s" / "prod" / "deployment-shop-api.yaml"
    target.write_text("edited\n")
    stale = invoke("synth", str(app_file), "-o", out(app_file), "--check", "--json")
    assert stale.exit_code == 1 and stale.stderr == ""
    report = json.loads(stale.stdout)
    assert report["apps"][0]["files"] == [{"path": str(target), "change": "changed"}]
    assert [e["message"] for e in report["errors"]] == [
        "output is stale. Fix: run `shipform synth` and commit the result"]


def test_json_errors_carry_construct_prop_value_and_fix(app_file):
    app_file.write_text(APP.replace("REPLICAS", "2").replace("port=80", "port=70000"))
    for args in (["synth"], ["synth", "--check"], ["diff"]):
        result = invoke(*args, str(app_file), "-o", out(app_file), "--json")
        assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
        errors = json.loads(result.stdout)["errors"]
        assert {(e["construct"], e["prop"], e["value"]) for e in errors} == {
            ("shop/dev/api", "port", 70000), ("shop/prod/api", "port", 70000)}
        assert all(e["fix"] and e["message"].startswith(e["construct"]) and e["location"].endswith(".py:7")
                   for e in errors)
    missing = invoke("synth", str(app_file.parent / "nope.py"), "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout)["errors"] == [{
        "message": f"app file {app_file.parent / 'nope.py'} not found. Fix: pass the file that creates your App",
        "construct": None, "prop": None, "value": None, "fix": None, "location": None}]


def test_diff_json_gives_each_file_its_change_and_diff(app_file):
    assert invoke("synth", str(app_file), "-o", out(app_file)).exit_code == 0
    app_file.write_text(APP.replace("REPLICAS", "3"))
    result = invoke("diff", str(app_file), "-o", out(app_file), "--json", "--exit-code")
    assert result.exit_code == 1
    [app] = json.loads(result.stdout)["apps"]
    [changed] = [f for f in app["files"] if f["path"].endswith("k8s/prod/deployment-shop-api.yaml")]
    assert changed["change"] == "changed" and "-  replicas: 2\n+  replicas: 3\n" in changed["diff"]


def on_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Run shipform with stdout and stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(SHIPFORM), *args], stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items() if k != "NO_COLOR"} | (env or {}))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done writing
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_colour_on_a_terminal_only_and_never_with_no_color(app_file):
    ESC = "\x1b["
    assert invoke("synth", str(app_file), "-o", out(app_file)).exit_code == 0
    app_file.write_text(APP.replace("REPLICAS", "3"))
    coloured = on_terminal("diff", str(app_file), "-o", out(app_file))
    assert f"{ESC}31m-  replicas: 2{ESC}0m" in coloured and f"{ESC}32m+  replicas: 3{ESC}0m" in coloured
    assert ESC not in on_terminal("diff", str(app_file), "-o", out(app_file), env={"NO_COLOR": "1"})
    stale = on_terminal("synth", str(app_file), "-o", out(app_file), "--check")
    assert f"{ESC}31m{ESC}1merror:{ESC}0m output is stale" in stale
    piped = subprocess.run([str(SHIPFORM), "diff", str(app_file), "-o", out(app_file)], capture_output=True,
                           text=True, env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert ESC not in piped.stdout + piped.stderr and "+  replicas: 3" in piped.stdout
