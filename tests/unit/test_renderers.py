"""The renderers as pure functions of a hand-built spec (tests/unit/hand_made.py): tables of spec changes and the
facts each one brings about in the Kubernetes objects, the compose service and the NetworkPolicy. No construct is
built, so nothing here starts Node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipform import spec
from shipform.render import compose, network
from shipform.render.environment import environment_objects
from shipform.values import addresses
from shipform.values.health import Health
from shipform.values.quantity import Memory
from shipform.values.resources import Autoscale
from unit.hand_made import EXPOSURE, HTTP, JOB, SCHEDULE, endpoint, make_app, make_environment, make_workload

ABSENT = "<absent>"
POSTGRES = spec.Port("postgres", 5432)
ADMIN = spec.Port("admin", 9000)
DNS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
       "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
PUBLIC = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": addresses.public_except(4)}},
          {"ipBlock": {"cidr": "::/0", "except": addresses.public_except(6)}}]  # the list: test_security_facts
STATEFUL = {"component": "database", "run": spec.Continuous(replicas=1, stateful=True), "ports": (POSTGRES,),
            "volumes": (spec.Volume("data", "/var/lib/data", "hello-data",
                                    spec.ClaimTemplate(Memory(2**30, "binary"), None, "ReadWriteOnce")),)}
NO_PORTS = {"ports": (), "health": None}
AUTOSCALED = {"run": spec.Continuous(replicas=2), "facets": (spec.Autoscaling(2, 5, Autoscale(min=2, max=5)),)}
LOAD_BALANCER = {"facets": (spec.ServiceAccess("LoadBalancer", ("203.0.113.0/24",)),)}


def dig(value: Any, path: str) -> Any:
    """The value at a dotted path ('spec.tls.0.hosts'); ABSENT where a key or index is missing."""
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return ABSENT
    return value


def tcp(*numbers: int) -> list[dict[str, Any]]:
    return [{"port": n, "protocol": "TCP"} for n in numbers]


def pods(name: str, namespace: str | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name,
                                                            "app.kubernetes.io/part-of": "demo"}}}
    if namespace is not None:
        peer["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
    return peer


# Kubernetes: which objects a workload produces.

KINDS = [
    pytest.param({}, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello",
                      "Service/hello"], id="one replica: no disruption budget"),
    pytest.param({"run": spec.Continuous(replicas=3)},
                 ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello",
                  "Service/hello", "PodDisruptionBudget/hello"], id="three replicas: a disruption budget"),
    pytest.param(AUTOSCALED,
                 ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello",
                  "Service/hello", "PodDisruptionBudget/hello", "HorizontalPodAutoscaler/hello"], id="autoscaled"),
    pytest.param(STATEFUL, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "StatefulSet/hello",
                            "Service/hello", "Service/hello-headless"], id="stateful: headless Service"),
    pytest.param({"run": JOB, **NO_PORTS}, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello",
                                            "Job/hello"], id="to completion: a Job"),
    pytest.param({"run": SCHEDULE, **NO_PORTS}, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello",
                                                 "CronJob/hello"], id="scheduled: a CronJob"),
    pytest.param({"run": spec.PerNode(max_unavailable=1, max_nodes=5), **NO_PORTS},
                 ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "DaemonSet/hello"],
                 id="per node: a DaemonSet"),
    pytest.param(NO_PORTS, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello"],
                 id="no port: no Service"),
    pytest.param({"facets": (EXPOSURE,)}, ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello",
                                          "Deployment/hello", "Service/hello", "Ingress/hello"], id="public: Ingress"),
    pytest.param({"facets": (spec.Exposure("hello.example.com", "", "", "gateways", None, gateway="gateways/web",
                                           provider="gateway"),)},
                 ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello",
                  "Service/hello", "HTTPRoute/hello"], id="public behind a Gateway: HTTPRoute"),
    pytest.param({"config": spec.Config("hello-0123abcd", (("MODE", "fast"),), ())},
                 ["Namespace/demo", "ConfigMap/hello-0123abcd", "ServiceAccount/hello", "NetworkPolicy/hello",
                  "Deployment/hello", "Service/hello"], id="configuration: a ConfigMap first"),
    pytest.param({"volumes": (spec.Volume("uploads", "/data", "hello-uploads",
                                          spec.Claim("hello-uploads", Memory(2**30, "binary"), None)),)},
                 ["Namespace/demo", "ServiceAccount/hello", "NetworkPolicy/hello", "Deployment/hello",
                  "Service/hello", "PersistentVolumeClaim/hello-uploads"], id="a claim: its PersistentVolumeClaim"),
]


@pytest.mark.parametrize(("overrides", "expected"), KINDS)
def test_kubernetes_objects_of_a_workload(overrides, expected):
    objects = environment_objects(make_environment(make_workload(**overrides)))
    assert [f"{o['kind']}/{o['metadata']['name']}" for o in objects] == expected


# Kubernetes: facts of those objects.

FACTS = [
    pytest.param({"run": spec.Continuous(replicas=3)}, "Deployment/hello", "spec.replicas", 3, id="replicas"),
    pytest.param({"run": spec.Continuous(replicas=3)}, "PodDisruptionBudget/hello", "spec",
                 {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "hello",
                                                                    "app.kubernetes.io/part-of": "demo"}}},
                 id="budget: one pod at a time"),
    pytest.param(AUTOSCALED, "Deployment/hello",
                 "spec.replicas", ABSENT, id="autoscaled: the HPA owns the replica count"),
    pytest.param(AUTOSCALED,
                 "HorizontalPodAutoscaler/hello", "spec",
                 {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello"},
                  "minReplicas": 2, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                      "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
                 id="autoscaled: min, max and CPU"),
    pytest.param(STATEFUL, "StatefulSet/hello", "spec.serviceName", "hello-headless", id="stateful: its names"),
    pytest.param(STATEFUL, "Service/hello-headless", "spec.clusterIP", "None", id="stateful: headless"),
    pytest.param(STATEFUL, "StatefulSet/hello", "metadata.annotations", "<absent>",
                 id="stateful: rendered GitOps-neutral (the ordering pass adds its wave)"),
    pytest.param({"run": JOB, **NO_PORTS}, "Job/hello", "spec.template.spec.restartPolicy", "Never",
                 id="job: never restarted in place"),
    pytest.param({"run": JOB, **NO_PORTS}, "Job/hello", "spec.backoffLimit", 2, id="job: retries"),
    pytest.param({"run": SCHEDULE, **NO_PORTS}, "CronJob/hello", "spec.schedule", "0 6 * * *", id="cron: schedule"),
    pytest.param({"run": spec.PerNode(1, 5, host_network=True), **NO_PORTS}, "DaemonSet/hello",
                 "spec.template.spec.hostNetwork", True, id="node agent: host network"),
    pytest.param({"facets": (EXPOSURE,)}, "Ingress/hello", "spec.tls",
                 [{"hosts": ["hello.example.com"], "secretName": "hello-tls"}], id="public: TLS for its host"),
    pytest.param({"facets": (EXPOSURE,)}, "Ingress/hello", "spec.rules.0.host", "hello.example.com",
                 id="public: routed by host"),
    pytest.param({}, "Service/hello", "spec.type", "ClusterIP", id="cluster service"),
    pytest.param(LOAD_BALANCER, "Service/hello", "spec.loadBalancerSourceRanges", ["203.0.113.0/24"],
                 id="load balancer: its source ranges"),
    pytest.param(LOAD_BALANCER, "Service/hello", "spec.externalTrafficPolicy", "Local",
                 id="load balancer: the client's address kept"),
    pytest.param({"facets": (spec.ServiceAccess("NodePort", ("203.0.113.0/24",)),)}, "Service/hello",
                 "spec.loadBalancerSourceRanges", ABSENT, id="node port: no load balancer field"),
]


@pytest.mark.parametrize(("overrides", "name", "path", "expected"), FACTS)
def test_kubernetes_facts(overrides, name, path, expected):
    objects = {f"{o['kind']}/{o['metadata']['name']}": o
               for o in environment_objects(make_environment(make_workload(**overrides)))}
    assert dig(objects[name], path) == expected


# compose: the local service.

CHECKED_DB = make_workload(name="db", component="database", ports=(POSTGRES,), health=Health.exec(["pg_isready"]))
"""A server compose checks the health of (an exec command: the image has it)."""


def compose_service(**overrides: Any) -> dict[str, Any]:
    doc = compose.compose_document(make_app(make_environment(make_workload(**overrides), CHECKED_DB)),
                                   Path("/o/compose"), Path("/o/docker"))
    assert doc is not None
    return doc["services"]["hello"]


COMPOSE = [
    pytest.param({}, "ports", ABSENT, id="inside the cluster: not published"),
    pytest.param({"facets": (EXPOSURE,)}, "ports", ["127.0.0.1:8080:8080"], id="public: on the loopback only"),
    pytest.param({"facets": (spec.ServiceAccess("NodePort"),)}, "ports", ["127.0.0.1:8080:8080"],
                 id="node port: on the loopback only"),
    pytest.param({"health": Health.exec(["hello", "--check"])}, "healthcheck",
                 {"test": ["CMD", "hello", "--check"], "interval": "10s", "timeout": "3s", "retries": 3,
                  "start_period": "60s"}, id="exec health: a healthcheck"),
    pytest.param({}, "healthcheck", ABSENT, id="port check on a prebuilt image: no healthcheck"),
    pytest.param({}, "user", "10001:10001", id="user: the pod's"),
    pytest.param({"run_as_user": 2000, "run_as_group": 3000}, "user", "2000:3000", id="user: its own ids"),
    pytest.param({"data_owner": (999, 999)}, "user", "999:999", id="user: the data folder's owner (no fsGroup)"),
    pytest.param({}, "read_only", True, id="read-only root"),
    pytest.param({"read_only_root_filesystem": False}, "read_only", False, id="writable root when relaxed"),
    pytest.param({"writable_paths": ("/tmp", "/var/cache")}, "tmpfs",
                 ["/tmp:size=64m,mode=1777", "/var/cache:size=64m,mode=1777"], id="writable paths: tmpfs"),
    pytest.param({"connects_to": (endpoint("db", POSTGRES),)}, "depends_on",
                 {"db": {"condition": "service_healthy", "restart": True}}, id="depends on a checked server"),
    pytest.param({"connects_to": (endpoint("cache", spec.Port("redis", 6379)),)}, "depends_on",
                 {"cache": {"condition": "service_started", "restart": True}}, id="depends on an unchecked server"),
    pytest.param({"waits_for": ("hello-seed",)}, "depends_on",
                 {"hello-seed": {"condition": "service_completed_successfully"}}, id="waits for a job"),
    pytest.param({"connects_to": (endpoint("saas", spec.Port("https", 443),
                                           external=spec.ExternalAddress("api.example.com")),)},
                 "depends_on", ABSENT, id="a server outside: nothing to wait for"),
    pytest.param({}, "network_mode", "none", id="no connection: no network"),
    pytest.param({}, "cap_drop", ["ALL"], id="no capability"),
    pytest.param({}, "security_opt", ["no-new-privileges:true"], id="no privilege escalation"),
    pytest.param({"run": JOB, **NO_PORTS}, "profiles", ["jobs"], id="job: under a profile"),
    pytest.param({"run": JOB, **NO_PORTS}, "restart", "no", id="job: never restarted"),
]


@pytest.mark.parametrize(("overrides", "key", "expected"), COMPOSE)
def test_compose_service(overrides, key, expected):
    assert compose_service(**overrides).get(key, ABSENT) == expected


# NetworkPolicy: ingress from the clients on the ports they use, egress to the servers on theirs.

WEB_CLIENT = {"clients": (endpoint("web"),)}
INGRESS = [
    pytest.param({}, [], id="no client: nothing in"),
    pytest.param(WEB_CLIENT, [{"from": [pods("web")], "ports": tcp(8080)}], id="a client: on the main port"),
    pytest.param({"ports": (HTTP, ADMIN), "clients": (endpoint("ops", ADMIN),)},
                 [{"from": [pods("ops")], "ports": tcp(9000)}], id="a client of a named port: on that port"),
    pytest.param({"clients": (endpoint("web", namespace="front"),)}, [{"from": [pods("web", "front")],
                                                                        "ports": tcp(8080)}],
                 id="a client of another namespace: both selectors"),
    pytest.param({"clients": (endpoint("web", with_canary=True),)},
                 [{"from": [pods("web"), pods("web-canary")], "ports": tcp(8080)}], id="a client and its canary"),
    pytest.param({"facets": (EXPOSURE,)}, [{"from": [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}}], "ports": tcp(8080)}],
                 id="public: the ingress controller's pods"),
    pytest.param({"facets": (spec.ServiceAccess("NodePort"),)},
                 [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}], "ports": tcp(8080)}],
                 id="node port without ranges: any address"),
    pytest.param(LOAD_BALANCER, [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": tcp(8080)}],
                 id="load balancer: its source ranges alone"),
]


@pytest.mark.parametrize(("overrides", "expected"), INGRESS)
def test_network_policy_ingress(overrides, expected):
    assert network.network_policy_spec(make_workload(**overrides))["ingress"] == expected


PAYMENTS = endpoint("payments", spec.Port("https", 443), external=spec.ExternalAddress("api.payments.example.com"))
EGRESS = [
    pytest.param({}, False, [DNS], id="no server: DNS alone"),
    pytest.param({"connects_to": (endpoint("db", POSTGRES),)}, False, [DNS, {"to": [pods("db")], "ports": tcp(5432)}],
                 id="a server: on its port"),
    pytest.param({"connects_to": (endpoint("db", POSTGRES, namespace="data"),)}, False,
                 [DNS, {"to": [pods("db", "data")], "ports": tcp(5432)}], id="a server of another namespace"),
    pytest.param({"connects_to": (endpoint("ledger", POSTGRES, external=spec.ExternalAddress(
        "ledger.internal", ("10.40.0.0/24",))),)}, False,
                 [DNS, {"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}], "ports": tcp(5432)}],
                 id="outside, by address range"),
    pytest.param({"connects_to": (endpoint("smtp", spec.Port("smtp", 587),
                                           external=spec.ExternalAddress("192.0.2.25")),)}, False,
                 [DNS, {"to": [{"ipBlock": {"cidr": "192.0.2.25/32"}}], "ports": tcp(587)}],
                 id="outside, by address"),
    pytest.param({"connects_to": (PAYMENTS,)}, False, [DNS, {"to": PUBLIC, "ports": tcp(443)}],
                 id="outside, by name: any public address"),
    pytest.param({"connects_to": (PAYMENTS,)}, True, [], id="outside, by name, under Cilium: its own policy, DNS too"),
    pytest.param({"facets": (spec.InternetEgress((spec.EgressToInternet(443),)),)}, False, [DNS, {"to": PUBLIC,
                                                                                      "ports": tcp(443)}],
                 id="to the internet: public addresses on one port"),
    pytest.param({"facets": (spec.InternetEgress((spec.EgressToInternet(443, ("198.51.100.0/24",)),)),)}, False,
                 [DNS, {"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}], "ports": tcp(443)}],
                 id="to the internet: its address ranges"),
]


@pytest.mark.parametrize(("overrides", "cilium", "expected"), EGRESS)
def test_network_policy_egress(overrides, cilium, expected):
    assert network.network_policy_spec(make_workload(**overrides), cilium)["egress"] == expected


def test_the_policy_selects_the_workloads_pods_in_both_directions():
    policy = network.network_policy_spec(make_workload(**WEB_CLIENT))
    assert policy["podSelector"] == pods("hello")["podSelector"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
