"""The benchmark's app stays a valid app (the benchmark itself only runs by hand)."""

from __future__ import annotations

import runpy

from conftest import REPO
from shipform.synth.pipeline import render


def test_the_benchmark_app_renders(tmp_path):
    build_app = runpy.run_path(str(REPO / "bench" / "synth_scale.py"))["build_app"]
    files = render(build_app(11, tmp_path), tmp_path / "out")
    assert "k8s/prod/deployment-bench-svc-0010.yaml" in files and "compose/compose.yaml" in files
