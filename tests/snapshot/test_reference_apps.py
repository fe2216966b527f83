"""Snapshots of every file the reference apps render, as {path: text}."""

from __future__ import annotations

import runpy

import pytest

from conftest import DIST, REPO
from shipform.synth.pipeline import render

APPS = sorted(p.parent.name for p in (REPO / "apps").glob("*/app.py"))


@pytest.mark.parametrize("name", APPS)
def test_reference_app_output(name, snapshot):
    app = runpy.run_path(str(REPO / "apps" / name / "app.py"))["app"]
    assert render(app, DIST) == snapshot


def test_every_reference_app_is_in_dist():
    assert APPS and all((DIST / name / ".shipform-manifest.json").is_file() for name in APPS)
