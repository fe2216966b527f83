"""The README's example app is real: it synthesizes against the reference app's sources."""

from __future__ import annotations

import shutil

from conftest import REPO
from shipform.synth import render


def test_readme_example_synthesizes(tmp_path):
    import shipform.app

    readme = (REPO / "README.md").read_text()
    start = readme.index("# apps/shop/app.py (abridged)")
    source = readme[start:readme.index("```", start)]
    shutil.copytree(REPO / "apps" / "shop" / "services", tmp_path / "services")
    exec(compile(source, str(tmp_path / "app.py"), "exec"), {"__file__": str(tmp_path / "app.py")})
    files = render(shipform.app._created_apps[-1], tmp_path / "out")
    assert "docker/api/Dockerfile" in files and "k8s/prod/statefulset-shop-db.yaml" in files
