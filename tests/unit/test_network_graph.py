"""From the synthesized files alone, who can talk to whom must be exactly the declared connects_to graph
(plus cluster DNS, the ingress controller for public services and, for S3 backups, the outside world on the
bucket's port): nothing more, nothing less. Checked on the committed dist/shop and on the platform app
(tests/apps/platform_app.py) rendered in memory; the declared graph is read from the constructs, never
from the output. The evaluator lives in unit/network_graph.py."""

from __future__ import annotations

import copy
import runpy
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import DIST, REPO
from shipform.render.host_access import HOST_NETWORK
from unit import network_graph as ng

CASES = [("shop", "dev"), ("shop", "prod"), ("platform", "dev"), ("platform", "prod"), ("platform", "stage"),
         ("orders", "dev"), ("orders", "prod")]
APPS = ["shop", "platform", "orders"]


@dataclass
class Subject:
    app: Any
    files: dict[str, str]
    objects: dict[str, list[dict]] = field(init=False)
    evaluations: dict[str, ng.Evaluation] = field(default_factory=dict)

    def __post_init__(self):
        self.objects = ng.k8s_objects(self.files)

    def env(self, name: str):
        return next(e for e in self.app.environments if e.name == name)

    def evaluation(self, env: str) -> ng.Evaluation:
        if env not in self.evaluations:
            self.evaluations[env] = ng.evaluate(self.objects[env], self.env(env).ingress_namespace,
                                                ng.outside_probes(self.env(env)), self.env(env).monitoring,
                                                self.env(env).telemetry, self.env(env).keda, self.env(env).mesh,
                                                self.env(env).knative,
                                                ng.cnpg_namespaces(self.env(env)),
                                                ng.eventing_namespaces(self.env(env)))
        return self.evaluations[env]


@pytest.fixture(scope="module")
def subjects(request):
    """Each app is built once per module, on first use (the platform app once per session)."""
    made: dict[str, Subject] = {}

    def get(name: str) -> Subject:
        if name not in made:
            if name != "platform":  # a reference app: its committed output
                made[name] = Subject(runpy.run_path(str(REPO / "apps" / name / "app.py"))["app"],
                                     ng.read_tree(DIST / name))
            else:
                made[name] = Subject(*request.getfixturevalue("platform_app"))
        return made[name]

    return get


def difference(allowed: set, declared: set) -> str:
    extra = "\n".join(f"  extra   {f}" for f in sorted(allowed - declared))
    missing = "\n".join(f"  missing {f}" for f in sorted(declared - allowed))
    return f"allowed flows differ from the declared graph:\n{extra}\n{missing}".rstrip()


@pytest.mark.parametrize("name", APPS)
def test_every_environment_is_covered(subjects, name):
    subject = subjects(name)
    names = sorted(e.name for e in subject.app.environments)
    assert sorted(subject.objects) == names
    assert sorted(env for app, env in CASES if app == name) == names


@pytest.mark.parametrize(("name", "env"), CASES)
def test_network_policies_allow_exactly_the_declared_graph(subjects, name, env):
    subject = subjects(name)
    declared = ng.declared_flows(subject.env(env))
    assert any(f[1] not in (ng.DNS, ng.OUTSIDE) for f in declared)  # the graph is not trivial
    allowed = subject.evaluation(env).allowed
    assert allowed == declared, difference(allowed, declared)


def test_prometheus_scrapes_the_metrics_port_alone_where_the_environment_is_monitored(subjects):
    """shop's prod runs prometheus-operator: Prometheus reaches the catalog's metrics port and, the namespace being in
    the Istio mesh, each long-running pod's sidecar on Envoy's metrics port (15090), and nothing else; dev has none,
    so nothing admits it there."""
    shop = subjects("shop")
    scraped = {f for f in shop.evaluation("prod").allowed if f[0] == ng.prometheus("monitoring")}
    sidecars = {(ng.prometheus("monitoring"), f"shop/{name}", 15090, "TCP")
                for name in ("api", "cache", "catalog", "db", "indexer", "mailer", "web")}
    assert scraped == {(ng.prometheus("monitoring"), "shop/catalog", 9090, "TCP"), *sidecars}
    assert shop.env("dev").monitoring is None


@pytest.mark.parametrize(("name", "env"), CASES)
def test_cross_namespace_flows_pass_only_through_namespace_selectors(subjects, name, env):
    """Each restricted side of a flow between namespaces admits it only through a peer whose
    namespaceSelector picks out exactly the other side's namespace; between two of the app's own pods the
    peer must also name the pod (podSelector), never a whole namespace or an address block."""
    evaluation = subjects(name).evaluation(env)
    known = evaluation.namespaces
    between_pods = 0
    for (src, dst, *_), sides in evaluation.flows.items():
        a, b = evaluation.endpoints[src], evaluation.endpoints[dst]
        if a.namespace == b.namespace or None in (a.namespace, b.namespace):  # the same namespace, or outside
            continue
        between_pods += a.ours and b.ours
        for grants, other in zip(sides, (b, a), strict=True):
            for policy, peer in grants or []:
                assert peer is not None and "namespaceSelector" in peer, (src, dst, policy, peer)
                picked = {ns for ns, labels in known.items() if ng.selects(peer["namespaceSelector"], labels)}
                assert picked == {other.namespace}, (src, dst, policy, peer)
                if a.ours and b.ours:
                    assert "podSelector" in peer, (src, dst, policy, peer)
    if name == "platform":
        assert between_pods  # front -> back is exercised


@pytest.mark.parametrize(("name", "env"), CASES)
def test_only_s3_backups_may_leave_the_cluster_and_only_on_the_bucket_port(subjects, name, env):
    subject = subjects(name)
    declared = ng.declared_external_egress(subject.env(env))
    assert ng.external_egress(subject.objects[env]) == declared
    if (name, env) in (("shop", "prod"), ("platform", "prod")):
        assert declared  # the check is not vacuous


@pytest.mark.parametrize("name", APPS)
def test_compose_networks_connect_exactly_the_declared_pairs(subjects, name):
    subject = subjects(name)
    local = subject.app.local_environment
    doc = ng.compose_document(subject.files)
    declared = ng.declared_pairs(local.workloads)
    assert declared
    reachable = ng.compose_pairs(doc)
    assert reachable == declared, difference(reachable, declared)
    names = ng.compose_names(local.workloads)
    public = {names[id(w)] for w in local.workloads if getattr(w, "public", False)}
    assert public
    outside = {names[id(w)] for w in local.workloads if any(hasattr(t, "cidrs") for t in w.targets())}
    exposed = {names[id(w)] for w in local.workloads if w.service_access().type != "ClusterIP"}
    assert ng.compose_exposed(doc) == public | outside | exposed


# ---------------------------------------------------------------------------------------------- mutations
def mutated(objects: list[dict], policy: str, change) -> list[dict]:
    """A copy of the objects in which the NetworkPolicy ``namespace/name`` is changed by ``change(spec)``."""
    ns, name = policy.split("/")
    out, hits = [], 0
    for o in objects:
        if o["kind"] == "NetworkPolicy" and (o["metadata"]["namespace"], o["metadata"]["name"]) == (ns, name):
            o = copy.deepcopy(o)
            change(o["spec"])
            hits += 1
        out.append(o)
    assert hits == 1, policy
    return out


def drop_ingress_from(client: str):
    def change(spec):
        rules = [r for r in spec["ingress"]
                 if any(p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == client
                        for p in r["from"])]
        assert len(rules) == 1
        spec["ingress"].remove(rules[0])
    return change


def add_egress(rule: dict):
    return lambda spec: spec["egress"].append(rule)


INTERNET_443 = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
INGRESS_NS_ANY_PORT = {"to": [{"namespaceSelector": {"matchLabels": {ng.NS_NAME_LABEL: "ingress-nginx"}}}]}


@pytest.mark.parametrize(("policy", "change", "missing", "extra"), [
    pytest.param("back/api0", drop_ingress_from("web0"), {("front/web0", "back/api0", 8000, "TCP")}, set(),
                 id="one-cross-namespace-ingress-rule-dropped"),
    pytest.param("back/db1", drop_ingress_from("db1-backup"), {("back/db1-backup", "back/db1", 3306, "TCP")}, set(),
                 id="one-same-namespace-ingress-rule-dropped"),
    pytest.param("front/web1", add_egress(INTERNET_443), set(),
                 {("front/web1", o, 443, "TCP") for o in (ng.OUTSIDE, "outside:10.40.0.0/24", "outside:10.50.0.0/24")},
                 id="extra-egress-to-the-internet"),
    pytest.param("back/worker0", add_egress(INGRESS_NS_ANY_PORT), set(), "worker0 -> ingress controller",
                 id="extra-egress-to-a-namespace-on-every-port"),
])
def test_the_equality_catches_a_changed_policy(subjects, policy, change, missing, extra):
    subject = subjects("platform")
    env = subject.env("prod")
    declared = ng.declared_flows(env)
    assert subject.evaluation("prod").allowed == declared  # unchanged output passes
    allowed = ng.evaluate(mutated(subject.objects["prod"], policy, change), env.ingress_namespace,
                          ng.outside_probes(env), env.monitoring, env.telemetry, env.keda, env.mesh,
                          env.knative, ng.cnpg_namespaces(env),
                          ng.eventing_namespaces(env)).allowed
    assert allowed != declared
    assert declared - allowed == missing
    if isinstance(extra, set):
        assert allowed - declared == extra
    else:
        added = allowed - declared
        assert added and all(f[:2] == ("back/worker0", ng.ingress_controller("ingress-nginx")) for f in added)
        assert len(added) > 10  # no ports listed: every probed port


def test_an_extra_ip_block_is_caught_on_its_own(subjects):
    subject = subjects("platform")
    objects = mutated(subject.objects["prod"], "front/web1", add_egress(INTERNET_443))
    assert ng.external_egress(objects) - ng.declared_external_egress(subject.env("prod")) == {
        ("egress", "front/web1", ((443, "TCP"),))}


def test_under_cilium_servers_outside_known_by_name_are_reached_by_that_name_only(subjects):
    """The platform app's stage runs Cilium: its NetworkPolicies allow no public address (checked above), and
    each client's CiliumNetworkPolicy names exactly the External hosts it declared, on their ports, after DNS
    through Cilium's proxy."""
    import yaml

    subject = subjects("platform")
    env = subject.env("stage")
    declared = {(w.name, target.host, port) for w in env.workloads for target, port in ng.declared_ports(w)
                if target in ng.externals(env) and not ng.external_ranges(target)}
    found = set()
    for path, text in subject.files.items():
        if path.startswith("k8s/stage/ciliumnetworkpolicy-"):
            policy = yaml.safe_load(text)
            client = policy["spec"]["endpointSelector"]["matchLabels"]["app.kubernetes.io/name"]
            rules = policy["spec"]["egress"]
            names = rules[0]["toPorts"][0]["rules"]["dns"]
            hosts = {r["matchName"] for rule in rules[1:] for r in rule["toFQDNs"]}
            # DNS for its External hosts and the cluster's own zone, nothing else (no name is forwarded but those)
            assert {n["matchName"] for n in names if "matchName" in n} == hosts | {"cluster.local"}
            assert all(n["matchPattern"].endswith(".cluster.local") for n in names if "matchPattern" in n)
            found |= {(client, name["matchName"], int(port["port"])) for rule in rules[1:]
                      for name in rule["toFQDNs"] for port in rule["toPorts"][0]["ports"]}
    assert declared and found == declared
    # Every pod of the app (a routed canary's copy too) gets its DNS from its own Cilium policy.
    selectors = [yaml.safe_load(t)["spec"]["podSelector"] for p, t in subject.files.items()
                 if p.startswith("k8s/stage/networkpolicy-")
                 and not p.endswith(("-allow-dns.yaml", "-default-deny.yaml"))]
    cilium = [yaml.safe_load(t)["spec"]["endpointSelector"] for p, t in subject.files.items()
              if p.startswith("k8s/stage/ciliumnetworkpolicy-")]
    assert len(selectors) > 10 and sorted(map(str, selectors)) == sorted(map(str, cilium))


def mesh_graphs(subject, env_name: str) -> tuple[set, set, set, set]:
    """(the mesh's flows between the app's meshed pods, the NetworkPolicies' flows between them, ports the mesh
    opens to anyone, ports the NetworkPolicies let peers without a sidecar reach: the cluster's components and
    the world outside it)."""
    env = subject.env(env_name)
    mesh = ng.mesh_flows(subject.objects[env_name], env.mesh.trust_domain)
    evaluation = subject.evaluation(env_name)
    meshed = {f"{w.namespace}/{name}" for w in env.workloads if env.mesh_of(w.namespace)
              for name in (w.name, *([f"{w.name}-canary"] if w.routed else []))}
    if env.keda is not None and env.keda.identity is not None:  # KEDA's operator, enrolled in the mesh
        meshed.add(ng.keda_operator(env.keda.namespace))
    return ({f for f in mesh if f[0] != ng.ANYONE},
            {f for f in evaluation.allowed if f[0] in meshed and f[1] in meshed},
            {(f[1], f[2]) for f in mesh if f[0] == ng.ANYONE},
            {(f[1], f[2]) for f in evaluation.allowed if not evaluation.endpoints[f[0]].ours and f[0] not in meshed
             and f[1] in meshed})


def test_linkerd_admits_the_same_graph_as_the_network_policies(subjects):
    """The platform app's stage runs Linkerd in both its namespaces: its Servers, AuthorizationPolicies and
    MeshTLSAuthentications admit exactly the NetworkPolicies' graph between meshed pods, and open to plain text
    only the ports the Gateway's proxies reach."""
    by_identity, by_policy, opened, from_outside = mesh_graphs(subjects("platform"), "stage")
    assert by_identity == by_policy and len(by_identity) > 20
    assert opened == from_outside
    assert {("back/broker", 1883), ("back/broker", 8083), ("front/web0", 3000)} <= opened  # a load balancer, a route


def test_the_mesh_admits_the_same_graph_as_the_network_policies(subjects):
    """shop's prod namespace is in the Istio mesh. Its AuthorizationPolicies, read like the NetworkPolicies from
    the output alone, admit each declared client by identity on the ports it uses and nothing else, and KEDA's
    operator (its namespace is in the mesh too) by its identity on the queue's port; the ports that peers outside
    the mesh reach (the ingress controller, Prometheus) are open to plain text there, and exactly those peers
    reach them through the NetworkPolicies."""
    shop = subjects("shop")
    env = shop.env("prod")
    by_identity, by_policy, opened, from_outside = mesh_graphs(shop, "prod")
    assert by_identity == by_policy and by_identity
    assert (ng.keda_operator("keda"), "shop/cache", 6379, "TCP") in by_identity
    assert opened == {("shop/web", 3000), ("shop/catalog", 9090)}
    ours = {f"{w.namespace}/{w.name}" for w in env.workloads}
    # Envoy's metrics port (15090) is left out of the sidecar's traffic capture, so no Istio policy covers it: the
    # NetworkPolicies alone narrow it, to Prometheus' pods (test_prometheus_scrapes_...).
    long_running = {f"{w.namespace}/{w.name}" for w in env.workloads if w.component in ("web-service", "worker",
                                                                                         "database")}
    assert from_outside == opened | {(w, 15090) for w in long_running}
    allowed = shop.evaluation("prod").allowed
    # Every meshed pod reaches istiod on 15012 alone; dev is not in the mesh.
    control = {f for f in allowed if f[1] == ng.control_plane(env.mesh.namespace)}
    assert control == {(w, ng.control_plane(env.mesh.namespace), 15012, "TCP") for w in ours}
    assert not [o for o in shop.objects["dev"] if o["kind"] == "AuthorizationPolicy"]


KNATIVE_CASES = [(name, env) for name, env in CASES if name == "platform" and env == "prod"]
SHARED_GATEWAY = "shipform.dev/knative-shared-gateway"


@pytest.mark.parametrize(("name", "env"), KNATIVE_CASES)
def test_knative_services_are_reached_by_their_declared_clients_or_say_who_else_does(subjects, name, env):
    """Read from the output alone, Knative's data path (its gateway, by Host header, and its activator, by revision
    header, serve every Knative service of the cluster) lets more than a cluster-local service's declared clients
    reach it; the output must then say so, with the app's reason, on the Knative Service and on the NetworkPolicy
    that admits the gateway, and the service's pods must admit Knative's components alone (namespace and pods)."""
    subject = subjects(name)
    environment = subject.env(env)
    objects = subject.objects[env]
    callers = ng.knative_callers(subject.evaluation(env), objects, environment.knative)
    assert callers  # the check is not vacuous
    policies = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o["kind"] == "NetworkPolicy"}
    servers = {ng.endpoint_of(w): w for w in environment.workloads if w.serverless is not None}
    assert set(callers) == set(servers)
    for service in ng.knative_services(objects):
        me = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
        declared = ng.declared_callers(environment, servers[me])
        # each declared client reaches it through the gateway; a subscriber's events come that way from the Broker's
        # filter pods (Knative's namespaces, which the app's policies do not govern)
        assert (declared or servers[me].events) and declared <= callers[me]
        beyond = callers[me] - declared
        policy = policies[(service["metadata"]["namespace"], service["metadata"]["name"])]
        stated = [(o.get("metadata", {}).get("annotations") or {}).get(SHARED_GATEWAY) for o in (service, policy)]
        # any pod, and every other client of the gateway; cluster-local: not from outside the cluster
        assert ng.ANY_POD in beyond and ng.OUTSIDE not in callers[me]
        reason = {r.check: r.reason for r in servers[me].stated_risks}["knativeSharedGateway"]
        for statement in stated:
            assert statement is not None
            statement = " ".join(statement.split())  # wrapped in lines of 100 characters
            assert statement.endswith(f"Accepted: {reason}")
            assert f"namespace {environment.knative.gateway_namespace}" in statement
            assert f"namespace {environment.knative.namespace}" in statement
        # The pods admit no client directly: only the gateway, activator and autoscaler, each by namespace and pods.
        sources = {f[0] for f in subject.evaluation(env).allowed if f[1] == me}
        assert sources == {ng.knative(environment.knative.gateway_namespace, "gateway"),
                           ng.knative(environment.knative.namespace, "activator"),
                           ng.knative(environment.knative.namespace, "autoscaler")}
        for rule in policy["spec"]["ingress"]:
            assert all({"namespaceSelector", "podSelector"} <= set(peer) for peer in rule["from"]), rule


AGENTS = "node-agents/"


@pytest.mark.parametrize("env", ["dev", "prod", "stage"])
def test_node_agents_allow_exactly_their_declared_flows(subjects, env):
    """The platform app's NodeAgents, one on the pod network and one on the node's network: their NetworkPolicies
    allow exactly their declared flows (DNS, the SaaS on 443) and nothing reaches them. For the host-network agent
    this holds only where the network plugin applies NetworkPolicy to host-network pods, and its policy says so."""
    subject = subjects("platform")

    def of_agents(flows: set) -> set:
        return {f for f in flows if f[0].startswith(AGENTS) or f[1].startswith(AGENTS)}

    declared, allowed = of_agents(ng.declared_flows(subject.env(env))), of_agents(subject.evaluation(env).allowed)
    assert declared == allowed, difference(allowed, declared)
    assert {f[0] for f in declared} == {f"{AGENTS}log-shipper", f"{AGENTS}node-metrics"}
    assert not [f for f in allowed if f[1].startswith(AGENTS)]
    noted = {o["metadata"]["name"] for o in subject.objects[env] if o["kind"] == "NetworkPolicy"
             and HOST_NETWORK in o["metadata"].get("annotations", {})}
    assert noted == {"node-metrics"}


def test_no_mesh_admits_or_names_a_node_agent(subjects):
    """A namespace with host access cannot join a mesh (refused: bad_inputs 'mesh-for-node-agents'), so the Linkerd
    policies of the platform's stage name no agent and their NetworkPolicies alone decide the agents' flows."""
    subject = subjects("platform")
    env = subject.env("stage")
    assert env.mesh is not None and env.mesh_of("node-agents") is None
    mesh = ng.mesh_flows(subject.objects["stage"], env.mesh.trust_domain)
    assert mesh and not [f for f in mesh if f[0].startswith(AGENTS) or f[1].startswith(AGENTS)]
