"""A new exposure provider is one file plus one line: a proxy defined here alone (no edit to shipform), registered in
the table for the test and chosen by its ingress class, publishes public services with its own objects, is admitted
by their NetworkPolicies, splits a routed canary's traffic and steers an Argo Rollouts canary."""

from __future__ import annotations

from typing import Any

import pytest

from shipform import App, Canary, Environment, RoutedCanary, SecureNamespace, Subject, WebService, spec
from shipform.providers.exposure import EXPOSURES
from shipform.providers.exposure.protocol import ExposureProvider, Planned
from shipform.spec.plan import ObjectKey
from shipform.testing import find_object, objects, synthesize

API = "proxy.example.com/v1"
PROXY_PODS = {"app": "fake-proxy"}


class FakeProxy:
    """A proxy of ingress class 'fake' whose routes hold TLS themselves and weigh a canary by a field."""

    name = "fake-proxy"
    ingress_class = "fake"
    default_pods = PROXY_PODS
    splits_traffic = True
    holds_certificate = False
    roles = ("fake-route", "canary-fake-route")

    def plan(self, w: spec.Workload, exposure: spec.Exposure) -> list[Planned]:
        return [self._route(w, exposure, "fake-route", {"backend": w.name, "port": w.ports[0].number})]

    def canary_plan(self, canary: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit) -> list[Planned]:
        return [self._route(canary, exposure, "canary-fake-route", {"backend": canary.name, "weight": split.weight})]

    def argo_traffic_routing(self, name: str) -> dict[str, Any] | None:
        return {"plugins": {"example.com/fake-proxy": {"route": name}}}

    def request_metrics(self, name: str, namespace: str, host: str) -> spec.RequestMetrics | None:
        return None

    def missing(self, w: spec.Workload, role: str) -> str:
        return "another provider publishes it"

    def _route(self, w: spec.Workload, exposure: spec.Exposure, role: str, fields: dict[str, Any]) -> Planned:
        key = ObjectKey(role, API, "FakeRoute", w.name, w.namespace)
        return Planned(key, w.labels, lambda: {"spec": {"host": exposure.host, **fields}})


@pytest.fixture
def fake_proxy():
    provider: ExposureProvider = FakeProxy()
    EXPOSURES.register(provider)
    yield provider
    EXPOSURES.unregister(provider.name)


@pytest.fixture
def shop(app_root, fake_proxy):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    prod = Environment(app, "prod", domain="example.com", ingress_class="fake", ingress_namespace="proxies",
                       rollouts="argo")
    ns = SecureNamespace(prod, "shop", deployers=[Subject.group("deployers")])
    WebService(ns, "api", image="nginx:1.27.3", port=8000, public=True, strategy=Canary(steps=[20, "5m"]))
    WebService(ns, "web", image="nginx:1.27.4", port=8080, public=True,
               strategy=RoutedCanary(weight=10, stable="1.27.3"))
    return synthesize(app)


def test_an_exposure_provider_defined_outside_shipform_publishes_public_services(shop):
    assert find_object(shop, "FakeRoute", "api")["spec"] == {"host": "api.example.com", "backend": "api",
                                                             "port": 8000}
    assert not objects(shop, "Ingress") and not objects(shop, "HTTPRoute")
    # Its controller's pods, by the provider's default labels, are admitted on the main port alone.
    proxy = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "proxies"}},
                       "podSelector": {"matchLabels": {"app": "fake-proxy"}}}],
             "ports": [{"port": 8000, "protocol": "TCP"}]}
    assert proxy in find_object(shop, "NetworkPolicy", "api")["spec"]["ingress"]
    # The deployer may apply the provider's objects (the resource from the apiVersion and kind).
    assert any(rule["resources"] == ["fakeroutes"] for rule in find_object(shop, "Role", "deployer")["rules"])


def test_the_provider_splits_a_routed_canary_and_steers_argo_rollouts(shop):
    assert find_object(shop, "FakeRoute", "web-canary")["spec"] == {"host": "web.example.com",
                                                                    "backend": "web-canary", "weight": 10}
    assert find_object(shop, "Deployment", "web-canary")["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "nginx:1.27.4"
    canary = find_object(shop, "Rollout", "api")["spec"]["strategy"]["canary"]
    assert canary["trafficRouting"] == {"plugins": {"example.com/fake-proxy": {"route": "api"}}}
    assert canary["canaryService"] == "api-canary" and find_object(shop, "Service", "api-canary")


def test_the_fake_proxy_leaves_the_table_after_its_test():
    assert "fake-proxy" not in EXPOSURES and EXPOSURES.names() == ("ingress", "nginx", "gateway")
