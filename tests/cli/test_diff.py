"""`shipform diff`: what a synth would change, as unified diffs, for reviews."""

from __future__ import annotations

import subprocess

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
    assert "--- a/out/shop/k8s/prod/deployment-shop-api.yaml\n" in lines
    assert "+++ b/out/shop/k8s/prod/deployment-shop-api.yaml\n" in lines
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
    assert "--- a/out/shop/k8s/prod/deployment-shop-admin.yaml\n" in lines and "+++ /dev/null\n" in lines
    assert "-  replicas: 2\n" in lines  # the whole file goes
    assert diff_app(exec_app(APP.replace("REPLICAS", "2"), tmp_path), str(out), "dev") == []


def repository(root):
    """A git repository that declares shipform, with the app in apps/shop/."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "requirements.txt").write_text("shipform\n")
    app_dir = root / "apps" / "shop"
    write_sources(app_dir)
    (app_dir / "app.py").write_text(APP.replace("REPLICAS", "2").replace(', workflows="output"', ""))
    return app_dir / "app.py"


def test_headers_name_the_paths_from_the_repository_root_workflows_included(tmp_path):
    app_file = repository(tmp_path)
    lines = diff_app(exec_app(app_file.read_text(), app_file.parent), str(tmp_path / "dist"))
    assert "+++ b/dist/shop/k8s/prod/deployment-shop-api.yaml\n" in lines
    assert "+++ b/.github/workflows/shop-ci.yaml\n" in lines
    assert not any(line.startswith(("--- a/workflows/", "+++ b/workflows/", "+++ b/shop/")) for line in lines)
    synth_app(exec_app(app_file.read_text(), app_file.parent), str(tmp_path / "dist"))
    ci = tmp_path / ".github" / "workflows" / "shop-ci.yaml"
    ci.write_text(ci.read_text() + "# a hand edit\n")
    lines = diff_app(exec_app(app_file.read_text(), app_file.parent), str(tmp_path / "dist"))
    assert lines[:2] == ["--- a/.github/workflows/shop-ci.yaml\n", "+++ b/.github/workflows/shop-ci.yaml\n"]
    assert "-# a hand edit\n" in lines


def test_git_apply_takes_the_diff_at_the_repository_root(tmp_path):
    app_file = repository(tmp_path)
    synth_app(exec_app(app_file.read_text(), app_file.parent), str(tmp_path / "dist"))
    changed = app_file.read_text().replace("replicas=2", "replicas=3")
    patch = "".join(diff_app(exec_app(changed, app_file.parent), str(tmp_path / "dist")))
    (tmp_path / "change.patch").write_text(patch)
    subprocess.run(["git", "apply", "change.patch"], cwd=tmp_path, check=True)
    assert diff_app(exec_app(changed, app_file.parent), str(tmp_path / "dist")) == []


def test_output_outside_the_repository_is_named_by_its_absolute_path(tmp_path):
    app_file = repository(tmp_path / "repo")
    scratch = tmp_path / "scratch"
    lines = diff_app(exec_app(app_file.read_text(), app_file.parent), str(scratch))
    assert f"+++ {scratch / 'shop' / 'k8s' / 'prod' / 'deployment-shop-api.yaml'}\n" in lines


def test_exit_code_is_1_with_differences_and_0_without(tmp_path):
    app_file = repository(tmp_path)
    outdir = str(tmp_path / "dist")

    def diff(*flags: str):
        return CliRunner().invoke(cli, ["diff", str(app_file), "--outdir", outdir, *flags])

    stale = diff("--exit-code")
    assert stale.exit_code == 1 and "+++ b/dist/shop/k8s/dev/deployment-shop-api.yaml" in stale.output
    assert diff().exit_code == 0  # without --exit-code a diff is not a failure
    assert CliRunner().invoke(cli, ["synth", str(app_file), "--outdir", outdir]).exit_code == 0
    fresh = diff("--exit-code")
    assert (fresh.exit_code, fresh.output) == (0, "no changes\n")
