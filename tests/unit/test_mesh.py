"""The Istio mesh: an enrolled namespace gets sidecars with STRICT mutual TLS and allows nothing by default; each
server admits its declared clients by identity; WebServices get retries, a timeout and circuit breaking, public
ones a rate limit; the quota counts the sidecars. Checked against the published CRD schemas (tests/crd_schemas)."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import App, Environment, InvalidApp, Mesh, Quota, SecureNamespace, StatefulDB, Subject, WebService
from shipform.testing import find_object, objects, synthesize

MESH_KINDS = ("AuthorizationPolicy", "PeerAuthentication", "VirtualService", "DestinationRule", "EnvoyFilter")


@pytest.fixture(scope="module")
def meshed(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", mesh=Mesh(retries=3, timeout="10s", rate_limit=50))
    ns = SecureNamespace(prod, "shop", mesh="istio", deployers=[Subject.group("deployers")])
    db = StatefulDB(ns, "db", engine="postgres", version="16")
    api = WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    WebService(ns, "web", image="nginx:1.27.3", port=3000, public=True, connects_to=[api])
    return synthesize(app)


def test_the_namespace_is_enrolled_with_strict_mutual_tls_and_allows_nothing_by_default(meshed):
    assert find_object(meshed, "Namespace", "shop")["metadata"]["labels"]["istio-injection"] == "enabled"
    assert find_object(meshed, "PeerAuthentication", "default")["spec"] == {"mtls": {"mode": "STRICT"}}
    assert find_object(meshed, "AuthorizationPolicy", "allow-nothing")["spec"] == {}
    annotations = find_object(meshed, "Deployment", "api")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/nativeSidecar"] == "true"  # Jobs (the backups) finish
    assert annotations["sidecar.istio.io/proxyCPU"] == "100m"


def test_each_server_admits_its_clients_by_identity(meshed):
    rules = find_object(meshed, "AuthorizationPolicy", "db")["spec"]["rules"]
    assert rules == [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/api"]}}],
                      "to": [{"operation": {"ports": ["5432"]}}]}]
    assert not objects(meshed, "PeerAuthentication", "db")  # nothing outside the mesh reaches it
    # The ingress controller has no sidecar: the public port takes plain text, from it alone (NetworkPolicy).
    web = find_object(meshed, "AuthorizationPolicy", "web")["spec"]["rules"]
    assert web == [{"to": [{"operation": {"ports": ["3000"]}}]}]
    assert find_object(meshed, "PeerAuthentication", "web")["spec"]["portLevelMtls"] == {"3000": {"mode": "PERMISSIVE"}}


def test_web_services_get_retries_a_timeout_circuit_breaking_and_public_ones_a_rate_limit(meshed):
    route = find_object(meshed, "VirtualService", "api")["spec"]["http"][0]
    assert route["timeout"] == "10s" and route["retries"]["attempts"] == 3
    outliers = find_object(meshed, "DestinationRule", "api")["spec"]["trafficPolicy"]["outlierDetection"]
    assert outliers["consecutive5xxErrors"] == 5
    assert not objects(meshed, "VirtualService", "db")  # a database speaks its own protocol
    limit = find_object(meshed, "EnvoyFilter", "web-rate-limit")["spec"]["configPatches"][0]
    assert limit["match"]["listener"]["portNumber"] == 3000
    assert limit["patch"]["value"]["typed_config"]["token_bucket"]["max_tokens"] == 50
    assert not objects(meshed, "EnvoyFilter", "api-rate-limit")


def test_mesh_objects_match_their_published_schemas_and_the_deployer_may_apply_them(meshed):
    for kind in MESH_KINDS:
        assert_match_crd_schemas(objects(meshed, kind))
    rules = find_object(meshed, "Role", "deployer")["rules"]
    assert deployer_grant("security.istio.io", "authorizationpolicies", "peerauthentications") in rules


def test_the_quota_counts_each_pods_sidecar(app_root):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", mesh=Mesh())
    ns = SecureNamespace(env, "shop", mesh="istio", quota=Quota(cpu="400m"))
    WebService(ns, "api", image="nginx:1.27.3", port=80)  # 2 pods at peak x (100m + the sidecar's 100m)
    synthesize(app)
    WebService(ns, "web", image="nginx:1.27.3", port=81)
    with pytest.raises(InvalidApp, match=r"quota\.cpu' is smaller than the workloads need at peak \(800m"):
        synthesize(app)
