"""Who may talk to whom, read two independent ways:

- from rendered output alone (a ``{relative path: text}`` dict as ``shipform.synth.pipeline.render`` returns it,
  or the same read from disk): NetworkPolicies evaluated under Kubernetes semantics, and compose networks;
- from an App's constructs alone: the declared connects_to graph, plus what every pod needs around it
  (cluster DNS, the ingress controller for public services, and the outside world for S3 backups).

Endpoints are ``"<namespace>/<name>"`` strings (pods are named after the object that owns them), plus the
pseudo-endpoint ``OUTSIDE`` for addresses outside the cluster. A flow is ``(source, destination, port, protocol)``.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from shipform import Broker, S3Target
from shipform.providers.mesh import MESHES

Flow = tuple[str, str, int, str]

DNS = "kube-system/kube-dns"
OUTSIDE = "outside-the-cluster"
NS_NAME_LABEL = "kubernetes.io/metadata.name"
POD_OWNERS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout", "Cluster"}
CNPG_PORTS = {"postgresql": (5432, "TCP"), "status": (8000, "TCP"), "metrics": (9187, "TCP")}
"""The ports of each CloudNativePG instance: Postgres, the instance manager's status, its metrics exporter."""
KINDS = POD_OWNERS | {"NetworkPolicy", "Namespace", "Service", "AuthorizationPolicy", "Server", "MeshTLSAuthentication"}
_KIND_LINE = re.compile(r"^kind: *[\"']?(\w+)", re.M)


def ingress_controller(namespace: str) -> str:
    return f"{namespace}/ingress-controller"


def prometheus(namespace: str) -> str:
    return f"{namespace}/prometheus"


def collector(namespace: str) -> str:
    return f"{namespace}/otel-collector"


def knative(namespace: str, component: str) -> str:
    """Knative's gateway, activator or autoscaler."""
    return f"{namespace}/knative-{component}"


def broker_pods(namespace: str, role: str) -> str:
    """Knative Eventing's broker ingress or filter pods."""
    return f"{namespace}/knative-broker-{role}"


BROKER_ROLE = "eventing.knative.dev/brokerRole"
"""The label of the multi-tenant broker's pods, 'ingress' or 'filter' (knative/eventing
config/brokers/mt-channel-broker/deployments/broker-ingress.yaml and broker-filter.yaml); both listen on 8080."""


def eventing_namespaces(env: Any) -> tuple[str, ...]:
    """From the constructs: where the data plane of the Environment's Brokers runs."""
    return tuple(sorted({m.plane.namespace for m in env.members if isinstance(m, Broker)}))


def is_pod_owner(obj: dict) -> bool:
    """A workload kind, or a Knative Service (which runs pods; a core Service does not)."""
    return obj["kind"] in POD_OWNERS or obj.get("apiVersion") == "serving.knative.dev/v1"


def cnpg_operator(namespace: str) -> str:
    return f"{namespace}/cnpg-operator"


def cnpg_namespaces(env: Any) -> tuple[str, ...]:
    """From the constructs: where the CloudNativePG operator of each highly available Postgres runs."""
    return tuple(sorted({w.ha.operator_namespace for w in env.workloads if getattr(w, "ha", None) is not None}))


def keda_operator(namespace: str) -> str:
    return f"{namespace}/keda-operator"


def control_plane(namespace: str) -> str:
    """The mesh's control plane (istiod, or Linkerd's controllers)."""
    return f"{namespace}/mesh-control-plane"


PROMETHEUS_LABELS = {"app.kubernetes.io/name": "prometheus"}
"""The labels of Prometheus' pods (kube-prometheus-stack's, shipform's Monitoring default)."""


# ---------------------------------------------------------------------------------------------- reading output
def read_tree(folder: Path) -> dict[str, str]:
    """An app's output folder on disk as the same {relative path: text} dict render() returns."""
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def k8s_objects(files: Mapping[str, str]) -> dict[str, list[dict]]:
    """{environment: objects} of the kinds the network graph depends on, from every YAML file under k8s/<env>/.
    Files are parsed with yaml.safe_load_all; a file that holds none of those kinds is not parsed at all
    (Deployments and NetworkPolicies are most of the parse time; RBAC, quotas and the like are skipped)."""
    envs: dict[str, list[dict]] = {}
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != "k8s" or not path.endswith((".yaml", ".yml")):
            continue
        objects = envs.setdefault(parts[1], [])
        if KINDS.isdisjoint(_KIND_LINE.findall(text)):
            continue
        parsed = yaml.load_all(text, Loader=yaml.CSafeLoader)
        objects.extend(o for o in parsed if isinstance(o, dict) and o.get("kind") in KINDS)
    return envs


def compose_document(files: Mapping[str, str]) -> dict:
    return yaml.load(files["compose/compose.yaml"], Loader=yaml.CSafeLoader)


# ---------------------------------------------------------------------------------------------- endpoints
@dataclass(frozen=True)
class Endpoint:
    id: str
    namespace: str | None  # None: not in the cluster
    labels: Mapping[str, str]
    address: ipaddress.IPv4Address
    named_ports: Mapping[str, tuple[int, str]] | None = None  # None: unknown (matches any named port)
    ours: bool = True  # False: outside the app, so its own namespace's policies are out of scope (unrestricted)


def pod_template(obj: dict) -> dict | None:
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "Cluster":  # CloudNativePG's instances, as the operator labels them
        return {"metadata": {"labels": {"cnpg.io/cluster": obj["metadata"]["name"]}}, "spec": {"containers": [
            {"ports": [{"name": n, "containerPort": p, "protocol": t} for n, (p, t) in CNPG_PORTS.items()]}]}}
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template")


def named_ports(template: dict) -> dict[str, tuple[int, str]]:
    pod = template.get("spec", {})
    containers = [*pod.get("containers", []), *pod.get("initContainers", [])]
    return {p["name"]: (p["containerPort"], p.get("protocol", "TCP"))
            for c in containers for p in c.get("ports", []) if "name" in p}


def endpoints(objects: list[dict], ingress_namespace: str, monitoring: Any = None,
              telemetry: Any = None, keda: Any = None, mesh: Any = None, serving: Any = None,
              cnpg: Iterable[str] = (), eventing: Iterable[str] = ()) -> list[Endpoint]:
    """Every pod owner of the app, then cluster DNS, the ingress controller, Prometheus (where the Environment is
    monitored) and the outside world.
    Pods get addresses in 10.244.0.0/16; the outside world is 8.8.8.8 (a public address: the documentation
    ranges are among those NetworkPolicies leave out of "any public address")."""
    found = []
    for i, obj in enumerate(o for o in objects if is_pod_owner(o)):
        template = pod_template(obj)
        if template is None:
            continue
        meta = obj["metadata"]
        found.append(Endpoint(f"{meta.get('namespace', 'default')}/{meta['name']}", meta.get("namespace", "default"),
                              template.get("metadata", {}).get("labels") or {},
                              ipaddress.IPv4Address("10.244.0.0") + 2 + i, named_ports(template)))
    assert len({e.id for e in found}) == len(found), "two pod owners share a namespace and name"
    return [*found,
            Endpoint(DNS, "kube-system", {"k8s-app": "kube-dns"}, ipaddress.IPv4Address("10.96.0.10"),
                     {"dns": (53, "UDP"), "dns-tcp": (53, "TCP")}, ours=False),
            Endpoint(ingress_controller(ingress_namespace), ingress_namespace,
                     {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
                     ipaddress.IPv4Address("10.244.255.1"), None, ours=False),
            *([Endpoint(prometheus(monitoring.namespace), monitoring.namespace, dict(monitoring.pods),
                        ipaddress.IPv4Address("10.244.255.2"), None, ours=False)] if monitoring else []),
            *([Endpoint(collector(telemetry.namespace), telemetry.namespace, dict(telemetry.pods),
                        ipaddress.IPv4Address("10.244.255.3"), {"otlp": (telemetry.port, "TCP")}, ours=False)]
              if telemetry else []),
            *([Endpoint(keda_operator(keda.namespace), keda.namespace, dict(keda.pods),
                        ipaddress.IPv4Address("10.244.255.4"), None, ours=False)] if keda else []),
            *([Endpoint(control_plane(mesh.namespace), mesh.namespace, dict(mesh.pods),
                        ipaddress.IPv4Address("10.244.255.5"), None, ours=False)] if mesh else []),
            *([Endpoint(knative(serving.gateway_namespace, "gateway"), serving.gateway_namespace,
                        dict(serving.gateway_pods), ipaddress.IPv4Address("10.244.255.6"), None, ours=False),
               Endpoint(knative(serving.namespace, "activator"), serving.namespace, {"app": "activator"},
                        ipaddress.IPv4Address("10.244.255.7"), None, ours=False),
               Endpoint(knative(serving.namespace, "autoscaler"), serving.namespace, {"app": "autoscaler"},
                        ipaddress.IPv4Address("10.244.255.8"), None, ours=False)] if serving else []),
            *[Endpoint(cnpg_operator(ns), ns, {"app.kubernetes.io/name": "cloudnative-pg"},
                       ipaddress.IPv4Address("10.244.254.0") + i, None, ours=False) for i, ns in enumerate(cnpg)],
            *(Endpoint(broker_pods(ns, role), ns, {BROKER_ROLE: role},
                       ipaddress.IPv4Address("10.244.253.0") + 2 * i + j, {"http": (8080, "TCP")}, ours=False)
              for i, ns in enumerate(eventing) for j, role in enumerate(("ingress", "filter"))),
            Endpoint(OUTSIDE, None, {}, ipaddress.IPv4Address("8.8.8.8"), None, ours=False)]


def namespace_labels(objects: list[dict], pods: list[Endpoint]) -> dict[str, dict[str, str]]:
    """Labels of every namespace: those of its Namespace object, plus the one Kubernetes always sets."""
    labels = {e.namespace: {} for e in pods if e.namespace is not None}
    for o in objects:
        if o["kind"] == "Namespace":
            labels[o["metadata"]["name"]] = dict(o["metadata"].get("labels") or {})
    return {ns: {**lab, NS_NAME_LABEL: ns} for ns, lab in labels.items()}


# ---------------------------------------------------------------------------------------------- semantics
def selects(selector: dict | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector: matchLabels and matchExpressions all hold (the empty selector selects everything)."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if not {"In": key in labels and labels[key] in values,
                "NotIn": key not in labels or labels[key] not in values,
                "Exists": key in labels,
                "DoesNotExist": key not in labels}[op]:
            return False
    return True


def peer_matches(peer: dict, policy_ns: str, other: Endpoint, ns_labels: Mapping[str, Mapping[str, str]]) -> bool:
    if "ipBlock" in peer:
        # ipBlock is for cluster-external addresses (whether it also matches pod IPs is up to the network
        # plugin); pods are only reachable through selectors here.
        if other.namespace is not None:
            return False
        block = peer["ipBlock"]
        net = ipaddress.ip_network(block["cidr"], strict=False)
        return other.address in net and not any(
            other.address in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], ns_labels.get(other.namespace, {NS_NAME_LABEL: other.namespace})):
            return False
    elif other.namespace != policy_ns:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], other.labels)


def port_matches(rule: dict, port: int, protocol: str, target: Endpoint) -> bool:
    """``target`` is the pod whose port it is (the destination): named ports are resolved on it."""
    entries = rule.get("ports")
    if not entries:
        return True  # no ports: every port
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if target.named_ports is None or target.named_ports.get(wanted) == (port, protocol):
                return True
        elif wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


@dataclass(frozen=True)
class Rule:
    policy: str  # "<namespace>/<name>" of the NetworkPolicy
    namespace: str
    body: dict
    peers: list[dict] | None = field(default=None)  # None: the rule lists no peers, so it admits every peer


def isolating_rules(pod: Endpoint, direction: str, policies: list[dict]) -> list[Rule] | None:
    """None when no policy selects the pod for this direction (then everything is allowed); else the rules
    of every policy that does (the union is what is allowed)."""
    if not pod.ours:
        return None
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = []
    for p in policies:
        spec, ns = p["spec"], p["metadata"].get("namespace", "default")
        types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
        if ns == pod.namespace and direction in types and selects(spec.get("podSelector"), pod.labels):
            selecting.append(p)
    if not selecting:
        return None
    return [Rule(f"{p['metadata'].get('namespace', 'default')}/{p['metadata']['name']}",
                 p["metadata"].get("namespace", "default"), r, r.get(peers) or None)
            for p in selecting for r in p["spec"].get(key) or []]


Grant = tuple[str, dict | None]  # (policy, peer that matched; None for a rule without peers)


def admitting(rules: list[Rule] | None, other: Endpoint,
              ns_labels: Mapping[str, Mapping[str, str]]) -> list[tuple[Rule, dict | None]] | None:
    """None: unrestricted. Else the (rule, peer) pairs whose peer is ``other``, whatever the port."""
    if rules is None:
        return None
    found: list[tuple[Rule, dict | None]] = []
    for rule in rules:
        if rule.peers is None:
            found.append((rule, None))
        else:
            found += [(rule, p) for p in rule.peers if peer_matches(p, rule.namespace, other, ns_labels)]
    return found


def on_port(admitted: list[tuple[Rule, dict | None]] | None, port: int, protocol: str,
            target: Endpoint) -> list[Grant] | None:
    """None: unrestricted. Else the (policy, peer) pairs that admit the peer on that port (empty: denied)."""
    if admitted is None:
        return None
    return [(rule.policy, peer) for rule, peer in admitted if port_matches(rule.body, port, protocol, target)]


@dataclass
class Evaluation:
    flows: dict[Flow, tuple[list[Grant] | None, list[Grant] | None]]  # flow -> (egress grants, ingress grants)
    endpoints: dict[str, Endpoint]
    namespaces: dict[str, dict[str, str]]

    @property
    def allowed(self) -> set[Flow]:
        return set(self.flows)


def candidate_ports(objects: list[dict], pods: list[Endpoint], policies: list[dict]) -> set[tuple[int, str]]:
    """Every port something could be reached on: Service ports and target ports, container ports, DNS, and
    every number a NetworkPolicy names (so a rule on an unusual port is probed too)."""
    ports = {(53, "UDP"), (53, "TCP")}
    for o in objects:
        if o["kind"] == "Service":
            for p in o["spec"].get("ports", []):
                ports.add((p["port"], p.get("protocol", "TCP")))
                if isinstance(p.get("targetPort"), int):
                    ports.add((p["targetPort"], p.get("protocol", "TCP")))
    for e in pods:
        ports |= set((e.named_ports or {}).values())
    for p in policies:
        for rule in [*(p["spec"].get("ingress") or []), *(p["spec"].get("egress") or [])]:
            for entry in rule.get("ports") or []:
                proto = entry.get("protocol", "TCP")
                if isinstance(entry.get("port"), int):
                    ports |= {(entry["port"], proto), (entry.get("endPort", entry["port"]), proto)}
                elif entry.get("port") is None:
                    ports.add((1, proto))
    return ports


def evaluate(objects: list[dict], ingress_namespace: str, probes: Iterable[Endpoint] = (),
             monitoring: Any = None, telemetry: Any = None, keda: Any = None, mesh: Any = None,
             serving: Any = None, cnpg: Iterable[str] = (),
             eventing: Iterable[str] = ()) -> Evaluation:
    """Every flow the NetworkPolicies allow under Kubernetes semantics: a pod is isolated in a direction once
    any policy selecting it lists that direction, and then some selecting policy must have a rule admitting
    the peer on that port; a flow needs both the source's egress and the destination's ingress. Pods outside
    the app (DNS, the ingress controller) and the outside world are unrestricted on their own side; flows
    between two of them are not the app's business. Traffic between two pods of the same owner counts too.
    ``probes`` are further addresses outside the cluster to try (see outside_probes); ``cnpg`` the namespaces of
    CloudNativePG operators (see cnpg_namespaces)."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = [*endpoints(objects, ingress_namespace, monitoring, telemetry, keda, mesh, serving, cnpg,
                       eventing), *probes]
    ns_labels = namespace_labels(objects, pods)
    ports = sorted(candidate_ports(objects, pods, policies))
    out = {e.id: isolating_rules(e, "Egress", policies) for e in pods}
    into = {e.id: isolating_rules(e, "Ingress", policies) for e in pods}
    flows: dict[Flow, tuple[list[Grant] | None, list[Grant] | None]] = {}
    for src, dst in itertools.product(pods, repeat=2):  # src == dst: one replica to another of the same owner
        if not (src.ours or dst.ours):
            continue
        egress = admitting(out[src.id], dst, ns_labels)
        ingress = admitting(into[dst.id], src, ns_labels) if egress != [] else []
        if ingress == []:
            continue
        for port, proto in ports:
            by_egress, by_ingress = on_port(egress, port, proto, dst), on_port(ingress, port, proto, dst)
            if by_egress != [] and by_ingress != []:
                flows[(src.id, dst.id, port, proto)] = (by_egress, by_ingress)
    return Evaluation(flows, {e.id: e for e in pods}, ns_labels)


def external_egress(objects: list[dict]) -> set[tuple[str, str, Any]]:
    """Where ipBlock peers appear: {(direction, pod, ports)} for every app pod a policy with such a rule selects."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = [e for e in endpoints(objects, "ingress-nginx") if e.ours]
    found = set()
    for p in policies:
        ns = p["metadata"].get("namespace", "default")
        for key, peers in (("egress", "to"), ("ingress", "from")):
            for rule in p["spec"].get(key) or []:
                if any("ipBlock" in peer for peer in rule.get(peers) or []):
                    ports = tuple((e.get("port"), e.get("protocol", "TCP")) for e in rule.get("ports") or []) or "all"
                    found |= {(key, e.id, ports) for e in pods
                              if e.namespace == ns and selects(p["spec"].get("podSelector"), e.labels)}
    return found


# ---------------------------------------------------------------------------------------------- Knative
ANY_POD = "any-pod-of-the-cluster"
"""Whoever runs a pod in a namespace without the app's NetworkPolicies (Knative's own, and any other)."""
VISIBILITY = "networking.knative.dev/visibility"


def knative_services(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o.get("apiVersion") == "serving.knative.dev/v1" and o["kind"] == "Service"]


def knative_callers(evaluation: Evaluation, objects: list[dict], serving: Any) -> dict[str, set[str]]:
    """From the output alone: who reaches each Knative service through Knative's data path. Knative's gateway
    routes by Host header to every cluster-local Knative service (every service, from outside the cluster too,
    without the cluster-local label), and its activator by revision header; their namespaces are not the app's, so
    any pod reaches them, and so does each of the app's pods whose NetworkPolicy reaches the gateway's port."""
    gateway = knative(serving.gateway_namespace, "gateway")
    through = {f[0] for f in evaluation.allowed if f[1] == gateway and f[2] == serving.gateway_port}
    callers = {}
    for o in knative_services(objects):
        local = (o["metadata"].get("labels") or {}).get(VISIBILITY) == "cluster-local"
        callers[f"{o['metadata']['namespace']}/{o['metadata']['name']}"] = {*through, ANY_POD,
                                                                             *(() if local else (OUTSIDE,))}
    return callers


def declared_callers(env: Any, server: Any) -> set[str]:
    """From the constructs: the workloads that declared they connect to ``server``."""
    return {endpoint_of(w) for w in env.workloads if any(t is server for t, _ in declared_ports(w))}


# ---------------------------------------------------------------------------------------------- compose
def compose_networks(doc: dict) -> dict[str, set[str]]:
    """{network: member services}. A service without networks or network_mode joins 'default';
    network_mode 'service:<x>' shares x's networks (and x itself); 'none' joins nothing."""
    members: dict[str, set[str]] = {}
    services = doc.get("services") or {}
    for name, service in services.items():
        mode = service.get("network_mode")
        if mode is None:
            for network in service.get("networks") or ["default"]:
                members.setdefault(network, set()).add(name)
        elif mode in ("host", "bridge"):
            members.setdefault(f"<{mode}>", set()).add(name)
    for name, service in services.items():
        mode = service.get("network_mode") or ""
        if mode.startswith(("service:", "container:")):
            other = mode.split(":", 1)[1]
            members.setdefault(f"<namespace of {other}>", set()).update({name, other})
            for group in list(members.values()):
                if other in group:
                    group.add(name)
    return members


def compose_pairs(doc: dict) -> set[frozenset[str]]:
    return {frozenset(pair) for group in compose_networks(doc).values()
            for pair in itertools.combinations(sorted(group), 2)}


def compose_exposed(doc: dict) -> set[str]:
    """Services on a network that is not internal (so reachable from or able to reach the host's world)."""
    declared = doc.get("networks") or {}
    return {s for network, group in compose_networks(doc).items()
            if not (declared.get(network) or {}).get("internal", False) for s in group}


# ---------------------------------------------------------------------------------------------- declared
def s3_port(target: S3Target) -> int:
    return (urlsplit(target.endpoint).port or 443) if target.endpoint else 443


def endpoint_of(w: Any) -> str:
    return f"{w.namespace}/{w.name}"


def declared_flows(env: Any) -> set[Flow]:
    """From the constructs only: every workload resolves names through DNS (under Cilium through its
    CiliumNetworkPolicy alone, by name, checked on its own) and reaches what it connects_to on the server's port;
    the ingress controller reaches public services; S3 backups reach the outside world."""
    every: set[Flow] = set()
    for w in env.workloads:
        me = endpoint_of(w)
        cilium = getattr(env, "cilium", False)
        flows: set[Flow] = set() if cilium else {(me, DNS, 53, "UDP"), (me, DNS, 53, "TCP")}
        for target, port in declared_ports(w):
            if target in externals(env):
                continue
            if isinstance(target, Broker):  # events go to the broker ingress pods, on their port
                flows.add((me, broker_pods(target.plane.namespace, "ingress"), 8080, "TCP"))
                continue
            if getattr(target, "serverless", None) is not None:  # a Knative service: through its gateway
                flows.add((me, knative(env.knative.gateway_namespace, "gateway"), env.knative.gateway_port, "TCP"))
            else:
                flows.add((me, endpoint_of(target), port, "TCP"))
        if w.serverless is not None:  # requests via queue-proxy, concurrency to the autoscaler
            serving = env.knative
            h2c = w.ports()[0].app_protocol in ("grpc", "kubernetes.io/h2c")
            flows |= {(knative(serving.gateway_namespace, "gateway"), me, 8013 if h2c else 8012, "TCP"),
                      (knative(serving.namespace, "activator"), me, 8013 if h2c else 8012, "TCP"),
                      (knative(serving.namespace, "autoscaler"), me, 9090, "TCP")}
        flows |= external_flows(env, w)
        if getattr(w, "events", None) and w.serverless is None:  # the broker filter delivers to the main port
            flows |= {(broker_pods(on.broker().plane.namespace, "filter"), me, w.port, "TCP") for on in w.events}
        if getattr(w, "public", False) and w.serverless is None:  # Knative publishes its own
            flows.add((ingress_controller(env.ingress_namespace), me, w.port, "TCP"))
        telemetry = getattr(env, "telemetry", None)
        if telemetry is not None and w.reports_telemetry:  # OTLP to the collector
            flows.add((me, collector(telemetry.namespace), telemetry.port, "TCP"))
        metrics, monitoring = getattr(w, "metrics", None), getattr(env, "monitoring", None)
        if metrics is not None and monitoring is not None:  # Prometheus scrapes the named port
            by_name = {p.name: p.number for p in w.ports()}
            port = metrics.port if isinstance(metrics.port, int) else by_name[metrics.port]
            flows.add((prometheus(monitoring.namespace), me, port, "TCP"))
        flows |= exposed_flows(env, w) | cluster_flows(env, w)
        queue = w.queue
        if queue is not None and env.keda is not None and not hasattr(queue.on, "host"):  # KEDA reads its length
            flows.add((keda_operator(env.keda.namespace), endpoint_of(queue.on), queue.on.port, "TCP"))
        if env.mesh_of(w.namespace) is not None:  # the sidecar's configuration, certificates and policies
            ports = MESHES[env.mesh.kind].control_plane_ports
            flows |= {(me, control_plane(env.mesh.namespace), port, "TCP") for port in ports}
            long_running = w.component in ("web-service", "worker", "database") and w.serverless is None
            if monitoring is not None and long_running:  # Prometheus scrapes the sidecar's own metrics
                flows.add((prometheus(monitoring.namespace), me, MESHES[env.mesh.kind].proxy_metrics.number, "TCP"))
        # An S3 upload goes to the bucket's ranges, or to any public address (no probe of a private range).
        for t in s3_targets(w):
            reached = [f"outside:{c}" for c in t.cidrs] or [OUTSIDE, *(p.id for p in outside_probes(env)
                                                                       if not p.address.is_private)]
            flows |= {(me, o, s3_port(t), "TCP") for o in reached}
        every |= flows
        if w.routed is not None:  # its canary Deployment: the same pod, reached by the router
            canary = f"{me}-canary"
            every |= {(canary if a == me else a, canary if b == me else b, port, proto) for a, b, port, proto in flows}
    return every


def outside_probes(env: Any) -> list[Endpoint]:
    """From the constructs: one address outside the cluster in each range an External server or an S3 bucket is
    declared at (their ``cidrs``, or the server's IP address), beside the public OUTSIDE address every evaluation
    tries."""
    ranges = {c for e in externals(env) for c in external_ranges(e)}
    ranges |= {c for w in env.workloads for t in s3_targets(w) for c in t.cidrs}
    return [Endpoint(f"outside:{cidr}", None, {}, next(iter(ipaddress.ip_network(cidr).hosts()),
                                                      ipaddress.ip_network(cidr).network_address), None, ours=False)
            for cidr in sorted(ranges)]


def externals(env: Any) -> list[Any]:
    """The External servers of the Environment (constructs with a host and no pods)."""
    return [m for m in env.members if hasattr(m, "host") and hasattr(m, "cidrs")]


def external_ranges(external: Any) -> list[str]:
    """The ranges an External is declared at: its cidrs, or its IP address; none when it is known by name."""
    if external.cidrs:
        return list(external.cidrs)
    try:
        return [str(ipaddress.ip_network(external.host))]
    except ValueError:
        return []


def external_flows(env: Any, w: Any) -> set[Flow]:
    """Flows to servers outside the cluster: to the declared ranges, or, for a server known by name, to the public
    address, except under Cilium, where a CiliumNetworkPolicy names it (checked on its own)."""
    flows = set()
    for target, port in declared_ports(w):
        if target in externals(env):
            ranges = external_ranges(target)
            if ranges:
                flows |= {(endpoint_of(w), f"outside:{c}", port, "TCP") for c in ranges}
            elif not getattr(env, "cilium", False):
                flows.add((endpoint_of(w), OUTSIDE, port, "TCP"))
    return flows


def exposed_flows(env: Any, w: Any) -> set[Flow]:
    """A node port or load balancer Service: clients outside the cluster (in its source ranges) on every port."""
    access = w.service_access()
    if access.type == "ClusterIP":
        return set()
    outside = [Endpoint(OUTSIDE, None, {}, ipaddress.IPv4Address("8.8.8.8")), *outside_probes(env)]
    return {(o.id, endpoint_of(w), p.number, "TCP") for o in outside for p in w.ports()
            if not access.source_ranges or any(o.address in ipaddress.ip_network(r) for r in access.source_ranges)}


def s3_targets(w: Any) -> list[S3Target]:
    """The S3 bucket a backup job uploads to (db.backup.target), or a highly available Postgres' barman writes to
    (db.barman_target), if any."""
    target = getattr(w, "target", None) or getattr(w, "barman_target", None)
    return [target] if isinstance(target, S3Target) else []


def cluster_flows(env: Any, w: Any) -> set[Flow]:
    """A highly available Postgres' own: its instances to each other (replication, the instance manager), the
    operator to the instance manager, Prometheus to the exporter where the Environment is monitored."""
    if getattr(w, "ha", None) is None:
        return set()
    me = endpoint_of(w)
    flows = {(me, me, 5432, "TCP"), (me, me, 8000, "TCP"), (cnpg_operator(w.ha.operator_namespace), me, 8000, "TCP")}
    if env.monitoring is not None:
        flows.add((prometheus(env.monitoring.namespace), me, 9187, "TCP"))
    return flows


def declared_external_egress(env: Any) -> set[tuple[str, str, Any]]:
    """Rules with addresses: egress of S3 uploads and to External servers a workload reaches by address, and
    ingress of node port and load balancer Services."""
    found = {("egress", endpoint_of(w), ((s3_port(t), "TCP"),)) for w in env.workloads for t in s3_targets(w)}
    found |= {("ingress", endpoint_of(w), tuple((p.number, "TCP") for p in w.ports())) for w in env.workloads
              if w.service_access().type != "ClusterIP"}
    # A highly available Postgres' instance managers watch their Cluster at the API server's addresses.
    found |= {("egress", endpoint_of(w), ((w.ha.api_server.port, "TCP"),)) for w in env.workloads
              if getattr(w, "ha", None) is not None}
    for w in env.workloads:
        for target, port in declared_ports(w):
            if target in externals(env) and (external_ranges(target) or not getattr(env, "cilium", False)):
                found.add(("egress", endpoint_of(w), ((port, "TCP"),)))
    return found


def declared_ports(w: Any) -> set[tuple[Any, int]]:
    """(server, port) for each connects_to entry: a server by itself means its main (first) port, ``server.on(...)``
    the ports it names."""
    result = set()
    reached = w.targets()  # a migration sharing its service's list reaches the databases among them only
    for entry in w.connects_to:
        target = getattr(entry, "target", entry)
        if target not in reached:
            continue
        numbers = {p.name: p.number for p in target.ports()}
        names = entry.ports if hasattr(entry, "target") else [target.ports()[0].name]
        result |= {(target, numbers[name]) for name in names}
    return result


def compose_names(workloads: Iterable[Any]) -> dict[int, str]:
    """{id(workload): its compose service name}: compose has one namespace, so a name that workloads of several
    namespaces share is '<namespace>-<name>' for each of them."""
    workloads = list(workloads)
    namespaces: dict[str, set[str]] = {}
    for w in workloads:
        namespaces.setdefault(w.name, set()).add(w.namespace)
    return {id(w): f"{w.namespace}-{w.name}" if len(namespaces[w.name]) > 1 else w.name for w in workloads}


def declared_pairs(workloads: Iterable[Any]) -> set[frozenset[str]]:
    """Pairs of services that connect (a server outside the cluster, or a Broker, is no compose service)."""
    workloads = list(workloads)
    local = compose_names(workloads)
    return {frozenset((local[id(w)], local[id(t)])) for w in workloads for t in w.targets()
            if not hasattr(t, "cidrs") and not isinstance(t, Broker)}


# ---------------------------------------------------------------------------------------------- the mesh's graph
ANYONE = "any-peer-outside-the-mesh"


def mesh_flows(objects: list[dict], trust_domain: str = "cluster.local") -> set[Flow]:
    """Who the mesh's authorization lets in: Istio's or Linkerd's, whichever the objects hold."""
    if any(o["kind"] == "Server" for o in objects):
        return linkerd_flows(objects, trust_domain)
    return istio_flows(objects, trust_domain)


def owner_of(objects: list[dict], namespace: str, selector: dict) -> str:
    """The one pod owner in ``namespace`` whose pods ``selector`` picks."""
    found = [o for o in objects if o["kind"] in POD_OWNERS and o["metadata"].get("namespace") == namespace
             and selects(selector, (pod_template(o) or {}).get("metadata", {}).get("labels", {}))]
    assert len(found) == 1, (namespace, selector, [o["metadata"]["name"] for o in found])
    return f"{namespace}/{found[0]['metadata']['name']}"


def linkerd_flows(objects: list[dict], trust_domain: str) -> set[Flow]:
    """Under Linkerd's semantics with the default inbound policy 'deny': a Server (pods and a port) admits a
    client when an AuthorizationPolicy targeting it requires a MeshTLSAuthentication listing the client's
    identity ``<sa>.<ns>.serviceaccount.identity.linkerd.<td>``, or a NetworkAuthentication (ANYONE)."""
    servers = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o["kind"] == "Server"}
    identities = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]["identities"]
                  for o in objects if o["kind"] == "MeshTLSAuthentication"}
    flows: set[Flow] = set()
    for policy in (o for o in objects if o["kind"] == "AuthorizationPolicy"):
        namespace = policy["metadata"]["namespace"]
        target = policy["spec"]["targetRef"]
        assert target["kind"] == "Server", policy
        server = servers[(namespace, target["name"])]["spec"]
        me, port = owner_of(objects, namespace, server["podSelector"]), server["port"]
        for ref in policy["spec"]["requiredAuthenticationRefs"]:
            if ref["kind"] == "NetworkAuthentication":
                flows.add((ANYONE, me, port, "TCP"))
                continue
            for identity in identities[(namespace, ref["name"])]:
                account, ns, rest = identity.split(".", 2)
                assert rest == f"serviceaccount.identity.linkerd.{trust_domain}", identity
                flows.add((f"{ns}/{account}", me, port, "TCP"))
    return flows


def istio_flows(objects: list[dict], trust_domain: str) -> set[Flow]:
    """Who Istio's AuthorizationPolicies let in, under Istio's semantics for ALLOW policies: a workload selected by
    one admits exactly what some rule matches (a source principal ``<td>/ns/<ns>/sa/<name>``, the pod owner of
    that ServiceAccount, on the rule's ports); a rule without ``from`` admits ANYONE on its ports. A namespace with
    an allow-nothing policy (no selector, no rules) and no other policy for a workload admits nothing there."""
    flows: set[Flow] = set()
    for policy in (o for o in objects if o["kind"] == "AuthorizationPolicy"):
        body = policy.get("spec") or {}
        assert body.get("action", "ALLOW") == "ALLOW", policy
        if "selector" not in body:
            assert not body.get("rules"), "a namespace-wide policy may only allow nothing"
            continue
        me = owner_of(objects, policy["metadata"]["namespace"], body["selector"])
        for rule in body.get("rules", []):
            ports = [int(p) for to in rule["to"] for p in to["operation"]["ports"]]
            sources = [p for f in rule.get("from", []) for p in f["source"]["principals"]] or [None]
            for principal, port in itertools.product(sources, ports):
                if principal is None:
                    flows.add((ANYONE, me, port, "TCP"))
                    continue
                domain, _, ns, _, account = principal.split("/")
                assert domain == trust_domain, principal
                flows.add((f"{ns}/{account}", me, port, "TCP"))
    return flows
