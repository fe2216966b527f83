"""The benchmark's app stays a valid app of the stated mix (the benchmark itself runs in CI at N = 10, by .ci/run)."""

from __future__ import annotations

import runpy

from conftest import REPO
from shipform.synth.pipeline import render

BENCH_APP = runpy.run_path(str(REPO / "bench" / "bench_app.py"))
build_app, mix = BENCH_APP["build_app"], BENCH_APP["mix"]


def test_the_mix_is_70_15_10_5_with_at_least_one_database():
    assert mix(100) == {"web": 70, "worker": 15, "cron": 10, "db": 5}
    assert mix(10) == {"web": 7, "worker": 1, "cron": 1, "db": 1}
    assert sum(mix(1000).values()) == 1000


def test_the_benchmark_app_renders_every_output(tmp_path):
    app = build_app(20, tmp_path, environments=3)
    assert [e.name for e in app.environments] == ["dev", "prod", "stage"]
    files = render(app, tmp_path / "out")
    for expected in ("k8s/stage/deployment-bench-web-0013.yaml", "k8s/prod/cronjob-bench-cron-0001.yaml",
                     "k8s/dev/statefulset-bench-db-0000.yaml", "docker/worker-0002/Dockerfile",
                     "compose/compose.yaml", ".github/workflows/bench-build.yaml"):
        assert expected in files
