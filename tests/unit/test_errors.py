"""Bad input gives a ShipformError naming construct path, prop and fix, and writes nothing: every case of
the table in process, and through the CLI once per stage where synth can fail (loading the app file,
building the tree, validating it, rendering it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import exec_app, write_sources
from shipform.cli import cli
from shipform.errors import InvalidApp, ShipformError, one_line
from shipform.synth.pipeline import synth_app
from unit.bad_inputs import (
    ALL_CASES,
    NAMESPACE_AND_JOB_CASES,
    PREAMBLE,
    SECRET_VALUES,
    STATEFUL_DB_CASES,
    WEB_SERVICE_CASES,
)
from unit.bad_inputs_alerts import ALERT_CASES
from unit.bad_inputs_events import EVENT_CASES
from unit.bad_inputs_exact import EXACT_RULE_CASES
from unit.bad_inputs_exact import SECRET_VALUES as MORE_SECRET_VALUES
from unit.bad_inputs_ha import HA_CASES
from unit.bad_inputs_wiring import WIRING_CASES

CASES = ALL_CASES + EXACT_RULE_CASES + WIRING_CASES + ALERT_CASES + HA_CASES + EVENT_CASES

SHIPFORM = Path(sys.executable).with_name("shipform")
GOOD = PREAMBLE + 'WebService(dev, "api", image="nginx:1.27.3", port=80)\n'


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_output(tmp_path_factory) -> Path:
    """One good synth, copied for each case."""
    folder = tmp_path_factory.mktemp("good")
    write_sources(folder)
    synth_app(exec_app(GOOD, folder), str(folder / "out"))
    return folder / "out"


@pytest.fixture(scope="module")
def good_tree(good_output) -> dict[str, bytes]:
    return tree(good_output)


def synth_snippet(snippet: str, folder: Path, out: Path) -> InvalidApp:
    """Build the app and synth it into ``out``, as `shipform synth` would; return the error it raised."""
    try:
        synth_app(exec_app(PREAMBLE + snippet, folder), str(out))
    except InvalidApp as err:
        return err
    pytest.fail("no ShipformError raised")


def matching(err: InvalidApp, path: str, prop: str) -> ShipformError:
    found = [e for e in err.problems if e.path == path and e.prop == prop]
    assert found, f"expected an error for {path} '{prop}', got: {err}"
    return found[0]


def test_the_tables_are_big_enough():
    assert len(WEB_SERVICE_CASES) >= 20 and len(NAMESPACE_AND_JOB_CASES) >= 15 and len(STATEFUL_DB_CASES) >= 15


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """The app folder every case runs in (a failing synth reads it and writes nothing there)."""
    folder = tmp_path_factory.mktemp("app")
    write_sources(folder)
    return folder


@pytest.mark.parametrize(("case", "snippet", "path", "prop"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_path_prop_and_fix_and_writes_nothing(sources, good_output, good_tree, snapshot, case, snippet,
                                                             path, prop):
    """Every case synthesizes into the same good output, which must stay byte for byte as it was; the snapshot
    pins each message word for word, so a changed wording or fix shows up in review."""
    err = synth_snippet(snippet, sources, good_output)
    found = matching(err, path, prop)
    assert str(found).startswith(f"{one_line(path)}: '{one_line(prop)}' ")
    assert "\n" not in str(found)  # one line, whatever the bad value
    assert ". Fix: " in str(found) and found.fix
    assert str(found).replace(str(sources), "<app folder>") == snapshot
    assert not any(value in str(err) for value in SECRET_VALUES + MORE_SECRET_VALUES)
    assert tree(good_output) == good_tree


def test_error_message_format_is_stable():
    err = ShipformError("shop/dev/api", "port", "must be 1-65535", 70000, "pass the TCP port the process listens on")
    assert str(err) == ("shop/dev/api: 'port' must be 1-65535, got 70000. "
                        "Fix: pass the TCP port the process listens on")


def test_validation_collects_every_error_before_failing(tmp_path):
    write_sources(tmp_path)
    worker = 'Worker(dev, "w", image="busybox:1.37.0", health=Health.none("exits on broken queue"))'
    err = synth_snippet(f'WebService(dev, "a", image="nginx:1.27.3", port=80, connects_to=[{worker}])\n'
                        'WebService(dev, "b", build=Build.python("node"), port=80)', tmp_path, tmp_path / "out")
    assert {(e.path, e.prop) for e in err.problems} >= {("shop/dev/a", "connects_to"), ("shop/dev/b", "build"),
                                                        ("shop/dev/b", "command")}
    assert str(err).count("\n") == len(err.problems) - 1


STAGES = [
    # (stage, app file text, expected text on stderr)
    ("app file missing", None, "app file"),
    ("app file creates no App", "x = 1\n", "created no shipform App"),
    ("constructing", PREAMBLE + 'WebService(dev, "api", image="nginx:1.27.3", port=80, replica=2)\n',
     "shop/dev/api: 'replica' is not a prop of WebService"),
    ("validating", PREAMBLE + 'WebService(dev, "api", build=Build.python("nowhere", ["x"]), port=80)\n',
     "shop/dev/api: 'build.context'"),
    ("rendering", PREAMBLE + 'WebService(dev, "api", build=Build.python("py", ["a"]), port=80)\n'
                             'WebService(prod, "api", build=Build.python("py", ["b"]), port=80)\n',
     "shop/prod/api: 'build' renders a different Dockerfile"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "text", "expected"), STAGES, ids=[s[0] for s in STAGES])
def test_cli_exits_1_without_traceback_and_leaves_output_untouched(tmp_path, good_output, stage, text, expected):
    write_sources(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = tree(out)
    bad = tmp_path / "bad.py"
    if text is not None:
        bad.write_text(text)
    if stage == "rendering":  # once through the installed command, in its own process
        result = subprocess.run([str(SHIPFORM), "synth", str(bad), "--outdir", str(out)], capture_output=True,
                                text=True, env={**os.environ, "NO_COLOR": "1"})
        code, stdout, stderr = result.returncode, result.stdout, result.stderr
    else:  # the same command in process (typer's runner): no new Python and Node per case
        ran = CliRunner().invoke(cli, ["synth", str(bad), "--outdir", str(out)], catch_exceptions=False)
        code, stdout, stderr = ran.exit_code, ran.stdout, ran.stderr
    assert code == 1, stdout
    assert "Traceback" not in stderr + stdout
    assert expected in stderr and "Fix:" in stderr
    assert tree(out) == before
