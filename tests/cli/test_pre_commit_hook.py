"""The repository's .pre-commit-hooks.yaml, checked against pre-commit's manifest schema (the hook fields of
https://pre-commit.com/#new-hooks, as pre_commit/clientlib.py's MANIFEST_HOOK_DICT checks them; pre-commit itself
is not a dependency here), and its entry run as pre-commit runs it: the words of `entry`, no file names."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

MANIFEST = REPO / ".pre-commit-hooks.yaml"
REQUIRED = {"id": str, "name": str, "entry": str, "language": str}
OPTIONAL = {"alias": str, "files": str, "exclude": str, "types": list, "types_or": list, "exclude_types": list,
            "additional_dependencies": list, "args": list, "always_run": bool, "fail_fast": bool,
            "pass_filenames": bool, "description": str, "language_version": str, "log_file": str,
            "minimum_pre_commit_version": str, "require_serial": bool, "stages": list, "verbose": bool}
LANGUAGES = {"conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang", "haskell", "julia",
             "lua", "node", "perl", "pygrep", "python", "r", "ruby", "rust", "swift", "unsupported",
             "unsupported_script", "script", "system"}


def hooks() -> list[dict]:
    data = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(data, list) and data, "the manifest is a non-empty list of hooks"
    return data


def test_every_hook_has_pre_commits_fields_with_their_types():
    for hook in hooks():
        assert set(REQUIRED) <= set(hook), f"missing {set(REQUIRED) - set(hook)}"
        assert set(hook) <= set(REQUIRED) | set(OPTIONAL), f"not pre-commit fields: {set(hook) - set(REQUIRED)}"
        for key, value in hook.items():
            assert isinstance(value, (REQUIRED | OPTIONAL)[key]), f"{hook['id']}: {key} is {type(value).__name__}"
        assert hook["language"] in LANGUAGES
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", hook["id"])
    assert len({h["id"] for h in hooks()}) == len(hooks())


def test_shipform_check_runs_synth_check_once_for_the_whole_repository():
    [hook] = [h for h in hooks() if h["id"] == "shipform-check"]
    assert shlex.split(hook["entry"]) == ["shipform", "synth", "--check"]
    assert hook["language"] == "python"  # pre-commit installs this repository (shipform) into the hook's venv
    assert hook["pass_filenames"] is False  # the app is rendered whole: file names would be taken as the app file


@pytest.mark.slow
def test_the_entry_passes_on_this_repository():
    entry = shlex.split(next(h for h in hooks() if h["id"] == "shipform-check")["entry"])
    result = subprocess.run([str(Path(sys.executable).with_name(entry[0])), *entry[1:]], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
