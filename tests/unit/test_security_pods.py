"""Security facts of every pod shipform renders, asserted explicitly on each pod-bearing kind (Deployment,
StatefulSet, Job, CronJob, DaemonSet, Argo Rollout, Knative Service): non-root with the runtime's default seccomp
and AppArmor profiles, no capability and no privilege escalation, a read-only root unless relaxed by name, no host
namespaces but a node agent's stated host network, no service account token, pinned images. Expected values are
written out, never imported from the renderers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shipform import (
    App,
    Backup,
    Canary,
    CronJob,
    DataStorage,
    Environment,
    Health,
    HostPath,
    Issuer,
    Job,
    KnativeServing,
    Migration,
    NodeAgent,
    Quota,
    S3Target,
    SecretRef,
    SecureNamespace,
    Serverless,
    StatefulDB,
    WebService,
    Worker,
)
from shipform.testing import objects, synthesize
from shipform.values.uids import assign_uids

POD_SECURITY = {"appArmorProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "appArmorProfile": {"type": "RuntimeDefault"},
                      "capabilities": {"drop": ["ALL"]}, "privileged": False, "readOnlyRootFilesystem": True,
                      "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
UIDS = assign_uids("shop", ["api", "db", "db-backup", "db-restore", "fn", "legacy", "mailer", "seed", "report",
                            "shipper"])
"""Each service's own user (a database's backup and its restore too); a migration runs its service's code as its
service's user."""


def uid(name: str) -> int:
    return UIDS[name.removesuffix("-migrate")]
KNATIVE = "serving.knative.dev/v1"


@pytest.fixture(scope="module")
def files(module_app_root) -> dict[str, str]:
    """Every pod-bearing kind: under Argo CD a WebService rolled out by Argo Rollouts with a migration Job, a
    Knative service, a Worker, a Job, a CronJob, a database with an S3 backup (a CronJob of two steps), a service
    with a writable root, and a node agent on the host network; under Flux a migration as an init container."""
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", rollouts="argo", knative=KnativeServing(),
                       tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    shop = SecureNamespace(prod, "shop", quota=Quota(cpu="8", memory="16Gi", cpu_limit="16", memory_limit="32Gi"))
    db = StatefulDB(shop, "db", engine="postgres", version="16",
                    backup=Backup(schedule="@daily", to=S3Target(bucket="acme-backups",
                                                                 credentials=SecretRef("backup-s3", "credentials"),
                                                                 restore_credentials=SecretRef("s3-read", "s3"))))
    WebService(shop, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db], public=True,
               migrate=Migration(["migrate"]), strategy=Canary(steps=[20, "promote"]))
    WebService(shop, "fn", image="ghcr.io/acme/fn:1.0.0", port=8080, serverless=Serverless(max=3),
               accepted_risks={"knativeSharedGateway": "a test app: no other pod runs in its cluster"})
    WebService(shop, "legacy", image="ghcr.io/acme/legacy:1.0.0", port=8081, read_only_root_filesystem=False,
               accepted_risks={"readOnlyRootFilesystem": "writes its cache under /var"})
    Worker(shop, "mailer", image="ghcr.io/acme/mailer:1.0.0", health=Health.exec(["mailer", "--check"]))
    Job(shop, "seed", image="ghcr.io/acme/seed:1.0.0")
    CronJob(shop, "report", image="ghcr.io/acme/report:1.0.0", schedule="@daily")
    agents = SecureNamespace(prod, "agents", host_access="the log shipper reads each node's /var/log",
                             quota=Quota(cpu_limit="16"))
    NodeAgent(agents, "shipper", image="ghcr.io/acme/shipper:1.0.0", host_network=True,
              host_paths={"/host/log": HostPath("/var/log")}, health=Health.exec(["/bin/health"]))
    flux = Environment(app, "flux", gitops="flux", tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    WebService(flux, "api", image="ghcr.io/acme/api:1.0.0", port=8000, migrate=Migration(["migrate"]))
    return synthesize(app)


def pod_template(o: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template of a pod-bearing object; None for any other object."""
    if o["kind"] == "CronJob":
        return o["spec"]["jobTemplate"]["spec"]["template"]
    if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "Rollout") or o["apiVersion"] == KNATIVE:
        return o["spec"]["template"]
    return None


def pods(files: dict[str, str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, name, pod spec) of every pod-bearing object of every environment."""
    for o in objects(files):
        template = pod_template(o)
        if template is not None:
            kind = "KnativeService" if o["apiVersion"] == KNATIVE else o["kind"]
            yield kind, o["metadata"]["name"], template["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_every_pod_bearing_kind_is_covered(files):
    found = sorted((kind, name, [c["name"] for c in containers(pod)]) for kind, name, pod in pods(files))
    assert found == [
        ("CronJob", "db-backup", ["dump", "upload"]), ("CronJob", "db-restore", ["fetch", "db-restore"]),
        ("CronJob", "report", ["report"]),
        ("DaemonSet", "shipper", ["shipper"]),
        ("Deployment", "api", ["migrate", "api"]),  # Flux: the migration runs first in each pod
        ("Deployment", "legacy", ["legacy"]), ("Deployment", "mailer", ["mailer"]),
        ("Job", "api-migrate", ["api-migrate"]), ("Job", "seed", ["seed"]),
        ("KnativeService", "fn", ["fn"]), ("Rollout", "api", ["api"]), ("StatefulSet", "db", ["db"])]


def test_pods_run_as_non_root_with_the_runtime_default_seccomp_profile(files):
    for kind, name, pod in pods(files):
        if kind == "KnativeService":  # Knative refuses pod-level securityContext: each container carries it
            assert "securityContext" not in pod
        else:
            ids = {"runAsUser": uid(name), "runAsGroup": uid(name), "fsGroup": uid(name)}
            assert pod["securityContext"] == {**POD_SECURITY, **ids}, name


def test_containers_drop_every_capability_and_cannot_escalate(files):
    """Exactly these settings: no capability added, never privileged, read-only root unless relaxed by name."""
    for kind, name, pod in pods(files):
        for c in containers(pod):
            relaxed = {"readOnlyRootFilesystem": False} if name == "legacy" else {}
            owner = name if c["name"] != "migrate" else "api-migrate"
            expected = {**CONTAINER_SECURITY, "runAsUser": uid(owner), "runAsGroup": uid(owner), **relaxed}
            if kind == "KnativeService":  # its AppArmor profile is an annotation: see below
                del expected["appArmorProfile"]
            assert c["securityContext"] == expected, (name, c["name"])


def test_every_container_runs_under_the_runtimes_apparmor_profile(files):
    """The field (Kubernetes 1.30+) on every pod and container; Knative refuses the field, so a Knative Service
    states the profile in the annotation the API server reads into the field of its pods."""
    for o in objects(files):
        template = pod_template(o)
        if template is None:
            continue
        pod = template["spec"]
        if o["apiVersion"] == KNATIVE:
            assert template["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/fn"] == \
                "runtime/default"
            assert [c["name"] for c in pod["containers"]] == ["fn"]
        else:
            assert pod["securityContext"]["appArmorProfile"] == {"type": "RuntimeDefault"}
            for c in containers(pod):
                assert c["securityContext"]["appArmorProfile"] == {"type": "RuntimeDefault"}, c["name"]


def test_only_a_node_agent_uses_the_nodes_network_and_folders_as_stated(files):
    for kind, name, pod in pods(files):
        assert not {"hostPID", "hostIPC"} & set(pod), name
        host_paths = [v for v in pod.get("volumes", []) if "hostPath" in v]
        if kind == "DaemonSet":
            assert (pod["hostNetwork"], pod["dnsPolicy"]) == (True, "ClusterFirstWithHostNet")
            assert host_paths == [{"name": "host-0", "hostPath": {"path": "/var/log", "type": "Directory"}}]
            assert {"name": "host-0", "mountPath": "/host/log", "readOnly": True} in pod["containers"][0][
                "volumeMounts"]
        else:
            assert "hostNetwork" not in pod and not host_paths, name


def test_no_service_account_token_is_mounted(files):
    accounts = objects(files, "ServiceAccount")
    assert {o["metadata"]["name"] for o in accounts} >= {"default", "api", "fn", "shipper", "db-backup"}
    assert all(o["automountServiceAccountToken"] is False for o in accounts)
    for _, name, pod in pods(files):
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["serviceAccountName"] == name  # its own, which mounts no token either
        projected = [s for v in pod.get("volumes", []) for s in v.get("projected", {}).get("sources", [])]
        assert not [s for s in projected if "serviceAccountToken" in s], name


def test_images_are_pinned_to_a_version(files):
    images = sorted({c["image"] for _, _, pod in pods(files) for c in containers(pod)})
    assert images == ["amazon/aws-cli:2.22.12", "ghcr.io/acme/api:1.0.0", "ghcr.io/acme/fn:1.0.0",
                      "ghcr.io/acme/legacy:1.0.0", "ghcr.io/acme/mailer:1.0.0", "ghcr.io/acme/report:1.0.0",
                      "ghcr.io/acme/seed:1.0.0", "ghcr.io/acme/shipper:1.0.0", "postgres:16.6-bookworm"]
    assert not [i for i in images if i.endswith(":latest") or ":" not in i.rsplit("/", 1)[-1]]
