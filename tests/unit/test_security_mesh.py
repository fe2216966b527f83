"""Security facts of the service meshes, each asserted explicitly (the feature snapshots show them too, but
``--snapshot-update`` would accept a change): enrollment, mutual TLS, the default that allows nothing, and each
server admitting exactly its connecting clients' identities on the ports each uses. Expected values are
written out, never imported from the renderers.

One app per mesh: "api" (ports http, admin, metrics; scraped by Prometheus) is called by "web" (public) on http
and by the Worker "w" of namespace "front" on admin; "db" is called by "api" and "w"."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    DataStorage,
    Environment,
    Health,
    Mesh,
    Metrics,
    Monitoring,
    Quota,
    SecureNamespace,
    StatefulDB,
    Subject,
    WebService,
    Worker,
)
from shipform.errors import InvalidApp
from shipform.testing import find_object, objects, synthesize


def meshed_app(root, kind: str) -> dict[str, str]:
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", domain="example.com", mesh=Mesh(kind=kind), monitoring=Monitoring(),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    front = SecureNamespace(prod, "front", mesh=kind)
    shop = SecureNamespace(prod, "shop", mesh=kind, accepts_from=[front])
    db = StatefulDB(shop, "db", engine="postgres", version="16")
    api = WebService(shop, "api", image="ghcr.io/acme/api:1.0.0", ports={"http": 8000, "admin": 8001, "metrics": 9090},
                     connects_to=[db], metrics=Metrics(port="metrics"))
    WebService(shop, "web", image="ghcr.io/acme/web:1.0.0", port=3000, public=True, connects_to=[api])
    Worker(front, "w", image="ghcr.io/acme/w:1.0.0", health=Health.exec(["w", "--check"]),
           connects_to=[api.on("admin"), db])
    return synthesize(app)


@pytest.fixture(scope="module")
def istio(module_app_root) -> dict[str, str]:
    return meshed_app(module_app_root, "istio")


@pytest.fixture(scope="module")
def linkerd(module_app_root) -> dict[str, str]:
    return meshed_app(module_app_root, "linkerd")


def names(files: dict[str, str], kind: str) -> list[tuple[str, str]]:
    return sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects(files, kind))


def selecting(name: str) -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"}}


# Istio

def test_istio_enrolls_each_namespace_by_its_injection_label(istio):
    for ns in ("front", "shop"):
        meta = find_object(istio, "Namespace", ns)["metadata"]
        assert meta["labels"]["istio-injection"] == "enabled"
        assert "linkerd.io/inject" not in meta.get("annotations", {})


def test_istio_requires_mutual_tls_everywhere_but_the_ports_peers_outside_the_mesh_reach(istio):
    assert names(istio, "PeerAuthentication") == [("front", "default"), ("shop", "api"), ("shop", "default"),
                                                  ("shop", "web")]
    for ns in ("front", "shop"):
        assert find_object(istio, "PeerAuthentication", "default", ns)["spec"] == {"mtls": {"mode": "STRICT"}}
    # Prometheus scrapes api's metrics port, the ingress controller calls web: neither has a sidecar.
    assert find_object(istio, "PeerAuthentication", "api")["spec"] == {
        "selector": selecting("api"), "mtls": {"mode": "STRICT"}, "portLevelMtls": {"9090": {"mode": "PERMISSIVE"}}}
    assert find_object(istio, "PeerAuthentication", "web")["spec"] == {
        "selector": selecting("web"), "mtls": {"mode": "STRICT"}, "portLevelMtls": {"3000": {"mode": "PERMISSIVE"}}}


def test_istio_allows_nothing_by_default_in_each_namespace(istio):
    for ns in ("front", "shop"):
        assert find_object(istio, "AuthorizationPolicy", "allow-nothing", ns)["spec"] == {}
    assert names(istio, "AuthorizationPolicy") == [("front", "allow-nothing"), ("shop", "allow-nothing"),
                                                   ("shop", "api"), ("shop", "db"), ("shop", "web")]


def allow(principal: str, *ports: str) -> dict[str, Any]:
    return {"from": [{"source": {"principals": [principal]}}], "to": [{"operation": {"ports": list(ports)}}]}


def test_istio_servers_admit_exactly_their_clients_identities_on_the_ports_each_uses(istio):
    api = find_object(istio, "AuthorizationPolicy", "api")["spec"]
    assert api == {"selector": selecting("api"), "action": "ALLOW", "rules": [
        allow("cluster.local/ns/front/sa/w", "8001"), allow("cluster.local/ns/shop/sa/web", "8000"),
        {"to": [{"operation": {"ports": ["9090"]}}]}]}  # Prometheus: narrowed by the NetworkPolicy
    assert find_object(istio, "AuthorizationPolicy", "db")["spec"] == {
        "selector": selecting("db"), "action": "ALLOW", "rules": [
            allow("cluster.local/ns/front/sa/w", "5432"), allow("cluster.local/ns/shop/sa/api", "5432")]}
    assert find_object(istio, "AuthorizationPolicy", "web")["spec"] == {
        "selector": selecting("web"), "action": "ALLOW", "rules": [{"to": [{"operation": {"ports": ["3000"]}}]}]}


def test_istio_sidecars_reach_the_control_plane_on_its_port_alone(istio):
    assert find_object(istio, "NetworkPolicy", "web")["spec"]["egress"][-1] == {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                "podSelector": {"matchLabels": {"app": "istiod"}}}],
        "ports": [{"port": 15012, "protocol": "TCP"}]}


# Linkerd

def test_linkerd_enrolls_each_namespace_and_denies_inbound_by_default(linkerd):
    for ns in ("front", "shop"):
        meta = find_object(linkerd, "Namespace", ns)["metadata"]
        assert {k: v for k, v in meta["annotations"].items() if "linkerd" in k} == {
            "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny"}
        assert "istio-injection" not in meta["labels"]


def test_linkerd_servers_and_their_protocols(linkerd):
    """A database's port is opaque (no protocol detection); every other port is detected (unknown)."""
    servers = {o["metadata"]["name"]: o["spec"] for o in objects(linkerd, "Server")}
    assert {name: (s["port"], s["proxyProtocol"]) for name, s in servers.items()} == {
        "api-admin": (8001, "unknown"), "api-http": (8000, "unknown"), "api-metrics": (9090, "unknown"),
        "db-postgres": (5432, "opaque"), "web-http": (3000, "unknown"),
        # Each long-running pod's proxy admin port, which Prometheus scrapes (monitoring is on).
        **{f"{w}-linkerd-admin": (4191, "HTTP/1") for w in ("api", "db", "w", "web")}}
    assert servers["db-postgres"]["podSelector"] == selecting("db")
    assert servers["api-admin"]["podSelector"] == selecting("api")


def identity(namespace: str, account: str) -> str:
    return f"{account}.{namespace}.serviceaccount.identity.linkerd.cluster.local"


def test_linkerd_authenticates_exactly_the_clients_of_each_port(linkerd):
    identities = {o["metadata"]["name"]: o["spec"]["identities"] for o in objects(linkerd, "MeshTLSAuthentication")}
    assert identities == {"api-admin": [identity("front", "w")], "api-http": [identity("shop", "web")],
                          "db-postgres": [identity("front", "w"), identity("shop", "api")]}


def test_linkerd_authorization_policies_target_each_server_with_its_authentication(linkerd):
    def policy(server: str, kind: str, authentication: str) -> dict[str, Any]:
        return {"targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": server},
                "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": kind, "name": authentication}]}

    policies = {o["metadata"]["name"]: o["spec"] for o in objects(linkerd, "AuthorizationPolicy")}
    assert policies == {
        "api-admin": policy("api-admin", "MeshTLSAuthentication", "api-admin"),
        "api-http": policy("api-http", "MeshTLSAuthentication", "api-http"),
        "db-postgres": policy("db-postgres", "MeshTLSAuthentication", "db-postgres"),
        # Ports peers outside the mesh reach (Prometheus, the ingress controller): any address, which the
        # NetworkPolicy narrows to those peers.
        "api-metrics-plain": policy("api-metrics", "NetworkAuthentication", "anywhere"),
        "web-http-plain": policy("web-http", "NetworkAuthentication", "anywhere"),
        # The proxies' admin ports, which Prometheus (outside the mesh) scrapes, likewise.
        **{f"{w}-linkerd-admin-plain": policy(f"{w}-linkerd-admin", "NetworkAuthentication", "anywhere")
           for w in ("api", "db", "w", "web")},
    }
    for ns in ("front", "shop"):
        assert find_object(linkerd, "NetworkAuthentication", "anywhere", ns)["spec"] == {
            "networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}


def test_linkerd_plain_ports_are_narrowed_by_the_network_policy(linkerd):
    prometheus = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]
    assert find_object(linkerd, "NetworkPolicy", "api")["spec"]["ingress"][-2:] == [
        {"from": prometheus, "ports": [{"port": 9090, "protocol": "TCP"}]},
        {"from": prometheus, "ports": [{"port": 4191, "protocol": "TCP"}]}]  # the proxy's admin port


def test_linkerd_admits_a_load_balancers_clients_from_its_source_ranges_alone(module_app_root):
    """As the NetworkPolicy does: the ports only a load balancer's clients reach admit its source_ranges; a port
    Prometheus (or the ingress controller) reaches too admits any address, narrowed to them by the NetworkPolicy."""
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", mesh=Mesh(kind="linkerd"), monitoring=Monitoring(),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    shop = SecureNamespace(prod, "shop", mesh="linkerd", quota=Quota(load_balancers=1, node_ports=3),
                           deployers=[Subject.group("ci")])
    WebService(shop, "gw", image="ghcr.io/acme/gw:1.0.0", ports={"mqtt": 1883, "ws": 8083, "metrics": 9090},
               expose="load-balancer", source_ranges=["203.0.113.0/24", "2001:db8::/32"],
               metrics=Metrics(port="metrics"))
    files = synthesize(app)
    refs = {o["metadata"]["name"]: o["spec"]["requiredAuthenticationRefs"]
            for o in objects(files, "AuthorizationPolicy")}
    assert refs == {f"gw-{port}-plain": [{"group": "policy.linkerd.io", "kind": "NetworkAuthentication",
                                          "name": "gw-source-ranges" if port in ("mqtt", "ws") else "anywhere"}]
                    for port in ("mqtt", "ws", "metrics", "linkerd-admin")}
    assert find_object(files, "NetworkAuthentication", "gw-source-ranges", "shop")["spec"] == {
        "networks": [{"cidr": "2001:db8::/32"}, {"cidr": "203.0.113.0/24"}]}
    assert_match_crd_schemas(objects(files, "NetworkAuthentication"))
    assert deployer_grant("policy.linkerd.io", "authorizationpolicies", "networkauthentications", "servers") in \
        find_object(files, "Role", "deployer")["rules"]
    ingress = find_object(files, "NetworkPolicy", "gw")["spec"]["ingress"]
    assert ingress[-2] == {
        "from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}, {"ipBlock": {"cidr": "2001:db8::/32"}}],
        "ports": [{"port": 1883, "protocol": "TCP"}, {"port": 8083, "protocol": "TCP"},
                  {"port": 9090, "protocol": "TCP"}]}
    assert ingress[-1]["ports"] == [{"port": 4191, "protocol": "TCP"}]  # the proxy's admin port: Prometheus alone
    assert ingress[-1]["from"][0]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}


def test_istio_admits_a_load_balancers_clients_from_its_source_ranges_alone(module_app_root):
    """As the NetworkPolicy and Linkerd do: the plain-text rule of the ports only a load balancer's clients reach
    admits its source_ranges; a port Prometheus reaches too admits any source, narrowed by the NetworkPolicy."""
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", mesh=Mesh(kind="istio"), monitoring=Monitoring())
    shop = SecureNamespace(prod, "shop", mesh="istio", quota=Quota(load_balancers=1, node_ports=3))
    WebService(shop, "gw", image="ghcr.io/acme/gw:1.0.0", ports={"mqtt": 1883, "ws": 8083, "metrics": 9090},
               expose="load-balancer", source_ranges=["203.0.113.0/24", "2001:db8::/32"],
               metrics=Metrics(port="metrics"))
    files = synthesize(app)
    policy = find_object(files, "AuthorizationPolicy", "gw", "shop")
    plain = [r for r in policy["spec"]["rules"] if not any("principals" in f["source"] for f in r.get("from", []))]
    assert plain == [{"to": [{"operation": {"ports": ["9090"]}}]},
                     {"from": [{"source": {"ipBlocks": ["2001:db8::/32", "203.0.113.0/24"]}}],
                      "to": [{"operation": {"ports": ["1883", "8083"]}}]}]
    assert_match_crd_schemas([policy])


def test_linkerd_proxies_reach_the_control_plane_on_its_ports_alone(linkerd):
    assert find_object(linkerd, "NetworkPolicy", "web")["spec"]["egress"][-1] == {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "linkerd"}},
                "podSelector": {"matchLabels": {"linkerd.io/control-plane-ns": "linkerd"}}}],
        "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 8086, "protocol": "TCP"},
                  {"port": 8090, "protocol": "TCP"}]}


# Both meshes: a port clients call keeps its per-client authorization whatever else reaches the workload.

CALLED = {("api", 8000), ("api", 8001), ("db", 5432)}
"""(server, port) of every port a meshed client calls in meshed_app: web on api's http, w on api's admin, api and
w on db. Prometheus scrapes api's metrics port (9090) alone; the ingress controller calls web (3000)."""


def test_istio_never_opens_a_port_clients_call_to_peers_without_an_identity(istio):
    opened = {(p["metadata"]["name"], int(port)) for p in objects(istio, "AuthorizationPolicy")
              for rule in p["spec"].get("rules", []) if "from" not in rule
              for to in rule["to"] for port in to["operation"]["ports"]}
    assert opened == {("api", 9090), ("web", 3000)}
    assert not opened & CALLED
    permissive = {(p["metadata"]["name"], int(port)) for p in objects(istio, "PeerAuthentication")
                  for port, mtls in p["spec"].get("portLevelMtls", {}).items() if mtls["mode"] != "STRICT"}
    assert permissive == opened


def test_linkerd_never_opens_a_port_clients_call_to_peers_without_an_identity(linkerd):
    servers = {o["metadata"]["name"]: o["spec"] for o in objects(linkerd, "Server")}
    opened = {(servers[p["spec"]["targetRef"]["name"]]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
               servers[p["spec"]["targetRef"]["name"]]["port"]) for p in objects(linkerd, "AuthorizationPolicy")
              if p["spec"]["requiredAuthenticationRefs"][0]["kind"] != "MeshTLSAuthentication"}
    # The proxies' admin ports (4191) too, which Prometheus scrapes: no client calls them.
    assert opened == {("api", 9090), ("web", 3000), *((w, 4191) for w in ("api", "db", "w", "web"))}
    assert not opened & CALLED


def scraped_on(root, kind: str | None, connect: str | None = None, port: str = "http"):
    """A meshed (or not, kind None) service scraped on ``port``, with a client calling its ``connect`` port."""
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", mesh=Mesh(kind=kind) if kind else None, monitoring=Monitoring(),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    shop = SecureNamespace(prod, "shop", mesh=kind)
    api = WebService(shop, "api", image="ghcr.io/acme/api:1.0.0", ports={"http": 8000, "metrics": 9090},
                     metrics=Metrics(port=port))
    Worker(shop, "w", image="ghcr.io/acme/w:1.0.0", health=Health.exec(["w", "--check"]),
           connects_to=[api.on(connect) if connect else api])
    return app


@pytest.mark.parametrize("kind", ["istio", "linkerd"])
@pytest.mark.parametrize(("connect", "port"), [(None, "http"), ("metrics", "metrics"), (None, 8000)])
def test_a_mesh_refuses_to_scrape_a_port_clients_call(app_root, kind, connect, port):
    with pytest.raises(InvalidApp) as caught:
        synthesize(scraped_on(app_root, kind, connect, port))
    [error] = caught.value.problems
    assert (error.path, error.prop, error.value) == ("shop/prod/shop/api", "metrics.port", port)
    assert f"which clients call, in a namespace of the {kind} mesh" in str(error)
    assert error.fix.startswith("serve metrics on a port of their own, which no client calls and only Prometheus "
                                "reaches: ports={'http': 8000, 'metrics': 9090")


def test_without_a_mesh_the_main_port_may_be_scraped(app_root):
    """The NetworkPolicy admits Prometheus on that port and checks nothing more than it does for clients."""
    files = synthesize(scraped_on(app_root, None))
    assert find_object(files, "ServiceMonitor", "api")["spec"]["endpoints"][0]["port"] == "http"
