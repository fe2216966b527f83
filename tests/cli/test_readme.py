"""The README's example app is real: it synthesizes against the reference app's sources."""

from __future__ import annotations

import shutil

from conftest import REPO, exec_app
from shipform.delivery.lock import LOCK_FILE
from shipform.synth.pipeline import render


def test_readme_example_synthesizes(tmp_path):
    readme = (REPO / "README.md").read_text()
    start = readme.index("# apps/shop/app.py (abridged)")
    source = readme[start:readme.index("```", start)]
    shutil.copytree(REPO / "apps" / "shop" / "services", tmp_path / "services")
    (tmp_path / "requirements.txt").write_text("shipform\n")
    shutil.copyfile(REPO / "apps" / "shop" / LOCK_FILE, tmp_path / LOCK_FILE)  # prod runs promoted digests
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    assert "docker/api/Dockerfile" in files and "k8s/prod/statefulset-shop-db.yaml" in files
