"""The picture cannot disagree with the policies: for every Environment of the reference apps (their committed
output) and of the platform app, the connections `shipform graph` draws are exactly those the rendered
NetworkPolicies allow, evaluated under Kubernetes semantics (unit/network_graph.py), never computed by the graph's
own code: between two of the app's workloads on each port; from a workload to what is outside the cluster on each
port; from the ingress controller or the outside world into a workload on each port. The graph is read back from
the command's dot output (unit/graph_reading.py)."""

from __future__ import annotations

import runpy

import pytest
import yaml

from conftest import DIST, REPO
from shipform.render.graph import environment_graph
from shipform.render.graph_text import dot
from unit import graph_reading as gr
from unit import network_graph as ng
from unit.test_network_graph import CASES, Subject, difference, drop_ingress_from, mutated

Connection = tuple[str, str, int]


@pytest.fixture(scope="module")
def subjects(request):
    made: dict[str, Subject] = {}

    def get(name: str) -> Subject:
        if name not in made:
            if name != "platform":
                made[name] = Subject(runpy.run_path(str(REPO / "apps" / name / "app.py"))["app"],
                                     ng.read_tree(DIST / name))
            else:
                made[name] = Subject(*request.getfixturevalue("platform_app"))
        return made[name]

    return get


def drawn(subject: Subject, env: str) -> gr.Picture:
    env_spec = next(e for e in subject.app.to_spec().environments if e.name == env)
    return gr.read_dot(dot([environment_graph(env_spec)]))


def place(picture: gr.Picture, node: str) -> str | None:
    """'<namespace>/<name>' of a workload's node (its key is '<app>/<env>/<namespace>/<name>'), else None."""
    parts = node.split("/")
    return "/".join(parts[2:]) if len(parts) == 4 and ":" not in node else None


def port_numbers(label: str) -> list[int]:
    return [int(part.split("/")[0]) for part in label.split(" via ")[0].split(", ")]


def boxed_outside(picture: gr.Picture, node: str) -> bool:
    return picture.boxes[picture.nodes[node][0][-1]] == "outside the cluster"


def is_eventing(node: str) -> bool:
    """A Broker's or an event source's node ('<app>/<env>/<namespace>/broker:<name>', '.../source:<name>')."""
    return "/broker:" in node or "/source:" in node


def graph_connections(picture: gr.Picture) -> tuple[set[Connection], set[tuple[str, int]], set[tuple[str, int]],
                                                    set[tuple[str, str, int]]]:
    """(between workloads, workload to outside, into a workload from an entry point, through a gateway); the edges
    of Brokers and sources are compared by test_event_edges_are_the_flows_the_policies_allow."""
    between, out, into, through = set(), set(), set(), set()
    for source, target, label in picture.edges:
        if is_eventing(source) or is_eventing(target):
            continue
        src, dst = place(picture, source), place(picture, target)
        for port in port_numbers(label):
            if src and dst and " via " in label:
                through.add((src, dst, port))
            elif src and dst:
                between.add((src, dst, port))
            elif src and boxed_outside(picture, target):
                out.add((src, port))
            elif dst:
                into.add((dst, port))
            else:
                raise AssertionError(f"an edge of no kind: {source} -> {target}")
    return between, out, into, through


def workload_of(pod_owner: str, workloads: set[str]) -> str:
    """The workload a pod owner belongs to: itself, or the workload whose routed canary it is."""
    base = pod_owner.removesuffix("-canary")
    return pod_owner if pod_owner in workloads or base not in workloads else base


def policy_connections(evaluation: ng.Evaluation, workloads: set[str], ingress: str) -> tuple[
        set[Connection], set[tuple[str, int]], set[tuple[str, int]]]:
    """The same three sets from the flows the NetworkPolicies allow."""
    between, out, into = set(), set(), set()
    for src, dst, port, _ in evaluation.allowed:
        ours = [evaluation.endpoints[e].ours for e in (src, dst)]
        if all(ours) and src != dst:
            between.add((workload_of(src, workloads), workload_of(dst, workloads), port))
        elif ours[0] and (dst == ng.OUTSIDE or dst.startswith("outside:")):
            out.add((workload_of(src, workloads), port))
        elif ours[1] and src in (ng.OUTSIDE, ng.ingress_controller(ingress)):
            into.add((workload_of(dst, workloads), port))
    return between, out, into


def fqdn_connections(files: dict[str, str], env: str) -> set[tuple[str, int]]:
    """Under Cilium, servers outside known by name are reached through the CiliumNetworkPolicies' toFQDNs rules
    (the NetworkPolicies allow them no public address): (workload, port) of each."""
    found = set()
    for path, text in files.items():
        if path.startswith(f"k8s/{env}/ciliumnetworkpolicy-"):
            policy = yaml.safe_load(text)
            client = policy["metadata"]["namespace"] + "/" + \
                policy["spec"]["endpointSelector"]["matchLabels"]["app.kubernetes.io/name"]
            found |= {(client, int(port["port"])) for rule in policy["spec"]["egress"] if "toFQDNs" in rule
                      for port in rule["toPorts"][0]["ports"]}
    return found


@pytest.mark.parametrize(("name", "env"), CASES)
def test_the_graph_draws_exactly_the_connections_the_network_policies_allow(subjects, name, env):
    subject = subjects(name)
    picture = drawn(subject, env)
    workloads = {p for node in picture.nodes if (p := place(picture, node))}
    between, out, into, through = graph_connections(picture)
    allowed = policy_connections(subject.evaluation(env), workloads, subject.env(env).ingress_namespace)
    assert between, "the app's graph is not trivial"
    if (name, env) == ("shop", "prod"):
        assert out and into  # the public web, the payment provider and the bucket
    assert between == allowed[0], difference(between, allowed[0])
    by_name = {(workload_of(w, workloads), port) for w, port in fqdn_connections(subject.files, env)}
    assert bool(by_name) == subject.env(env).cilium
    assert out == allowed[1] | by_name, difference(out, allowed[1] | by_name)
    assert into == allowed[2], difference(into, allowed[2])
    # A client of a Knative service reaches it through the gateway, which the policies let it reach.
    serving = subject.env(env).knative
    for src, _, _ in through:
        assert any(f[:2] == (src, ng.knative(serving.gateway_namespace, "gateway"))
                   for f in subject.evaluation(env).allowed), src


@pytest.mark.parametrize(("name", "env"), CASES)
def test_event_edges_are_the_flows_the_policies_allow(subjects, name, env):
    """Knative Eventing drawn as source -> broker -> subscriber: each workload's edge to a Broker is a flow the policies
    allow to the broker ingress pods (8080), and every such flow is drawn; each Broker's edge to a service is a Trigger
    the broker filter pods can deliver (to its main port, or through Knative's gateway to a Knative service); a
    source's edges start at a source and end at its Broker or at a server outside the cluster."""
    subject = subjects(name)
    picture, evaluation = drawn(subject, env), subject.evaluation(env)
    planes = ng.eventing_namespaces(subject.env(env))
    ingress = {ng.broker_pods(ns, "ingress") for ns in planes}
    filters = {ng.broker_pods(ns, "filter") for ns in planes}
    gateway = ng.knative(subject.env(env).knative.gateway_namespace, "gateway") if subject.env(env).knative else None
    sends, delivered = set(), set()
    for source, target, label in picture.edges:
        src, dst = place(picture, source), place(picture, target)
        if src and "/broker:" in target:
            sends.add(src)
        elif dst and "/broker:" in source:
            delivered.add(dst)
        elif "/source:" in source:
            assert "/broker:" in target or boxed_outside(picture, target), (source, target)
        else:
            assert not (is_eventing(source) or is_eventing(target)), (source, target, label)
    allowed = evaluation.allowed
    assert sends == {f[0] for f in allowed if f[1] in ingress}, "an emitter drawn without its flow, or the reverse"
    assert all((f[1], f[2]) == (f[1], 8080) for f in allowed if f[1] in ingress)
    knative_services = {f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in ng.knative_services(
        subject.objects[env])}
    for dst in delivered:
        reached = {f[0] for f in allowed if f[1] == dst}
        assert reached & (filters | ({gateway} if dst in knative_services else set())), dst
    assert {f[1] for f in allowed if f[0] in filters} <= delivered, "the filter pods reach a service no Trigger names"
    if name == "orders":
        assert sends and delivered  # the check is not vacuous


def test_the_platform_app_draws_every_kind_of_node(subjects):
    """The platform app has each kind the picture knows, so the equality above covers them all."""
    picture = drawn(subjects("platform"), "prod")
    assert {shape for _, _, shape in picture.nodes.values()} == {
        "box", "component", "parallelogram", "cylinder", "box,rounded", "hexagon", "cds", "oval", "diamond",
        "trapezium"}
    assert any(" via " in label for _, _, label in picture.edges)


def test_the_comparison_sees_a_policy_that_disagrees(subjects):
    """One ingress rule dropped from the rendered policies: the picture now draws a connection they do not allow."""
    subject = subjects("platform")
    env = subject.env("prod")
    picture = drawn(subject, "prod")
    workloads = {p for node in picture.nodes if (p := place(picture, node))}
    objects = mutated(subject.objects["prod"], "back/api0", drop_ingress_from("web0"))
    evaluation = ng.evaluate(objects, env.ingress_namespace, ng.outside_probes(env), env.monitoring, env.telemetry,
                             env.keda, env.mesh, env.knative, ng.cnpg_namespaces(env),
                             ng.eventing_namespaces(env))
    between = graph_connections(picture)[0]
    assert between - policy_connections(evaluation, workloads, env.ingress_namespace)[0] == {
        ("front/web0", "back/api0", 8000)}
