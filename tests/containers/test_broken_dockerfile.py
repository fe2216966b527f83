"""The build test can fail: a generated Dockerfile with a COPY of a missing file fails it, showing buildah's error."""

from __future__ import annotations

import shutil

import pytest

from containers import apps
from containers.building import assert_built, bud
from containers.report import REPORT
from containers.standins import from_images

pytestmark = pytest.mark.containers

MISSING = "this-file-does-not-exist.txt"


def with_missing_copy(dockerfile_text: str) -> str:
    """The same Dockerfile with `COPY <missing file>` as the first step of its final stage."""
    lines = dockerfile_text.splitlines()
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    lines.insert(last_from + 1, f"COPY {MISSING} /app/")
    return "\n".join(lines) + "\n"


def buildable_image(standins) -> apps.Image:
    for image_id in apps.dockerfile_ids():
        app, service = image_id.split("/")
        image = apps.images(app)[service]
        if all(standins[base].containerfile for base in from_images(image.dockerfile)):
            return image
    pytest.skip("no generated Dockerfile has stand-ins for all its base images")


def test_copy_of_a_missing_file_fails_the_build_check(rig, standins, builder, tmp_path):
    image = buildable_image(standins)
    # The intact build first (once per session), so its timing in the report is not a warm-cache one.
    builder.build(image)
    broken = tmp_path / "Dockerfile"
    broken.write_text(with_missing_copy(image.dockerfile.read_text()))
    shutil.copy(image.ignorefile, tmp_path / "Dockerfile.dockerignore")
    proc = bud(rig, broken, image.context, "localhost/shipform-broken:test")
    with pytest.raises(AssertionError) as failure:
        assert_built(proc, broken)
    message = str(failure.value)
    REPORT.sections[f"broken Dockerfile ({image.id} plus `COPY {MISSING} /app/`)"] = message
    assert MISSING in message and proc.returncode != 0
