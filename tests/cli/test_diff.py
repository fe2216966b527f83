"""`shipform diff`: what a synth would change, as unified diffs, for reviews."""

from __future__ import annotations

from typer.testing import CliRunner

from conftest import exec_app, write_sources
from shipform.cli import cli
from shipform.synth.diff import diff_app
from shipform.synth.pipeline import synth_app

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", replicas=REPLICAS)
for env in (dev, prod):
    WebService(env, "api", image="nginx:1.27.3", port=80)
'''


def test_diff_shows_changed_new_and_no_files(tmp_path):
    write_sources(tmp_path)
    out = tmp_path / "out"
    assert diff_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out))[0] == "--- /dev/null\n"
    synth_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out))
    assert diff_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out)) == []
    lines = diff_app(exec_app(APP.replace("REPLICAS", "3"), tmp_path), str(out), "prod")
    assert "--- a/shop/k8s/prod/deployment-shop-api.yaml\n" in lines
    assert "-  replicas: 2\n" in lines and "+  replicas: 3\n" in lines
    assert not any("k8s/dev/" in line for line in lines)


def test_the_command_names_an_unknown_environment(tmp_path):
    write_sources(tmp_path)
    (tmp_path / "app.py").write_text(APP.replace("REPLICAS", "2"))
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "app.py"), "--outdir", str(tmp_path / "out"),
                                      "--env", "nope"])
    assert result.exit_code == 1 and "pass one of dev, prod" in result.output


def test_diff_shows_the_files_synth_would_delete(tmp_path):
    write_sources(tmp_path)
    out = tmp_path / "out"
    two = APP.replace("REPLICAS", "2") + 'WebService(prod, "admin", image="nginx:1.27.3", port=80)\n'
    synth_app(exec_app(two, tmp_path), str(out))
    lines = diff_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out))
    assert "--- a/shop/k8s/prod/deployment-shop-admin.yaml\n" in lines and "+++ /dev/null\n" in lines
    assert "-  replicas: 2\n" in lines  # the whole file goes
    assert diff_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out), "dev") == []
