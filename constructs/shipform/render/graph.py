"""The system as a picture, per Environment: its namespaces, its workloads by kind, the servers outside the cluster
they reach, its public entry points, and every connection labelled with its ports.

Drawn from the values render.network turns into NetworkPolicies (each workload's ``connects_to``, its exposure and
service access, its direct egress to the internet), so the picture shows a connection exactly where the policies
allow one. What the policies admit besides the app's own system (cluster DNS, the ingress controller's pods,
Prometheus, the mesh's control plane, KEDA, Knative's components) is cluster plumbing and not drawn; Knative
Eventing's Brokers and sources are drawn (source -> broker -> subscriber), as the app declares them.
render.graph_text writes it as mermaid or dot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shipform import spec
from shipform.render.facets.exposure import published_at_all

Shape = Literal["service", "worker", "serverless", "database", "job", "agent", "external", "entry", "broker", "source"]


@dataclass(frozen=True)
class Node:
    key: str
    """Unique in the picture: '<app>/<env>/<namespace>/<name>' for a workload, '<app>/<env>/<what>:...' else."""
    lines: tuple[str, ...]
    shape: Shape


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Group:
    """A box of nodes: a namespace, or what is outside the cluster."""

    key: str
    label: str
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class EnvironmentGraph:
    app: str
    key: str
    label: str
    entries: tuple[Node, ...]
    """Public entry points (hosts, load balancers, node ports), drawn beside the namespaces."""
    groups: tuple[Group, ...]
    edges: tuple[Edge, ...]


def environment_graph(env: spec.Environment) -> EnvironmentGraph:
    """The picture of one Environment, every part sorted (two runs draw the same bytes)."""
    prefix = f"{env.app}/{env.name}"
    nodes: dict[str, list[Node]] = {}
    entries: dict[str, Node] = {}
    outside: dict[str, Node] = {}
    edges: set[Edge] = set()
    for w in env.workloads:
        own = workload_key(prefix, w.namespace, w.name)
        nodes.setdefault(w.namespace, []).append(Node(own, (w.name, kind_of(w)), shape_of(w)))
        for target in w.connects_to:
            if target.external is None:
                via = f" via {target.through.namespace}" if target.through is not None else ""
                at = workload_key if target.local else broker_key  # a Broker: Knative's ingress takes the events
                edges.add(Edge(own, at(prefix, target.namespace, target.name), ports(target.ports) + via))
            else:
                server = external_node(prefix, target, target.external)
                outside[server.key] = server
                edges.add(Edge(own, server.key, ports(target.ports)))
        for reach in egress_of(w):
            server = internet_node(prefix, reach)
            outside[server.key] = server
            edges.add(Edge(own, server.key, f"{reach.port}/tcp"))
        for entry, reached in entries_of(prefix, w):
            entries[entry.key] = entry
            edges.add(Edge(entry.key, own, ports(reached)))
        edges.update(Edge(broker_key(prefix, w.namespace, t.broker), own, t.described()) for t in subscribed(w))
    event_nodes(prefix, env.eventing, nodes, outside, edges)
    meshes = {ns.name: ns.mesh for ns in env.namespaces}
    groups = [Group(f"{prefix}/namespace:{name}", namespace_label(name, meshes.get(name)), by_key(found))
              for name, found in sorted(nodes.items())]
    if outside:
        groups.append(Group(f"{prefix}/outside", "outside the cluster", by_key(outside.values())))
    return EnvironmentGraph(env.app, prefix, f"{env.app} / {env.name}", by_key(entries.values()), tuple(groups),
                            tuple(sorted(edges, key=lambda e: (e.source, e.target, e.label))))


def by_key(nodes: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(sorted(nodes, key=lambda n: n.key))


def workload_key(prefix: str, namespace: str, name: str) -> str:
    return f"{prefix}/{namespace}/{name}"


def namespace_label(name: str, mesh: str | None) -> str:
    return f"namespace {name}" + (f" ({mesh} mesh)" if mesh else "")


def ports(found: Iterable[spec.Port]) -> str:
    """'8000/http, 9090/metrics': each port by number and name (the name says the protocol where it is known)."""
    return ", ".join(f"{p.number}/{p.name}" for p in found)


COMPONENT_WORDS = {"web-service": "web service", "cron-job": "cron job", "node-agent": "node agent"}
"""How a construct's component is said in a picture (by default: itself)."""


def kind_of(w: spec.Workload) -> str:
    """What the workload is, in words: its construct's kind and how it runs (a database with its engine)."""
    words = COMPONENT_WORDS.get(w.component, w.component)
    run = w.run
    if isinstance(run, spec.Scheduled):
        kind = "cron job" if words == "cron job" else f"{words} cron job"
        return kind + (" (suspended)" if run.suspended else "")
    if isinstance(run, spec.Continuous) and w.facet(spec.ServerlessRun) is not None:
        return f"serverless {words}"
    if w.component == "database" and w.ports:
        return f"database {w.ports[0].name}"  # a StatefulDB's port is named after its engine
    return words


def shape_of(w: spec.Workload) -> Shape:
    run = w.run
    if isinstance(run, spec.PerNode):
        return "agent"
    if isinstance(run, spec.ToCompletion | spec.Scheduled):
        return "job"
    if w.facet(spec.ServerlessRun) is not None:
        return "serverless"
    if w.component == "database":
        return "database"
    return "service" if w.ports else "worker"


def external_node(prefix: str, target: spec.Endpoint, address: spec.ExternalAddress) -> Node:
    """A server outside the cluster (an External): its host, and the address ranges it is reached at."""
    lines = (target.name, address.host, *((", ".join(address.cidrs),) if address.cidrs else ()))
    return Node(f"{prefix}/external:{target.namespace}/{target.name}", lines, "external")


def egress_of(w: spec.Workload) -> tuple[spec.EgressToInternet, ...]:
    found = w.facet(spec.InternetEgress)
    return found.to if found is not None else ()


def internet_node(prefix: str, reach: spec.EgressToInternet) -> Node:
    """What a workload reaches on the internet directly (a backup's bucket): at its ranges, or any public address."""
    ranges = ", ".join(reach.cidrs) or "any public address"
    return Node(f"{prefix}/internet:{reach.destination}|{ranges}", (reach.destination or "the internet", ranges),
                "external")


def entries_of(prefix: str, w: spec.Workload) -> list[tuple[Node, tuple[spec.Port, ...]]]:
    """The public ways in to the workload, each with the ports it reaches: its host (an Ingress or an HTTPRoute, to
    the main port), its load balancer or node port (to every port, from the source ranges)."""
    found: list[tuple[Node, tuple[spec.Port, ...]]] = []
    exposure = w.facet(spec.Exposure)
    if exposure is not None and published_at_all(w) is None:
        by = f"gateway {exposure.gateway}" if exposure.gateway else f"ingress class {exposure.ingress_class}"
        found.append((Node(f"{prefix}/entry:https://{exposure.host}", (f"https://{exposure.host}", by), "entry"),
                      w.ports[:1]))
    access = w.facet(spec.ServiceAccess)
    if access is not None and access.type != "ClusterIP":
        kind = "load balancer" if access.type == "LoadBalancer" else "node port"
        ranges = "from " + (", ".join(access.source_ranges) or "anywhere")
        found.append((Node(f"{prefix}/entry:{access.type}:{w.namespace}/{w.name}", (f"{kind} {w.name}", ranges),
                           "entry"), w.ports))
    return found


# ------------------------------------------------------------------ Knative Eventing
def broker_key(prefix: str, namespace: str, name: str) -> str:
    return f"{prefix}/{namespace}/broker:{name}"


def subscribed(w: spec.Workload) -> tuple[spec.Trigger, ...]:
    found = w.facet(spec.EventSubscription)
    return found.triggers if found is not None else ()


def event_nodes(prefix: str, eventing: spec.Eventing, nodes: dict[str, list[Node]], outside: dict[str, Node],
                edges: set[Edge]) -> None:
    """The Brokers and sources in their namespaces; each source's edge to its Broker, a KafkaSource's to its
    bootstrap servers (an External's node, or one of its own)."""
    for broker in eventing.brokers:
        nodes.setdefault(broker.namespace, []).append(
            Node(broker_key(prefix, broker.namespace, broker.name), (broker.name, "broker"), "broker"))
    for source in eventing.sources:
        own = f"{prefix}/{source.namespace}/source:{source.name}"
        what = ("ping source", source.schedule) if isinstance(source, spec.PingSource) else \
            ("kafka source", "topics " + ", ".join(source.topics))
        nodes.setdefault(source.namespace, []).append(Node(own, (source.name, *what), "source"))
        edges.add(Edge(own, broker_key(prefix, source.namespace, source.broker), "events"))
        for server in source.servers if isinstance(source, spec.KafkaSource) else ():
            key = f"{prefix}/external:{server.external}" if server.external else f"{prefix}/kafka:{server.address}"
            host = server.address.rpartition(":")[0]
            lines = (server.external.partition("/")[2], host) if server.external else (host, "kafka bootstrap server")
            outside.setdefault(key, Node(key, lines, "external"))  # an External a workload reaches: drawn already
            edges.add(Edge(own, key, f"{server.address.rpartition(':')[2]}/tcp"))
