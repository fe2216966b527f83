"""Layout guarantees: the constructs/ source root never shadows the jsii library, and templates ship
inside the wheel where the one loader finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO
from shipform.render import templating


def test_constructs_source_root_is_not_a_package():
    assert not (REPO / "constructs" / "__init__.py").exists()


def test_import_constructs_is_the_installed_jsii_library():
    import constructs

    assert hasattr(constructs, "Construct")
    assert "site-packages" in constructs.__file__


def test_templates_are_found_in_the_source_tree():
    assert (templating.templates_dir() / "dockerfile" / "python.Dockerfile.j2").is_file()


@pytest.mark.slow
def test_wheel_ships_templates_and_the_loader_finds_them(tmp_path):
    """Builds the wheel offline (hatchling from the local wheel cache that the setup script fills)."""
    wheels = REPO / ".venv" / "build-wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links", str(wheels),
                    "--wheel-dir", str(tmp_path / "wheel"), str(REPO)], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("shipform-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    assert "shipform/templates/dockerfile/python.Dockerfile.j2" in names
    # `shipform init`'s repository, each preset's service with it
    assert {"shipform/templates/init/app.py.j2", "shipform/templates/init/python/server.py.j2",
            "shipform/templates/init/node/package-lock.json.j2", "shipform/templates/init/go/main.go.j2"} <= set(names)
    assert not any(name.startswith("constructs/") for name in names)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from shipform.render import templating; "
             "print(templating.templates_dir())")
    found = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "site")], check=True, capture_output=True,
                           text=True).stdout.strip()
    assert found == str(tmp_path / "site" / "shipform" / "templates")
