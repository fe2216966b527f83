"""Fixtures of the install tests: the wheel of shipform built from this repository, made once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """shipform's wheel, built offline from this repository (hatchling from the setup script's wheel cache)."""
    wheels = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links",
                    str(REPO / ".venv" / "build-wheels"), "--wheel-dir", str(wheels), str(REPO)],
                   check=True, capture_output=True)
    return wheels
