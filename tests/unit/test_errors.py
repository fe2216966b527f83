"""Bad input gives a ShipformError naming construct path, prop and fix, in process and through the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_sources
from shipform.errors import ShipformError, ShipformErrors
from shipform.synth import render
from unit.bad_inputs import (
    ALL_CASES,
    NAMESPACE_AND_JOB_CASES,
    PREAMBLE,
    SECRET_VALUES,
    STATEFUL_DB_CASES,
    WEB_SERVICE_CASES,
)

SHIPFORM = Path(sys.executable).with_name("shipform")


def run_snippet(snippet: str, folder: Path) -> ShipformError:
    import shipform.app

    namespace: dict = {"__file__": str(folder / "app.py")}
    try:
        exec(compile(PREAMBLE + snippet, str(folder / "app.py"), "exec"), namespace)
        render(shipform.app._created_apps[-1], folder / "out")
    except ShipformError as err:
        return err
    pytest.fail("no ShipformError raised")


def matching(err: ShipformError, path: str, prop: str) -> ShipformError:
    errors = err.errors if isinstance(err, ShipformErrors) else [err]
    found = [e for e in errors if e.path == path and e.prop == prop]
    assert found, f"expected an error for {path} '{prop}', got: {err}"
    return found[0]


def test_the_tables_are_big_enough():
    assert len(WEB_SERVICE_CASES) >= 20 and len(NAMESPACE_AND_JOB_CASES) >= 15 and len(STATEFUL_DB_CASES) >= 15


@pytest.mark.parametrize(("case", "snippet", "path", "prop"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_bad_input_names_path_prop_and_fix(tmp_path, case, snippet, path, prop):
    write_sources(tmp_path)
    err = matching(run_snippet(snippet, tmp_path), path, prop)
    message = str(err)
    assert message.startswith(f"{path}: '{prop}' ")
    assert ". Fix: " in message and err.fix
    assert not any(value in str(run_snippet(snippet, tmp_path)) for value in SECRET_VALUES)


def test_error_message_format_is_stable():
    err = ShipformError("shop/dev/api", "port", "must be 1-65535", 70000, "pass the TCP port the process listens on")
    assert str(err) == ("shop/dev/api: 'port' must be 1-65535, got 70000. "
                        "Fix: pass the TCP port the process listens on")


def test_validation_collects_every_error_before_failing(tmp_path):
    write_sources(tmp_path)
    err = run_snippet('WebService(dev, "a", image="nginx:1.27.3", port=80, connects_to=["x"])\n'
                      'WebService(dev, "b", build=Build.python("node"), port=80)', tmp_path)
    assert isinstance(err, ShipformErrors)
    assert {(e.path, e.prop) for e in err.errors} >= {("shop/dev/a", "connects_to"), ("shop/dev/b", "build"),
                                                      ("shop/dev/b", "command")}


def snapshot_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_output(tmp_path_factory) -> Path:
    """One good synth, copied for each case (running it per case would double the time of this table)."""
    folder = tmp_path_factory.mktemp("good")
    write_sources(folder)
    good = folder / "good.py"
    good.write_text(PREAMBLE + 'WebService(dev, "api", image="nginx:1.27.3", port=80)\n')
    subprocess.run([str(SHIPFORM), "synth", str(good), "--outdir", str(folder / "out")], check=True,
                   capture_output=True)
    return folder / "out"


@pytest.mark.parametrize(("case", "snippet", "path", "prop"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_cli_exits_1_without_traceback_and_leaves_output_untouched(tmp_path, good_output, case, snippet, path, prop):
    write_sources(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = snapshot_tree(out)
    bad = tmp_path / "bad.py"
    bad.write_text(PREAMBLE + snippet + "\n")
    result = subprocess.run([str(SHIPFORM), "synth", str(bad), "--outdir", str(out)], capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert f"{path}: '{prop}'" in result.stderr and "Fix:" in result.stderr
    assert snapshot_tree(out) == before
