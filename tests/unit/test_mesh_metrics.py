"""The mesh's sidecars are scraped where monitoring is on: a PodMonitor per long-running meshed workload on the port
its mesh's sidecar serves its own metrics on (Istio: Envoy's 15090, not the merged 15020 that repeats the app's;
Linkerd: the proxy's admin port 4191), Prometheus' pods admitted there alone, and under Linkerd's 'deny' default
a Server and an allowance for that port."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas
from shipform import (
    App,
    CronJob,
    DataStorage,
    Environment,
    Health,
    Mesh,
    Monitoring,
    SecureNamespace,
    StatefulDB,
    WebService,
    Worker,
)
from shipform.testing import find_object, objects, synthesize

PROMETHEUS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "metrics"}},
              "podSelector": {"matchLabels": {"app": "prometheus"}}}
PORTS = {"istio": ("http-envoy-prom", 15090, "/stats/prometheus"), "linkerd": ("linkerd-admin", 4191, "/metrics")}


def meshed(root, kind: str, monitored: bool = True, enrolled: bool = True) -> dict[str, str]:
    app = App("shop", registry="ghcr.io/acme", root=root)
    monitoring = Monitoring(namespace="metrics", pods={"app": "prometheus"}, labels={"release": "kps"}) \
        if monitored else None
    prod = Environment(app, "prod", mesh=Mesh(kind=kind), monitoring=monitoring,
                       data_storage=DataStorage("ebs.csi.aws.com"),
                       plain_databases=None if enrolled else "a test cluster")
    shop = SecureNamespace(prod, "shop", mesh=kind if enrolled else None)
    db = StatefulDB(shop, "db", engine="postgres", version="16")
    api = WebService(shop, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db])
    Worker(shop, "w", image="ghcr.io/acme/w:1.0.0", health=Health.exec(["w", "--check"]), connects_to=[api])
    CronJob(shop, "report", schedule="0 6 * * *", image="busybox:1.37.0", command=["true"], connects_to=[api])
    return synthesize(app)


@pytest.mark.parametrize("kind", ["istio", "linkerd"])
def test_each_long_running_sidecar_has_a_pod_monitor_on_its_mesh_port(module_app_root, kind):
    files = meshed(module_app_root, kind)
    monitors = {o["metadata"]["name"]: o for o in objects(files, "PodMonitor")}
    assert set(monitors) == {"api-mesh-proxy", "db-mesh-proxy", "w-mesh-proxy"}  # no CronJob: its pods end
    name, _, path = PORTS[kind]
    for workload in ("api", "db", "w"):
        monitor = monitors[f"{workload}-mesh-proxy"]
        assert monitor["metadata"]["labels"]["release"] == "kps"  # what the operator's selector wants
        assert monitor["spec"] == {
            "selector": {"matchLabels": {"app.kubernetes.io/name": workload, "app.kubernetes.io/part-of": "shop"}},
            "podMetricsEndpoints": [{"port": name, "path": path, "interval": "30s", "scheme": "http"}]}
    assert_match_crd_schemas(list(monitors.values()))


@pytest.mark.parametrize("kind", ["istio", "linkerd"])
def test_prometheus_alone_reaches_the_sidecar_port(module_app_root, kind):
    files = meshed(module_app_root, kind)
    _, number, _ = PORTS[kind]
    for workload in ("api", "db", "w"):
        ingress = find_object(files, "NetworkPolicy", workload)["spec"]["ingress"]
        on_port = [rule for rule in ingress if {"port": number, "protocol": "TCP"} in rule.get("ports", [])]
        assert on_port == [{"from": [PROMETHEUS], "ports": [{"port": number, "protocol": "TCP"}]}], workload
    # The CronJob's pods are not scraped, so nothing reaches their sidecar.
    assert not [r for r in find_object(files, "NetworkPolicy", "report")["spec"].get("ingress", [])
                if {"port": number, "protocol": "TCP"} in r.get("ports", [])]
    # Istio leaves 15090 out of its traffic capture: no Istio policy opens it, nor the merged port 15020 anywhere.
    if kind == "istio":
        istio = objects(files, "AuthorizationPolicy") + objects(files, "PeerAuthentication")
        assert "15090" not in str(istio)
        ports = {p["port"] for o in objects(files, "NetworkPolicy") for r in o["spec"].get("ingress", [])
                 for p in r.get("ports", [])}
        assert 15020 not in ports and 15020 not in {e.get("port") for o in objects(files, "PodMonitor")
                                                    for e in o["spec"]["podMetricsEndpoints"]}


def test_linkerd_admits_the_admin_port_under_its_deny_default(module_app_root):
    files = meshed(module_app_root, "linkerd")
    for workload in ("api", "db", "w"):
        server = find_object(files, "Server", f"{workload}-linkerd-admin", "shop")
        assert server["spec"] == {"podSelector": {"matchLabels": {"app.kubernetes.io/name": workload,
                                                                  "app.kubernetes.io/part-of": "shop"}},
                                  "port": 4191, "proxyProtocol": "HTTP/1"}
        policy = find_object(files, "AuthorizationPolicy", f"{workload}-linkerd-admin-plain", "shop")
        # Prometheus has no sidecar: any address, which the NetworkPolicy narrows to Prometheus' pods on 4191.
        assert policy["spec"] == {
            "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": f"{workload}-linkerd-admin"},
            "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "NetworkAuthentication",
                                            "name": "anywhere"}]}
        assert_match_crd_schemas([server, policy])
    assert not [o for o in objects(files, "Server") if o["metadata"]["name"] == "report-linkerd-admin"]


@pytest.mark.parametrize("kind", ["istio", "linkerd"])
@pytest.mark.parametrize(("monitored", "enrolled"), [(False, True), (True, False)])
def test_no_sidecar_scrape_without_monitoring_or_outside_the_mesh(module_app_root, kind, monitored, enrolled):
    files = meshed(module_app_root, kind, monitored=monitored, enrolled=enrolled)
    assert not [o for o in objects(files, "PodMonitor") if o["metadata"]["name"].endswith("-mesh-proxy")]
    _, number, _ = PORTS[kind]
    assert f"port: {number}" not in "".join(t for p, t in files.items() if "networkpolicy" in p)
    assert not [o for o in objects(files, "Server") if o["metadata"]["name"].endswith("-linkerd-admin")]
