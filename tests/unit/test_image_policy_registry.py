"""The admission replay (tests/unit/policy_controller_replay.py) with the bundles where policy-controller reads them:
OCI referrers of the image in a real registry (Debian's docker-registry on a loopback port), attached by the act
suite's stand-ins of cosign and actions/attest (tests/act/release.py) to tiny images pushed there. The App's registry
is that registry, so the policies' globs name it.

Needs `apt-get install docker-registry`; skips saying so when it is missing, unless SHIPFORM_REQUIRE_CONTAINERS=1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from act import release, sigstore
from act.oci import Registry
from lock.registry_server import registry_for_test
from shipform import App, Build, Environment, Health, SecureNamespace, WebService
from shipform.render import image_policy
from unit.policy_controller_replay import Cluster

pytestmark = pytest.mark.containers


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[Registry]:
    with registry_for_test(tmp_path_factory.mktemp("registry"), "docker-registry") as host:
        yield Registry(host)


@pytest.fixture(scope="module")
def world(registry, module_app_root, tmp_path_factory):
    """prod's policies for an App whose images go to ``registry``, and the cluster that reads bundles from it."""
    app = App("shop", registry=f"{registry.host}/acme", root=module_app_root,
              repository="https://github.com/acme/shop.git")
    prod = Environment(app, "prod")
    WebService(SecureNamespace(prod, "shop"), "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
               health=Health.http("/healthz"))
    env = app.to_spec().environments[0]
    folder = tmp_path_factory.mktemp("sigstore")
    trust = sigstore.Trust(folder).create()
    cluster = Cluster(image_policy.policies(env), lambda digest: sigstore.bundles(registry, "acme/shop-api", digest),
                      trust.roots(("public-good",)), {"github": trust.roots(("github",))})
    return cluster, folder, {image_policy.INCLUDE: "true"}


def pushed(registry: Registry, content: bytes) -> str:
    return release.push_tiny_image(registry, "acme/shop-api", content.hex()[:16], content)


def test_signed_and_attested_in_the_registry_is_admitted_and_the_rest_refused(registry, world):
    cluster, trust, labels = world
    build = release.workflow_identity("acme/shop", "shop-build.yaml")
    good, unsigned, other = (pushed(registry, name) for name in (b"good", b"unsigned", b"other workflow"))
    for digest, identity in ((good, build), (other, release.workflow_identity("acme/shop", "shop-ci.yaml"))):
        release.sign(trust, registry, "acme/shop-api", digest, identity)
        release.attest(trust, registry, "acme/shop-api", digest, identity)
    image = f"{registry.host}/acme/shop-api"
    assert cluster.admit(labels, f"{image}@{good}").admitted
    assert not cluster.admit(labels, f"{image}@{unsigned}").admitted
    assert not cluster.admit(labels, f"{image}@{other}").admitted
