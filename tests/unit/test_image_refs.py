"""Image references read as Docker's reference grammar reads them: a ':' after the first name component is a
registry port only when a '/' follows, so 'redis:7' is the tag 7."""

from __future__ import annotations

import pytest

from conftest import manifests
from shipform import WebService
from shipform.errors import ShipformError
from shipform.values import checks


@pytest.mark.parametrize("image", ["redis:7", "postgres:16", "nginx:1.27.3", "localhost:5000/app:1.0",
                                   "registry.example.com:443/team/app:2", "busybox@sha256:" + "a" * 64])
def test_pinned_references_pass_as_written(image):
    assert checks.image_ref("shop/dev/api", "image", image) == image


@pytest.mark.parametrize("image", ["redis", "localhost:5000/app", "nginx:latest"])
def test_references_without_a_version_are_refused(image):
    with pytest.raises(ShipformError, match="must pin a version tag other than 'latest'"):
        checks.image_ref("shop/dev/api", "image", image)


@pytest.mark.parametrize(("name", "expected"), [("ghcr.io/acme/api", True), ("localhost:5000/acme/api", True),
                                                ("postgres:16", False), ("acme/api:1", False)])
def test_a_repository_name_has_no_tag(name, expected):
    assert checks.is_image_name(name) is expected


def test_a_service_on_a_whole_number_tag_synthesizes(new_app):
    _, dev, _ = new_app()
    WebService(dev, "cache", image="redis:7", port=6379)
    container = manifests(dev)[("Deployment", "cache")]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "redis:7"
