"""Every generated Dockerfile builds with buildah, and the image is what the construct and Kubernetes declare."""

from __future__ import annotations

import pytest

from containers import apps
from containers.building import assert_built, built_image

pytestmark = pytest.mark.containers


@pytest.mark.parametrize("image_id", apps.dockerfile_ids())
def test_dockerfile_builds(builder, image_id):
    image, result = built_image(builder, image_id)
    assert_built(result.proc, image.dockerfile)


@pytest.mark.parametrize("image_id", apps.dockerfile_ids())
def test_image_config_is_what_was_declared(rig, builder, image_id):
    image, result = built_image(builder, image_id)
    if not result.ok:
        pytest.skip("the image did not build (see test_dockerfile_builds)")
    config = rig.image_config(image.tag)
    declared = apps.k8s_declarations(image.app, image.service)
    assert declared, f"no Deployment for {image.service} in dist/{image.app}/k8s"
    for env, k8s in declared.items():
        assert config["User"] == f"{k8s['uid']}:{k8s['gid']}", f"USER differs from the {env} runAsUser/runAsGroup"
        assert sorted(config.get("ExposedPorts") or {}) == [f"{p}/tcp" for p in k8s["ports"]], \
            f"EXPOSE differs from the {env} containerPort"
    assert config["User"] == f"{image.uid}:{image.gid}" and image.uid != 0
    assert config["Entrypoint"] == apps.TINI
    assert config["Cmd"] == image.command
    assert healthcheck_of(config) == expected_healthcheck(image)


def healthcheck_of(config: dict) -> dict | None:
    check = config.get("Healthcheck")
    if not check:
        return None
    return {"test": check["Test"], "interval": check["Interval"] / 1e9, "timeout": check["Timeout"] / 1e9,
            "retries": check["Retries"]}


def expected_healthcheck(image: apps.Image) -> dict | None:
    if image.health_test is None:
        return None
    interval, timeout, retries = image.health_timings
    return {"test": ["CMD", *image.health_test], "interval": interval, "timeout": timeout, "retries": retries}
