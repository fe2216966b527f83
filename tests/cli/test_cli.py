"""The shipform command: help without Node, synth, --check, outdir resolution, and the safe writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SHIPFORM = Path(sys.executable).with_name("shipform")
SHOP = REPO / "apps" / "main.py"
SHOP_APP = str(REPO / "apps" / "shop" / "app.py")  # creates its App itself, so it can run again in process


def run(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SHIPFORM), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["synth", "--help"]])
def test_help_and_version_never_start_node(tmp_path, args):
    marker = tmp_path / "node-started"
    fake_node = tmp_path / "node"
    fake_node.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    fake_node.chmod(0o755)
    result = run(*args, env={"JSII_NODE": str(fake_node)})
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    if args == ["--version"]:
        assert result.stdout.strip() == "shipform 0.1.0"


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["synth", "--help"], ["lock", "--help"],
                                  ["graph", "--help"], ["validate", "--help"], ["-h"],
                                  ["--show-completion", "bash"]])
def test_help_and_version_import_no_heavy_module(args):
    """cdk8s and jsii start Node, jinja2 and rich cost tens of milliseconds: none is imported to print help."""
    result = subprocess.run([sys.executable, "-X", "importtime", str(SHIPFORM), *args], capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "shipform.cli" in imported
    assert not {m.split(".")[0] for m in imported} & {"cdk8s", "jsii", "constructs", "jinja2", "rich", "yaml"}


@pytest.mark.slow
def test_synth_uses_the_wheel_node_without_banners_and_writes_what_any_hash_seed_writes(tmp_path):
    """One synth in a process of its own (the wheel's Node, PYTHONHASHSEED=1), one in this test's process (a random
    seed): no banner on stderr, and the same bytes."""
    import runpy

    from shipform.synth.pipeline import render

    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_")} | {"PYTHONHASHSEED": "1"}
    result = subprocess.run([str(SHIPFORM), "synth", SHOP_APP, "--outdir", str(tmp_path)], capture_output=True,
                            text=True, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    first, *notes = result.stdout.splitlines()
    assert first.startswith("shop: ") and first.endswith(f" file(s) written to {tmp_path / 'shop'}/")
    assert notes == [f"shop/{env}: {n} images have no digest (run `shipform lock`, or let CI record built images)"
                     for env, n in (("dev", 2), ("prod", 3))]  # the built images' digests: apps/shop/shipform.lock.json
    written = {rel: data.decode() for rel, data in tree(tmp_path / "shop").items()
               if rel != ".shipform-manifest.json"}
    in_process = render(runpy.run_path(SHOP_APP)["app"], tmp_path)
    assert written == in_process and len(written) > 30


def invoke(*args: str):
    """The CLI in process (typer's runner): the same commands, without starting Python and Node again."""
    from typer.testing import CliRunner

    from shipform.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)




def test_a_second_synth_writes_nothing(tmp_path):
    assert invoke("synth", SHOP_APP, "--outdir", str(tmp_path)).exit_code == 0
    manifest = tmp_path / "shop" / ".shipform-manifest.json"
    before = manifest.stat().st_mtime_ns
    result = invoke("synth", SHOP_APP, "--outdir", str(tmp_path))
    assert result.stdout.splitlines()[0] == f"shop: up to date, nothing written ({tmp_path / 'shop'}/)"
    assert manifest.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]  # no lock file, stage or old folder left


def test_check_passes_after_synth_and_fails_after_any_edit(tmp_path):
    assert invoke("synth", SHOP_APP, "--outdir", str(tmp_path)).exit_code == 0
    fresh = invoke("synth", SHOP_APP, "--outdir", str(tmp_path), "--check")
    assert fresh.exit_code == 0 and "up to date: shop" in fresh.stdout
    target = tmp_path / "shop" / "k8s" / "prod" / "deployment-shop-api.yaml"
    target.write_text(target.read_text().replace("replicas: 3", "replicas: 4"))
    stale = invoke("synth", SHOP_APP, "--outdir", str(tmp_path), "--check")
    assert stale.exit_code == 1
    assert f"  ~ {target}\n" in stale.stderr and "Traceback" not in stale.stderr  # each file with its folder
    target.unlink()
    assert f"  + {target}\n" in invoke("synth", SHOP_APP, "--outdir", str(tmp_path),
                                                           "--check").stderr


def test_check_reports_stale_owned_files(tmp_path):
    assert invoke("synth", SHOP_APP, "--outdir", str(tmp_path)).exit_code == 0
    manifest = tmp_path / "shop" / ".shipform-manifest.json"
    data = json.loads(manifest.read_text())
    data["files"].append("k8s/dev/old.yaml")
    manifest.write_text(json.dumps(data))
    (tmp_path / "shop" / "k8s" / "dev" / "old.yaml").write_text("old\n")
    result = invoke("synth", SHOP_APP, "--outdir", str(tmp_path), "--check")
    assert result.exit_code == 1 and f"- {tmp_path}/shop/k8s/dev/old.yaml" in result.stderr


def test_a_lost_manifest_fails_check_and_synth_removes_stale_generated_files(tmp_path):
    """Files that start with the app's marker line are shipform's even without the manifest."""
    assert invoke("synth", SHOP_APP, "--outdir", str(tmp_path)).exit_code == 0
    app_dir = tmp_path / "shop"
    first_line = (app_dir / "compose" / "compose.yaml").read_text().splitlines()[0]
    (app_dir / "k8s" / "dev" / "gone.yaml").write_text(first_line + "\nkind: Gone\n")
    (app_dir / ".shipform-manifest.json").unlink()
    result = invoke("synth", SHOP_APP, "--outdir", str(tmp_path), "--check")
    assert result.exit_code == 1
    assert f"  - {app_dir}/k8s/dev/gone.yaml\n  ~ {app_dir}/.shipform-manifest.json\n" in result.stderr
    assert invoke("synth", SHOP_APP, "--outdir", str(tmp_path)).stdout.splitlines()[0] == \
        f"shop: 2 file(s) written to {app_dir}/"
    assert not (app_dir / "k8s" / "dev" / "gone.yaml").exists()


def test_committed_dist_is_fresh_and_holds_every_reference_app(monkeypatch):
    """dist/ is the one golden copy of the reference apps' output: every app under apps/ is in it."""
    monkeypatch.chdir(REPO)
    result = invoke("synth", "--check")
    assert result.exit_code == 0, result.stderr
    apps = sorted(p.parent.name for p in (REPO / "apps").glob("*/app.py"))
    assert apps and result.stdout.splitlines()[0] == f"up to date: {', '.join(apps)}"


def test_outdir_falls_back_to_cdk8s_outdir_then_cdk8s_yaml(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "cdk8s.yaml").write_text(f"language: python\napp: python {SHOP_APP}\noutput: from-yaml\n")
    monkeypatch.chdir(project)
    monkeypatch.delenv("CDK8S_OUTDIR", raising=False)
    assert invoke("synth").exit_code == 0
    assert (project / "from-yaml" / "shop" / "compose" / "compose.yaml").is_file()
    monkeypatch.setenv("CDK8S_OUTDIR", str(tmp_path / "from-env"))
    assert invoke("synth").exit_code == 0
    assert (tmp_path / "from-env" / "shop" / ".shipform-manifest.json").is_file()


def test_missing_app_file_is_a_clean_error(tmp_path):
    result = invoke("synth", str(tmp_path / "nope.py"))
    assert result.exit_code == 1 and "not found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_python_main_entry_writes_the_same_output(tmp_path):
    """`cdk8s synth` runs `python apps/main.py` with CDK8S_OUTDIR set; that path must produce the same files."""
    import runpy

    from shipform.synth.pipeline import render

    subprocess.run([sys.executable, str(SHOP)], check=True, cwd=REPO, env={**os.environ, "CDK8S_OUTDIR": str(tmp_path)})
    written = {rel: data.decode() for rel, data in tree(tmp_path / "shop").items() if rel != ".shipform-manifest.json"}
    assert written == render(runpy.run_path(SHOP_APP)["app"], tmp_path)
