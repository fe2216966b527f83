"""The admission policy of a namespace with host access (it enforces Pod Security 'privileged', so its deployer
could otherwise run any privileged pod there): its CEL rules evaluated by a real CEL evaluator (cel-python) on the
agents' own pods, which it admits, and on pods that ask for more of the node, which it refuses with its message.
The objects pass kubernetes-validate --strict at every Kubernetes version the validators gate checks."""

from __future__ import annotations

import copy
from typing import Any

import celpy
import kubernetes_validate
import pytest
import yaml

from shipform import (
    App,
    Environment,
    External,
    Health,
    HostPath,
    NodeAgent,
    Quota,
    SecureNamespace,
    Subject,
    Toleration,
    WebService,
)
from shipform.errors import InvalidApp
from shipform.render.host_access import HOST_NETWORK
from shipform.testing import find_object, objects, synthesize
from shipform.validators.manifests import K8S_VERSIONS  # the versions the gate validates against

CAPS = "/spec/template/spec/containers/0/securityContext/capabilities/add"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    from conftest import write_sources

    root = tmp_path_factory.mktemp("app")
    write_sources(root)
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod")
    deployers = [Subject.service_account("ci", "deployer")]
    agents = SecureNamespace(prod, "agents", host_access="the agents read each node's logs and watch its network",
                             quota=Quota(cpu_limit="16"), deployers=deployers)
    metrics = NodeAgent(agents, "metrics", image="ghcr.io/acme/metrics:1.0.0", health=Health.exec(["/bin/health"]),
                        host_network=True, tolerations=[Toleration.everything()],
                        host_paths={"/host/log": HostPath("/var/log"),
                                    "/host/state": HostPath("/var/lib/metrics", writable=True,
                                                            reason="keeps its read positions across restarts")},
                        accepted_risks={"capabilities": "the agent reads the node's packet counters"})
    metrics.daemon_set.add_json_patch({"op": "add", "path": CAPS, "value": ["NET_ADMIN"]})
    logs = SecureNamespace(prod, "logs", host_access="the log shipper reads each node's /var/log",
                           quota=Quota(cpu_limit="16"))
    NodeAgent(logs, "shipper", image="ghcr.io/acme/shipper:1.0.0", health=Health.exec(["/bin/health"]),
              host_paths={"/host/log": HostPath("/var/log")})
    WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000)  # in a namespace without host access
    return synthesize(app)


def policy(files: dict[str, str], namespace: str) -> dict[str, Any]:
    return find_object(files, "ValidatingAdmissionPolicy", f"{namespace}-host-access")


def declared_pod(files: dict[str, str], namespace: str, name: str) -> dict[str, Any]:
    """The pod the agent's DaemonSet creates, as the API server's admission sees it."""
    template = find_object(files, "DaemonSet", name, namespace)["spec"]["template"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "namespace": namespace},
            "spec": copy.deepcopy(template["spec"])}


def refusals(policy: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    """The messages of the policy's validations that do not admit ``pod`` (an evaluation error refuses too, as
    failurePolicy Fail does)."""
    env = celpy.Environment()
    activation = {"object": celpy.json_to_cel(pod)}
    found = []
    for rule in policy["spec"]["validations"]:
        result = env.program(env.compile(rule["expression"])).evaluate(activation)
        assert isinstance(result, celpy.celtypes.BoolType), f"{rule['expression']} gave {result!r}"
        if not result:
            found.append(rule["message"])
    return found


def test_the_evaluator_reads_the_functions_the_policy_uses():
    """has(), all(), exists() and in, as Kubernetes' CEL reads them, on a small object."""
    env = celpy.Environment()
    data = {"object": celpy.json_to_cel({"spec": {"volumes": [{"name": "a", "hostPath": {"path": "/etc"}}]}})}
    for expression, expected in (("has(object.spec.volumes)", True), ("has(object.spec.hostNetwork)", False),
                                 ("object.spec.volumes.all(v, v.hostPath.path in ['/etc'])", True),
                                 ("object.spec.volumes.exists(v, !has(v.hostPath))", False),
                                 ("['a'].all(x, x in [])", False), ("[].all(x, x in [])", True)):
        assert env.program(env.compile(expression)).evaluate(data) == expected, expression


@pytest.mark.parametrize(("namespace", "agent"), [("agents", "metrics"), ("logs", "shipper")])
def test_the_declared_pods_are_admitted(files, namespace, agent):
    assert refusals(policy(files, namespace), declared_pod(files, namespace, agent)) == []


def volume_mount(pod: dict[str, Any], path: str) -> dict[str, Any]:
    """The agent container's mount of the hostPath volume of node folder ``path``."""
    volume = next(v["name"] for v in pod["spec"]["volumes"] if v.get("hostPath", {}).get("path") == path)
    return next(m for m in pod["spec"]["containers"][0]["volumeMounts"] if m["name"] == volume)


def extra_host_path(pod):
    pod["spec"]["volumes"].append({"name": "etc", "hostPath": {"path": "/etc"}})
    pod["spec"]["containers"][0]["volumeMounts"].append({"name": "etc", "mountPath": "/host/etc", "readOnly": True})


def writable_log(pod):
    volume_mount(pod, "/var/log")["readOnly"] = False


def unset_read_only(pod):
    del volume_mount(pod, "/var/log")["readOnly"]


def writable_log_in_an_init_container(pod):
    mount = {**volume_mount(pod, "/var/log"), "readOnly": False}
    pod["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.37.0", "volumeMounts": [mount]}]


def added_capability(pod):
    pod["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = ["NET_ADMIN", "SYS_ADMIN"]


def capability_of_an_ephemeral_container(pod):
    pod["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox:1.37.0",
                                           "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}]


def host_network(pod):
    pod["spec"]["hostNetwork"] = True


def host_pid(pod):
    pod["spec"]["hostPID"] = True


def host_ipc(pod):
    pod["spec"]["hostIPC"] = True


def privileged(pod):
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True


def privileged_init_container(pod):
    pod["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.37.0",
                                      "securityContext": {"privileged": True}}]


HOST_PATHS = "namespace {ns} admits hostPath volumes of the declared node folders only ({paths})"
READ_ONLY = "namespace {ns} admits only read-only mounts of the node folders declared read-only (/var/log)"
CAPABILITIES = "namespace {ns} admits added capabilities among the declared ones only ({caps})"
PRIVILEGED = "namespace {ns} admits no privileged container"
AGENTS = {"ns": "agents", "paths": "/var/lib/metrics, /var/log", "caps": "NET_ADMIN"}
LOGS = {"ns": "logs", "paths": "/var/log", "caps": "none"}


@pytest.mark.parametrize(("namespace", "agent", "change", "message"), [
    ("agents", "metrics", extra_host_path, HOST_PATHS.format(**AGENTS)),
    ("logs", "shipper", extra_host_path, HOST_PATHS.format(**LOGS)),
    ("agents", "metrics", writable_log, READ_ONLY.format(**AGENTS)),
    ("logs", "shipper", unset_read_only, READ_ONLY.format(**LOGS)),
    ("logs", "shipper", writable_log_in_an_init_container, READ_ONLY.format(**LOGS)),
    ("agents", "metrics", added_capability, CAPABILITIES.format(**AGENTS)),
    ("logs", "shipper", capability_of_an_ephemeral_container, CAPABILITIES.format(**LOGS)),
    ("logs", "shipper", host_network, "namespace logs admits no pod in the node's network namespace (hostNetwork)"),
    ("agents", "metrics", host_pid, "namespace agents admits no pod in the node's process IDs namespace (hostPID)"),
    ("logs", "shipper", host_ipc, "namespace logs admits no pod in the node's IPC namespace (hostIPC)"),
    ("agents", "metrics", privileged, PRIVILEGED.format(**AGENTS)),
    ("logs", "shipper", privileged_init_container, PRIVILEGED.format(**LOGS)),
], ids=lambda v: getattr(v, "__name__", None))
def test_a_pod_asking_for_more_of_the_node_is_refused_with_the_policys_message(files, namespace, agent, change,
                                                                               message):
    pod = declared_pod(files, namespace, agent)
    change(pod)
    assert refusals(policy(files, namespace), pod) == [message]


def test_the_host_network_of_a_declaring_namespace_is_admitted_there_alone(files):
    """The agents namespace declares the host network (its metrics agent), so it has no rule against it; logs does."""
    rules = {ns: " ".join(r["expression"] for r in policy(files, ns)["spec"]["validations"])
             for ns in ("agents", "logs")}
    assert "hostNetwork" not in rules["agents"] and "object.spec.hostNetwork" in rules["logs"]


def test_the_policy_and_its_binding_hold_the_namespace_alone(files):
    for ns in ("agents", "logs"):
        body = policy(files, ns)["spec"]
        assert body["failurePolicy"] == "Fail"
        assert body["matchConstraints"] == {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
            "resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                               "resources": ["pods", "pods/ephemeralcontainers"]}]}
        binding = find_object(files, "ValidatingAdmissionPolicyBinding", f"{ns}-host-access")["spec"]
        assert binding == {"policyName": f"{ns}-host-access", "validationActions": ["Deny"],
                           "matchResources": {"namespaceSelector": {"matchLabels": {
                               "kubernetes.io/metadata.name": ns}}}}


def test_the_deployer_cannot_change_the_policy(files):
    """The policy and its binding are cluster-scoped: the namespace's deployer Role grants nothing on them."""
    rules = find_object(files, "Role", "deployer", "agents")["rules"]
    assert not [r for r in rules if r["apiGroups"] != [""] and "admissionregistration" in r["apiGroups"][0]]
    assert all("namespace" not in find_object(files, kind, "agents-host-access")["metadata"]
               for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"))


def test_a_namespace_without_host_access_has_no_policy(files):
    """It enforces Pod Security 'restricted', which refuses every kind of host access already."""
    namespaces = {o["metadata"]["name"] for o in objects(files, "Namespace")}
    assert namespaces == {"agents", "logs", "shop"}
    assert find_object(files, "Namespace", "shop")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == \
        "restricted"
    for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"):
        assert {o["metadata"]["name"] for o in objects(files, kind)} == {"agents-host-access", "logs-host-access"}


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_the_policy_objects_pass_kubernetes_validate_strict(files, version):
    for o in objects(files):
        if o["kind"].startswith("ValidatingAdmissionPolicy"):
            kubernetes_validate.validate(o, version, strict=True)


# Host network: most network plugins apply no NetworkPolicy to host-network pods.

def host_network_app(root, **props: Any) -> dict[str, str]:
    """A host-network agent (``props`` added) and a pod-network one that reaches a SaaS."""
    from conftest import write_sources

    write_sources(root)
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod")
    saas = External(prod, "saas", host="api.saas.example.com", port=443)
    agents = SecureNamespace(prod, "agents", host_access="the agents read each node's logs and watch its network",
                             quota=Quota(cpu_limit="32"))
    NodeAgent(agents, "metrics", image="ghcr.io/acme/metrics:1.0.0", health=Health.exec(["/bin/health"]),
              host_network=True, **props)
    NodeAgent(agents, "shipper", image="ghcr.io/acme/shipper:1.0.0", health=Health.exec(["/bin/health"]),
              host_paths={"/host/log": HostPath("/var/log")}, connects_to=[saas])
    return synthesize(app)


WHY = "the agent reports the node's own connections and sends them to the SaaS collector"


def test_a_host_network_agent_that_states_why_says_so_where_the_scanners_and_readers_look(tmp_path):
    files = host_network_app(tmp_path, accepted_risks={"hostNetwork": WHY})
    note = find_object(files, "NetworkPolicy", "metrics", "agents")["metadata"]["annotations"][HOST_NETWORK]
    assert note.startswith("does not apply on most network plugins") and note.replace("\n", " ").endswith(
        f"Accepted: {WHY}")
    skips = find_object(files, "DaemonSet", "metrics", "agents")["metadata"]["annotations"]
    assert f"CKV_K8S_19={WHY}" in skips.values()
    assert not [v for v in skips.values() if v.startswith("CKV_K8S_19=node agent")]  # the agent's own reason wins
    ignore = {e["id"]: e for e in yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
              if "k8s/prod/*-agents-metrics.yaml" in e["paths"]}
    assert ignore["KSV-0009"]["statement"].replace("\n", " ").strip() == f"shop/prod/agents/metrics: {WHY}"


def test_host_network_with_connects_to_needs_the_agents_own_reason(tmp_path):
    """The namespace's host_access reason accepts the host network for the scanners, not a void policy."""
    from conftest import write_sources

    write_sources(tmp_path)
    app = App("shop", registry="ghcr.io/acme", root=tmp_path)
    prod = Environment(app, "prod")
    saas = External(prod, "saas", host="api.saas.example.com", port=443)
    agents = SecureNamespace(prod, "agents", host_access="the agents read each node's logs and watch its network",
                             quota=Quota(cpu_limit="16"))
    NodeAgent(agents, "metrics", image="ghcr.io/acme/metrics:1.0.0", health=Health.exec(["/bin/health"]),
              host_network=True, connects_to=[saas])
    with pytest.raises(InvalidApp) as caught:
        synthesize(app)
    (error,) = caught.value.problems
    assert (error.path, error.prop, error.value) == ("shop/prod/agents/metrics", "host_network", True)
    assert "egress to 0.0.0.0/0, ::/0 on 443" in error.problem and "accepted_risks={'hostNetwork'" in error.fix


def test_a_host_network_agent_declaring_no_traffic_needs_no_reason_but_its_policy_still_says_it_does_not_apply(
        tmp_path):
    files = host_network_app(tmp_path)
    note = find_object(files, "NetworkPolicy", "metrics", "agents")["metadata"]["annotations"][HOST_NETWORK]
    assert note.replace("\n", " ").endswith("Accepted: node agent with host access: the agents read each node's "
                                            "logs and watch its network")
    assert HOST_NETWORK not in find_object(files, "NetworkPolicy", "shipper", "agents")["metadata"].get(
        "annotations", {})


def test_a_patched_host_network_states_the_rule_by_name_when_its_policy_allows_traffic(tmp_path):
    """Any workload, not only an agent: accepted by its checks alone, a host network under a policy that allows
    traffic is refused at the pod's field; named by its rule, the policy says it does not apply."""
    from conftest import write_sources

    write_sources(tmp_path)
    for stated, refused in (({"CKV_K8S_19": WHY, "KSV-0009": WHY}, True), ({"hostNetwork": WHY}, False)):
        app = App("shop", registry="ghcr.io/acme", root=tmp_path)
        prod = Environment(app, "prod")
        db = WebService(prod, "db", image="ghcr.io/acme/db:1.0.0", port=5432)
        api = WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db],
                         accepted_risks=stated)
        api.deployment.add_json_patch({"op": "add", "path": "/spec/template/spec/hostNetwork", "value": True})
        if refused:
            with pytest.raises(InvalidApp) as caught:
                synthesize(app)
            (error,) = caught.value.problems
            assert (error.path, error.prop) == ("shop/prod/api/Deployment", "/spec/template/spec/hostNetwork")
            assert "ingress from anyone" not in error.problem and "egress to db on 5432" in error.problem
        else:
            note = find_object(synthesize(app), "NetworkPolicy", "api")["metadata"]["annotations"][HOST_NETWORK]
            assert note.replace("\n", " ").endswith(f"Accepted: {WHY}")


def test_a_writable_host_path_states_its_reason_for_trivy_and_a_read_only_one_needs_none(files):
    statement = next(e["statement"] for e in yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
                     if e["id"] == "KSV-0023" and "k8s/prod/*-agents-metrics.yaml" in e["paths"])
    assert statement.replace("\n", " ").strip() == (
        "shop/prod/agents/metrics: node agent with host access: the agents read each node's logs and watch its "
        "network; writes /var/lib/metrics: keeps its read positions across restarts")
    volumes = find_object(files, "DaemonSet", "metrics", "agents")["spec"]["template"]["spec"]["containers"][0][
        "volumeMounts"]
    assert {m["mountPath"]: m.get("readOnly", False) for m in volumes if m["mountPath"].startswith("/host")} == {
        "/host/log": True, "/host/state": False}
