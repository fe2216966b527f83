"""The CI workflow's own commands really work: the `run:` steps of its check job, run in order in a repository
laid out like a user's, pass on fresh output and fail on stale output. The install step is the only one not
run: tests never need the internet, and the test's environment already has what it would install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import exec_app, write_sources
from shipform.synth.pipeline import synth_app

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", repository="https://github.com/acme/shop.git")
dev = Environment(app, "dev", local=True)
WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
'''
TEST = "def test_the_team_s_own_test():\n    assert 1 + 1 == 2\n"


def user_repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    write_sources(root)
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("shipform\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_smoke.py").write_text(TEST)
    synth_app(exec_app(APP, root), str(root / "dist"))
    return root


def check_steps(root: Path) -> list[str]:
    ci = yaml.safe_load((root / ".github" / "workflows" / "shop-ci.yaml").read_text())
    return [step["run"] for step in ci["jobs"]["check"]["steps"] if "run" in step]


def run_steps(root: Path, commands: list[str]) -> list[int]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    codes = []
    for command in commands:
        result = subprocess.run(["bash", "-e", "-c", command], cwd=root, env=env, capture_output=True, text=True)
        codes.append(result.returncode)
        if result.returncode:
            break
    return codes


def test_the_check_job_passes_on_fresh_output_and_fails_on_stale_output(tmp_path):
    root = user_repository(tmp_path / "repo")
    install, *commands = check_steps(root)
    assert install == "python -m pip install -r requirements.txt"
    assert commands == ["shipform synth app.py --outdir dist --check", "python -m pytest"]
    assert run_steps(root, commands) == [0, 0]
    deployment = root / "dist" / "shop" / "k8s" / "dev" / "deployment-shop-api.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 1", "replicas: 2"))
    assert run_steps(root, commands) == [1]
