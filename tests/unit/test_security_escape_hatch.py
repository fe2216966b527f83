"""The escape hatch cannot remove the hardening silently: a JSON patch (or a prop) that breaks Pod Security
"restricted" on any pod-bearing object is refused with the object, the field's JSON pointer, the value and the
fix, unless the workload's accepted_risks names the rule with a reason; then the reason is written where
checkov (annotations on the object) and trivy (.trivyignore.yaml) read it. Expected checks are written out,
never imported from shipform."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shipform import (
    App,
    Canary,
    CronJob,
    DataStorage,
    Environment,
    Health,
    HostPath,
    Issuer,
    Job,
    KnativeServing,
    NodeAgent,
    Quota,
    SecureNamespace,
    Serverless,
    StatefulDB,
    WebService,
    Worker,
)
from shipform.errors import InvalidApp, ShipformError
from shipform.testing import find_object, synthesize
from shipform.values.pod_security import violations

POD = "/spec/template/spec"
C0 = f"{POD}/containers/0"
SC = f"{C0}/securityContext"
WHY = "the vendor's agent needs it on every node"


def add(path: str, value: Any) -> dict[str, Any]:
    return {"op": "add", "path": path, "value": value}


# (rule, patch, field the error names, value it names, checkov checks, trivy checks written when accepted)
RULES = [
    ("privileged", add(f"{SC}/privileged", True), f"{SC}/privileged", True, ["CKV_K8S_16"], ["KSV-0017"]),
    ("hostNetwork", add(f"{POD}/hostNetwork", True), f"{POD}/hostNetwork", True, ["CKV_K8S_19"], ["KSV-0009"]),
    ("hostPID", add(f"{POD}/hostPID", True), f"{POD}/hostPID", True, ["CKV_K8S_17"], ["KSV-0010"]),
    ("hostIPC", add(f"{POD}/hostIPC", True), f"{POD}/hostIPC", True, ["CKV_K8S_18"], ["KSV-0008"]),
    ("hostPort", add(f"{C0}/ports/0/hostPort", 80), f"{C0}/ports/0/hostPort", 80, ["CKV_K8S_26"], ["KSV-0024"]),
    ("capabilities", add(f"{SC}/capabilities/add", ["NET_ADMIN"]), f"{SC}/capabilities/add/0", "NET_ADMIN",
     ["CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39"],
     ["KSV-0003", "KSV-0004", "KSV-0005", "KSV-0022", "KSV-0106", "KSV-0119"]),
    ("runAsNonRoot", add(f"{POD}/securityContext/runAsNonRoot", False), f"{POD}/securityContext/runAsNonRoot",
     False, ["CKV_K8S_23"], ["KSV-0012"]),
    ("runAsUser", add(f"{SC}/runAsUser", 0), f"{SC}/runAsUser", 0, ["CKV_K8S_40"], ["KSV-0020", "KSV-0105"]),
    ("allowPrivilegeEscalation", add(f"{SC}/allowPrivilegeEscalation", True), f"{SC}/allowPrivilegeEscalation",
     True, ["CKV_K8S_20"], ["KSV-0001"]),
    ("hostPath", add(f"{POD}/volumes/-", {"name": "etc", "hostPath": {"path": "/etc"}}),
     f"{POD}/volumes/1/hostPath", {"path": "/etc"}, ["CKV_K8S_27"], ["KSV-0006", "KSV-0023"]),
    ("readOnlyRootFilesystem", add(f"{SC}/readOnlyRootFilesystem", False), f"{SC}/readOnlyRootFilesystem", False,
     ["CKV_K8S_22"], ["KSV-0014"]),
    ("seccompProfile", add(f"{SC}/seccompProfile", {"type": "Unconfined"}), f"{SC}/seccompProfile",
     {"type": "Unconfined"}, ["CKV_K8S_31"], ["KSV-0030", "KSV-0104"]),
    ("procMount", add(f"{SC}/procMount", "Unmasked"), f"{SC}/procMount", "Unmasked", [], ["KSV-0027"]),
    ("seLinuxOptions", add(f"{SC}/seLinuxOptions", {"type": "spc_t"}), f"{SC}/seLinuxOptions/type", "spc_t", [],
     ["KSV-0025"]),
    ("sysctls", add(f"{POD}/securityContext/sysctls", [{"name": "kernel.msgmax", "value": "65536"}]),
     f"{POD}/securityContext/sysctls/0/name", "kernel.msgmax", [], ["KSV-0026"]),
    ("appArmorProfile", add(f"{SC}/appArmorProfile", {"type": "Unconfined"}), f"{SC}/appArmorProfile/type",
     "Unconfined", [], []),
    ("hostProcess", add(f"{SC}/windowsOptions", {"hostProcess": True}), f"{SC}/windowsOptions/hostProcess", True,
     [], ["KSV-0103"]),
    ("volumes", add(f"{POD}/volumes/-", {"name": "nfs", "nfs": {"server": "nfs.example.com", "path": "/x"}}),
     f"{POD}/volumes/1/nfs", {"server": "nfs.example.com", "path": "/x"}, [], ["KSV-0028"]),
]


def app_with(root, patch: dict[str, Any] | None = None, **props: Any) -> App:
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    api = WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, **props)
    if patch is not None:
        api.deployment.add_json_patch(patch)
    return app


def refusal(app: App) -> list[ShipformError]:
    with pytest.raises(InvalidApp) as caught:
        synthesize(app)
    return caught.value.problems


@pytest.mark.parametrize(("rule", "patch", "field", "value", "checkov", "trivy"), RULES, ids=[r[0] for r in RULES])
def test_a_patch_that_breaks_a_rule_is_refused(app_root, rule, patch, field, value, checkov, trivy):
    [error] = refusal(app_with(app_root, patch))
    assert (error.path, error.prop, error.value) == ("shop/prod/api/Deployment", field, value)
    assert error.problem.startswith(f"breaks Pod Security 'restricted': {rule} ")
    written = ", ".join([*checkov, *trivy])
    scanners = f"checkov and trivy read it as {written}" if written else "no scanner reports it"
    assert error.fix == (f"remove the patch or prop that sets it, or accept it with accepted_risks={{'{rule}': "
                         f"'<why>'}} on shop/prod/api ({scanners})")


@pytest.mark.parametrize(("rule", "patch", "field", "value", "checkov", "trivy"), RULES, ids=[r[0] for r in RULES])
def test_an_accepted_rule_passes_and_is_written_for_the_scanners(app_root, rule, patch, field, value, checkov,
                                                                  trivy):
    files = synthesize(app_with(app_root, patch, accepted_risks={rule: WHY}))
    deployment = find_object(files, "Deployment", "api")
    annotations = deployment["metadata"].get("annotations", {})
    assert sorted(annotations.values()) == [f"{check}={WHY}" for check in checkov]
    assert all(key.startswith("checkov.io/skip") for key in annotations)
    ignored = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    mine = [e for e in ignored if "k8s/prod/*-shop-api.yaml" in e["paths"]]
    assert [e["id"] for e in mine] == trivy
    assert all(" ".join(e["statement"].split()) == f"shop/prod/api: {WHY}" for e in mine)
    assert "k8s/prod/deployment-shop-api.yaml" in files  # the file the trivy entry's glob names


def test_a_rule_is_also_accepted_by_every_scanner_check_that_reports_it(app_root):
    """How accepted risks were stated before rules had names: both checks of the writable root."""
    reason = "nginx writes its pid and cache under /var"
    files = synthesize(app_with(app_root, read_only_root_filesystem=False,
                                accepted_risks={"CKV_K8S_22": reason, "KSV-0014": reason}))
    container = find_object(files, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is False


def test_one_of_a_rules_checks_is_not_enough(app_root):
    [error] = refusal(app_with(app_root, add(f"{SC}/privileged", True), accepted_risks={"CKV_K8S_16": WHY}))
    assert error.prop == f"{SC}/privileged"


def test_a_low_uid_accepted_for_the_scanners_does_not_accept_root(app_root):
    """CKV_K8S_40 and KSV-0020 report any UID below 10000; root needs its own rule (KSV-0105 too)."""
    nginx = "the official nginx image runs as its user 101"
    [error] = refusal(app_with(app_root, add(f"{SC}/runAsUser", 0), run_as_user=101, run_as_group=101,
                               accepted_risks={"CKV_K8S_40": nginx, "KSV-0020": nginx, "KSV-0021": nginx}))
    assert (error.prop, error.value) == (f"{SC}/runAsUser", 0)


def test_the_message_names_object_field_value_and_fix(app_root):
    [error] = refusal(app_with(app_root, add(f"{POD}/hostNetwork", True)))
    assert str(error) == (
        "shop/prod/api/Deployment: '/spec/template/spec/hostNetwork' breaks Pod Security 'restricted': hostNetwork "
        "must be false: the pod would share the node's network (its NetworkPolicies void on most CNIs), got True. "
        "Fix: remove the patch or prop that sets it, or accept it with accepted_risks={'hostNetwork': '<why>'} on "
        "shop/prod/api (checkov and trivy read it as CKV_K8S_19, KSV-0009)")


def test_a_removed_setting_is_named_as_not_set(app_root):
    [error] = refusal(app_with(app_root, {"op": "remove", "path": f"{SC}/allowPrivilegeEscalation"}))
    assert (error.prop, error.value) == (f"{SC}/allowPrivilegeEscalation", None)
    assert error.problem.startswith("breaks Pod Security 'restricted' (it is not set): allowPrivilegeEscalation")


def test_a_container_added_by_a_patch_is_checked_too(app_root):
    sidecar = {"name": "debug", "image": "busybox:1.37.0", "securityContext": {"privileged": True}}
    errors = refusal(app_with(app_root, add(f"{POD}/containers/-", sidecar)))
    assert {e.prop for e in errors} == {f"{POD}/containers/1/securityContext/{f}" for f in (
        "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities/drop")}


def test_net_bind_service_is_the_one_capability_restricted_allows(app_root):
    files = synthesize(app_with(app_root, add(f"{SC}/capabilities/add", ["NET_BIND_SERVICE"])))
    container = find_object(files, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}


def test_every_pod_bearing_kind_is_checked_and_all_errors_come_in_one_run(app_root):
    """A Deployment, StatefulSet, Job, CronJob, DaemonSet, Knative Service and Argo Rollout, each made privileged,
    in two Environments: every one is reported at once."""
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    for env in (Environment(app, "prod", knative=KnativeServing(), tls_issuer=Issuer(name="internal-ca"),
                            data_storage=DataStorage("ebs.csi.aws.com")),
                Environment(app, "stage", rollouts="argo", knative=KnativeServing(),
                            tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))):
        handles = {
            "Deployment": Worker(env, "mailer", image="ghcr.io/acme/mailer:1.0.0",
                                 health=Health.exec(["mailer", "--check"])).deployment,
            "StatefulSet": StatefulDB(env, "db", engine="postgres", version="16").stateful_set,
            "Job": Job(env, "seed", image="ghcr.io/acme/seed:1.0.0").job,
            "CronJob": CronJob(env, "report", image="ghcr.io/acme/report:1.0.0", schedule="@daily").cron_job,
            "Service": WebService(env, "fn", image="ghcr.io/acme/fn:1.0.0", port=8080,
                                  serverless=Serverless(max=3),
                                  accepted_risks={"knativeSharedGateway": "a test app: alone in a cluster"}).deployment,
        }
        agents = SecureNamespace(env, "agents", host_access="the log shipper reads each node's /var/log",
                                 quota=Quota(cpu_limit="16"))
        handles["DaemonSet"] = NodeAgent(agents, "shipper", image="ghcr.io/acme/shipper:1.0.0",
                                         host_paths={"/host/log": HostPath("/var/log")},
                                         health=Health.exec(["/bin/health"])).daemon_set
        if env.name == "stage":
            handles["Rollout"] = WebService(env, "api", image="ghcr.io/acme/api:1.0.0", port=8000,
                                            strategy=Canary(steps=[20, "promote"])).deployment
        for kind, handle in handles.items():
            pod = "/spec/jobTemplate/spec/template/spec" if kind == "CronJob" else POD
            handle.add_json_patch(add(f"{pod}/containers/0/securityContext/privileged", True))
    found = sorted((e.path, e.prop) for e in refusal(app))
    assert found == sorted([(f"shop/{env}/{name}/{kind}", f"{pod}/containers/0/securityContext/privileged")
                            for env in ("prod", "stage") for name, kind, pod in (
                                ("mailer", "Deployment", POD), ("db", "StatefulSet", POD), ("seed", "Job", POD),
                                ("report", "CronJob", "/spec/jobTemplate/spec/template/spec"),
                                ("fn", "Service", POD), ("agents/shipper", "DaemonSet", POD))]
                           + [("shop/stage/api/Rollout", f"{SC}/privileged")])


def test_a_node_agents_stated_host_access_still_synthesizes(app_root):
    """Its namespace's host_access reason states the host network and host folders for both scanners."""
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    agents = SecureNamespace(Environment(app, "prod"), "agents", host_access="the log shipper reads /var/log",
                             quota=Quota(cpu_limit="16"))
    NodeAgent(agents, "shipper", image="ghcr.io/acme/shipper:1.0.0", host_network=True,
              host_paths={"/host/log": HostPath("/var/log")}, health=Health.exec(["/bin/health"]))
    spec = find_object(synthesize(app), "DaemonSet", "shipper")["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True and spec["volumes"][-1]["hostPath"]["path"] == "/var/log"


def test_a_writable_root_needs_its_reason(app_root):
    with pytest.raises(ShipformError) as caught:
        app_with(app_root, read_only_root_filesystem=False, accepted_risks={"CKV_K8S_22": "nginx writes its cache"})
    assert str(caught.value) == (
        "shop/prod/api: 'read_only_root_filesystem' is False, a relaxation of the hardened pod that must state its "
        "reason, got False. Fix: pass accepted_risks={'readOnlyRootFilesystem': '<why the root must be writable>'} "
        "(written for checkov and trivy as CKV_K8S_22, KSV-0014), or keep the root read-only and list the folders "
        "the app writes in writable_paths=[...]")


def test_a_writable_root_with_its_reason_is_written_for_both_scanners(app_root):
    reason = "nginx writes its pid and cache under /var"
    files = synthesize(app_with(app_root, read_only_root_filesystem=False,
                                accepted_risks={"readOnlyRootFilesystem": reason}))
    assert find_object(files, "Deployment", "api")["metadata"]["annotations"] == {
        "checkov.io/skip1": f"CKV_K8S_22={reason}"}
    ignored = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    assert [e["id"] for e in ignored if "k8s/prod/*-shop-api.yaml" in e["paths"]] == ["KSV-0014"]


def test_a_rule_named_next_to_one_of_its_checks_keeps_that_checks_own_reason(app_root):
    files = synthesize(app_with(app_root, read_only_root_filesystem=False, accepted_risks={
        "readOnlyRootFilesystem": "nginx writes its pid and cache under /var",
        "CKV_K8S_22": "checkov: nginx writes under /var"}))
    assert find_object(files, "Deployment", "api")["metadata"]["annotations"] == {
        "checkov.io/skip1": "CKV_K8S_22=checkov: nginx writes under /var"}


def test_a_rule_name_in_the_wrong_case_gets_the_right_one(app_root):
    with pytest.raises(ShipformError) as caught:
        app_with(app_root, accepted_risks={"hostnetwork": WHY})
    assert (caught.value.prop, caught.value.value, caught.value.fix) == ("accepted_risks", "hostnetwork",
                                                                         "write 'hostNetwork'")


HARDENED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}


def broken(pod_context: dict[str, Any] | None, container_context: dict[str, Any]) -> list[tuple[str, str, Any]]:
    pod: dict[str, Any] = {"containers": [{"name": "app", "securityContext": {**HARDENED, **container_context}}]}
    if pod_context is not None:
        pod["securityContext"] = pod_context
    return [(v.rule.name, v.field, v.value) for v in violations({"kind": "Pod", "spec": pod})]


RESTRICTED = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
PS, CS = "/spec/securityContext", "/spec/containers/0/securityContext"


@pytest.mark.parametrize(("pod_context", "container_context", "expected"), [
    pytest.param(None, RESTRICTED, [], id="Knative: each container carries it, the pod nothing"),
    pytest.param(RESTRICTED, {}, [], id="the containers leave it to the pod"),
    pytest.param(None, {}, [("runAsNonRoot", f"{CS}/runAsNonRoot", None),
                            ("seccompProfile", f"{CS}/seccompProfile", None)], id="set nowhere"),
    pytest.param({**RESTRICTED, "runAsNonRoot": False}, {"runAsNonRoot": True},
                 [("runAsNonRoot", f"{PS}/runAsNonRoot", False)], id="false on the pod counts, a container's true too"),
    pytest.param(RESTRICTED, {"runAsNonRoot": False}, [("runAsNonRoot", f"{CS}/runAsNonRoot", False)],
                 id="a container's false beats the pod's true"),
    pytest.param({**RESTRICTED, "seccompProfile": {"type": "Unconfined"}}, {"seccompProfile": {"type": "Localhost"}},
                 [("seccompProfile", f"{PS}/seccompProfile", {"type": "Unconfined"})], id="Unconfined on the pod"),
    pytest.param(RESTRICTED, {"seLinuxOptions": {"type": "container_t", "user": "system_u"}},
                 [("seLinuxOptions", f"{CS}/seLinuxOptions/user", "system_u")], id="an SELinux user"),
    pytest.param({**RESTRICTED, "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}, {}, [],
                 id="a safe sysctl"),
    pytest.param(RESTRICTED, {"procMount": "Default", "privileged": False}, [], id="the defaults written out"),
])
def test_the_rules_read_the_pod_as_pod_security_admission_does(pod_context, container_context, expected):
    assert broken(pod_context, container_context) == expected
