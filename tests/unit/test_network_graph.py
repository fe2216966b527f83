"""From the synthesized files alone, who can talk to whom must be exactly the declared connects_to graph
(plus cluster DNS and the ingress controller for public services): nothing more, nothing less."""

from __future__ import annotations

import itertools
import runpy

import pytest
import yaml

from conftest import DIST, REPO

SHOP = DIST / "shop"
DNS = ("kube-system", "kube-dns")
INGRESS = ("ingress-nginx", "controller")


def load(env: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((SHOP / "k8s" / env).glob("*.yaml"))
            if p.name != "kustomization.yaml"]


def pod_labels(obj: dict) -> dict | None:
    spec = obj.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template")
    return template["metadata"]["labels"] if template else None


def endpoints(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """Every pod owner of the app, plus the two outside peers, as {(namespace, name): labels}."""
    pods = {(o["metadata"]["namespace"], o["metadata"]["name"]): pod_labels(o) for o in objects if pod_labels(o)}
    pods[DNS] = {"k8s-app": "kube-dns"}
    pods[INGRESS] = {"app.kubernetes.io/name": "ingress-nginx"}
    return pods


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def peer_matches(peer: dict, policy_ns: str, ns: str, labels: dict) -> bool:
    if "ipBlock" in peer:
        return False  # addresses outside the cluster (checked on their own below)
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": ns}):
            return False
    elif ns != policy_ns:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], labels)


def port_matches(rule: dict, port: int, protocol: str) -> bool:
    return any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in rule.get("ports", []))


def allows(policies: list[dict], direction: str, me: tuple, other: tuple, pods: dict, port: int, proto: str) -> bool:
    """Kubernetes semantics: isolated in a direction once any policy selecting the pod lists it; then some
    selecting policy must have a rule admitting the peer on that port. Pods outside the app are not ours
    to isolate (their namespace's own policies are out of scope), so they are unrestricted."""
    if me in (DNS, INGRESS):
        return True
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    relevant = [p for p in policies if p["metadata"]["namespace"] == me[0]
                and selects(p["spec"]["podSelector"], pods[me]) and direction in p["spec"]["policyTypes"]]
    return any(peer_matches(peer, p["metadata"]["namespace"], other[0], pods[other]) and port_matches(rule, port, proto)
               for p in relevant for rule in p["spec"].get(key, []) for peer in rule.get(peers, []))


def allowed_flows(env: str) -> set[tuple]:
    objects = load(env)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = endpoints(objects)
    ports = {(53, "UDP"), (53, "TCP")} | {(p["port"], "TCP") for o in objects if o["kind"] == "Service"
                                          for p in o["spec"]["ports"]}
    flows = set()
    for src, dst in itertools.permutations(pods, 2):
        if {src, dst} <= {DNS, INGRESS}:
            continue  # traffic between two outside peers is not the app's business
        for port, proto in ports:
            if allows(policies, "Egress", src, dst, pods, port, proto) and \
                    allows(policies, "Ingress", dst, src, pods, port, proto):
                flows.add((src[1], dst[1], port, proto))
    return flows


def declared_flows(env_name: str) -> set[tuple]:
    app = runpy.run_path(str(REPO / "apps" / "shop" / "app.py"))["app"]
    env = next(e for e in app.environments if e.name == env_name)
    flows = set()
    for w in env.workloads:
        flows |= {(w.name, DNS[1], 53, "UDP"), (w.name, DNS[1], 53, "TCP")}
        flows |= {(w.name, t.name, t.port, "TCP") for t in w.connects_to}
        if getattr(w, "public", False):
            flows.add((INGRESS[1], w.name, w.port, "TCP"))
    return flows


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_network_policies_allow_exactly_the_declared_graph(env):
    declared = declared_flows(env)
    assert any(flow[0] == "web" and flow[1] == "api" for flow in declared)  # the graph is not trivial
    assert allowed_flows(env) == declared


def test_compose_networks_connect_exactly_the_declared_pairs():
    doc = yaml.safe_load((SHOP / "compose" / "compose.yaml").read_text())
    members: dict[str, set[str]] = {}
    for name, service in doc["services"].items():
        for network in service.get("networks", []):
            members.setdefault(network, set()).add(name)
    reachable = {frozenset(pair) for group in members.values() for pair in itertools.combinations(sorted(group), 2)}
    app = runpy.run_path(str(REPO / "apps" / "shop" / "app.py"))["app"]
    declared = {frozenset((w.name, t.name)) for w in app.local_environment.workloads for t in w.connects_to}
    assert reachable == declared
    external = {n for n, spec in doc["networks"].items() if not spec["internal"]}
    assert {s for n in external for s in members[n]} == {w.name for w in app.local_environment.workloads
                                                         if getattr(w, "public", False)}


def test_only_the_offsite_backup_may_leave_the_cluster_and_only_over_https():
    external = {}
    for env in ("dev", "prod"):
        for obj in load(env):
            if obj["kind"] == "NetworkPolicy":
                for rule in obj["spec"].get("egress", []):
                    if any("ipBlock" in peer for peer in rule["to"]):
                        external[(env, obj["metadata"]["name"])] = rule["ports"]
    assert external == {("prod", "db-backup"): [{"port": 443, "protocol": "TCP"}]}
