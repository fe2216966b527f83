"""The meshes: an enrolled namespace gets sidecars with mutual TLS required and allows nothing by default; each
server admits its declared clients by identity; WebServices get retries, a timeout and circuit breaking, public
ones a rate limit; the quota counts the sidecars; the NetworkPolicies reach the control plane on its ports alone.
Istio and Linkerd each, checked against the published CRD schemas (shipform/validators/crd_schemas); the plan
of the mesh's objects and their bodies come from one place; docs/guide/mesh.md documents every registered mesh."""

from __future__ import annotations

import pytest

from conftest import REPO, assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    DataStorage,
    Environment,
    InvalidApp,
    Mesh,
    Quota,
    SecureNamespace,
    StatefulDB,
    Subject,
    WebService,
    spec,
)
from shipform.providers.mesh import MESHES
from shipform.render import mesh
from shipform.testing import find_object, objects, synthesize

MESH_KINDS = ("AuthorizationPolicy", "PeerAuthentication", "VirtualService", "DestinationRule", "EnvoyFilter")
LINKERD_KINDS = ("Server", "MeshTLSAuthentication", "AuthorizationPolicy", "NetworkAuthentication",
                 "HTTPLocalRateLimitPolicy")


def shop(root, kind: str, **mesh_props) -> tuple[App, Environment]:
    """prod with a meshed namespace: web (public) calls api, api calls the database."""
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", domain="example.com", mesh=Mesh(kind=kind, **mesh_props),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(prod, "shop", mesh=kind, deployers=[Subject.group("deployers")])
    db = StatefulDB(ns, "db", engine="postgres", version="16")
    api = WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    WebService(ns, "web", image="nginx:1.27.3", port=3000, public=True, connects_to=[api])
    return app, prod


def control_plane_egress(files, name: str) -> list[dict]:
    """The rules of the workload's NetworkPolicy that reach outside the app's namespaces (DNS aside)."""
    egress = find_object(files, "NetworkPolicy", name)["spec"]["egress"]
    return [r for r in egress if "namespaceSelector" in str(r) and "kube-dns" not in str(r)]


@pytest.fixture(scope="module")
def meshed(module_app_root):
    return synthesize(shop(module_app_root, "istio", retries=3, timeout="10s", rate_limit=50)[0])


@pytest.fixture(scope="module")
def linkerd(module_app_root):
    return synthesize(shop(module_app_root, "linkerd", retries=3, timeout="10s", rate_limit=50)[0])


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
    assert find_object(meshed, "PeerAuthentication", "web")["spec"]["mtls"] == {"mode": "STRICT"}  # other ports
    api = find_object(meshed, "AuthorizationPolicy", "api")["spec"]
    assert api["action"] == "ALLOW" and api["selector"] == {"matchLabels": {"app.kubernetes.io/name": "api",
                                                                            "app.kubernetes.io/part-of": "shop"}}
    assert api["rules"] == [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/web"]}}],
                             "to": [{"operation": {"ports": ["8000"]}}]}]


def test_sidecars_reach_istiod_on_15012_alone(meshed):
    for name in ("api", "db", "web"):
        assert control_plane_egress(meshed, name) == [{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                    "podSelector": {"matchLabels": {"app": "istiod"}}}],
            "ports": [{"port": 15012, "protocol": "TCP"}]}]


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
    env = Environment(app, "prod", mesh=Mesh(), data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(env, "shop", mesh="istio", quota=Quota(cpu="400m"))
    WebService(ns, "api", image="nginx:1.27.3", port=80)  # 2 pods at peak x (100m + the sidecar's 100m)
    synthesize(app)
    WebService(ns, "web", image="nginx:1.27.3", port=81)
    with pytest.raises(InvalidApp, match=r"quota\.cpu' is smaller than the workloads need at peak \(800m"):
        synthesize(app)


def test_linkerd_enrolls_the_namespace_with_inbound_traffic_denied_by_default(linkerd):
    annotations = find_object(linkerd, "Namespace", "shop")["metadata"]["annotations"]
    assert annotations["linkerd.io/inject"] == "enabled"
    assert annotations["config.linkerd.io/default-inbound-policy"] == "deny"
    assert find_object(linkerd, "NetworkAuthentication", "anywhere")["spec"] == {
        "networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}
    pod = find_object(linkerd, "Deployment", "api")["spec"]["template"]["metadata"]["annotations"]
    assert pod["config.beta.linkerd.io/proxy-enable-native-sidecar"] == "true"  # Jobs (the backups) finish
    assert pod["config.linkerd.io/proxy-cpu-request"] == "100m"


def test_linkerd_servers_keep_database_protocols_opaque_and_detect_http_elsewhere(linkerd):
    """'opaque' keeps the proxy from sniffing a database's protocol (server-speaks-first protocols would hang);
    'unknown' lets it detect HTTP for retries, timeouts and metrics."""
    assert find_object(linkerd, "Server", "db-postgres")["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "db", "app.kubernetes.io/part-of": "shop"}},
        "port": 5432, "proxyProtocol": "opaque"}
    assert find_object(linkerd, "Server", "api-http")["spec"]["proxyProtocol"] == "unknown"
    assert find_object(linkerd, "Server", "web-http")["spec"]["proxyProtocol"] == "unknown"


def test_linkerd_admits_each_servers_clients_by_tls_identity(linkerd):
    assert find_object(linkerd, "MeshTLSAuthentication", "db-postgres")["spec"] == {
        "identities": ["api.shop.serviceaccount.identity.linkerd.cluster.local"]}
    assert find_object(linkerd, "AuthorizationPolicy", "db-postgres")["spec"] == {
        "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "db-postgres"},
        "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication",
                                        "name": "db-postgres"}]}
    assert find_object(linkerd, "MeshTLSAuthentication", "api-http")["spec"]["identities"] == [
        "web.shop.serviceaccount.identity.linkerd.cluster.local"]
    # The ingress controller has no sidecar: the public port also admits any address (narrowed by the
    # NetworkPolicy), and only that port.
    assert find_object(linkerd, "AuthorizationPolicy", "web-http-plain")["spec"]["requiredAuthenticationRefs"] == [
        {"group": "policy.linkerd.io", "kind": "NetworkAuthentication", "name": "anywhere"}]
    assert [o["metadata"]["name"] for o in objects(linkerd, "AuthorizationPolicy")
            if o["metadata"]["name"].endswith("-plain")] == ["web-http-plain"]
    assert not objects(linkerd, "MeshTLSAuthentication", "web-http")  # nobody in the mesh calls web


def test_linkerd_retries_times_out_and_breaks_circuits_on_the_service_and_limits_public_ones(linkerd):
    assert find_object(linkerd, "Service", "api")["metadata"]["annotations"] == {
        "retry.linkerd.io/http": "5xx", "retry.linkerd.io/limit": "3", "timeout.linkerd.io/request": "10s",
        "balancer.linkerd.io/failure-accrual": "consecutive",
        "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "5"}
    assert "retry.linkerd.io/http" not in find_object(linkerd, "Service", "db")["metadata"]["annotations"]
    assert find_object(linkerd, "HTTPLocalRateLimitPolicy", "web-rate-limit")["spec"] == {
        "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "web-http"},
        "total": {"requestsPerSecond": 50}}
    assert not objects(linkerd, "HTTPLocalRateLimitPolicy", "api-rate-limit")


def test_linkerd_sidecars_reach_the_identity_destination_and_policy_controllers_alone(linkerd):
    for name in ("api", "db", "web"):
        assert control_plane_egress(linkerd, name) == [{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "linkerd"}},
                    "podSelector": {"matchLabels": {"linkerd.io/control-plane-ns": "linkerd"}}}],
            "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 8086, "protocol": "TCP"},
                      {"port": 8090, "protocol": "TCP"}]}]


def test_linkerd_objects_match_their_published_schemas_and_the_deployer_may_apply_them(linkerd):
    for kind in LINKERD_KINDS:
        assert_match_crd_schemas(objects(linkerd, kind))
    rules = find_object(linkerd, "Role", "deployer")["rules"]
    assert deployer_grant("policy.linkerd.io", "authorizationpolicies", "httplocalratelimitpolicies",
                          "meshtlsauthentications", "servers") in rules


@pytest.mark.parametrize("kind", ["istio", "linkerd"])
def test_the_plan_of_mesh_objects_and_their_bodies_come_from_one_place(app_root, kind):
    """What the planner reads (keys) and what is rendered (bodies) agree, object for object, in order."""
    env = shop(app_root, kind)[1].to_spec()
    for ns in env.namespaces:
        rendered = mesh.namespace_objects(ns)
        keys = mesh.namespace_plan(ns)
        assert [(k.api_version, k.kind, k.namespace, k.name) for k in keys] == [
            (m["apiVersion"], m["kind"], m["metadata"]["namespace"], m["metadata"]["name"]) for m in rendered]
        assert [mesh.namespace_bodies(ns)[k] for k in keys] == rendered
    assert any(mesh.namespace_plan(ns) for ns in env.namespaces)
    for w in env.workloads:
        enrolled = w.facet(spec.Mesh)
        assert enrolled is not None
        rendered = mesh.workload_objects(w, enrolled)
        keys = mesh.workload_plan(w)
        assert keys and all(k.role.startswith("mesh:") for k in keys)
        assert [(k.kind, k.name) for k in keys] == [(m["kind"], m["metadata"]["name"]) for m in rendered]
        assert [{p.key: p.build() for p in mesh.planned(w)}[k] for k in keys] == rendered


def test_the_guide_and_the_mesh_docs_name_every_registered_mesh():
    section = (REPO / "docs" / "guide" / "mesh.md").read_text()
    for provider in MESHES:
        assert f'"{provider.name}"' in section, f"docs/guide/mesh.md does not name {provider.name!r}"
        assert f"- {provider.name!r}: control plane in {provider.default_namespace!r}" in (Mesh.__doc__ or "")
