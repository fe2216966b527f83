"""Cost and scheduling: the Environment's PriorityClasses (databases and services above the background), spot
capacity for what loses nothing when a node is reclaimed, and what the cluster autoscaler may evict."""

from __future__ import annotations

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.render.scheduling import SAFE_TO_EVICT, SAFE_TO_EVICT_LOCAL_VOLUMES
from shipform.synth.pipeline import render

APP = '''from shipform import *
app = App("shop", registry="ghcr.io/acme", repository="https://github.com/acme/shop.git")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="a test app", plain_databases="a test cluster",
                   unsigned_images="a test cluster", data_storage=DataStorage("ebs.csi.aws.com"),
                   gitops="{gitops}"{priority})
staging = Environment(app, "staging", unpinned_images="a test app", plain_databases="a test cluster",
                      unsigned_images="a test cluster", data_storage=DataStorage("ebs.csi.aws.com"),
                      destination=Destination(name="staging"), priority_classes=True)
for env in (prod, staging):
    ns = SecureNamespace(env, "shop", quota=Quota(cpu_limit="32", memory_limit="64Gi"),
                         deployers=[Subject.service_account("argocd", "argocd-application-controller")])
    db = StatefulDB(ns, "db", engine="postgres", version="16",
                    backup=Backup(schedule="0 3 * * *", in_cluster="a test cluster"))
    api = WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[db], replicas=2,
                     capacity="spot" if env is prod else "on-demand", migrate=Migration(["migrate"]))
    Worker(ns, "mailer", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), replicas=1,
           volumes={{"/var/spool/mailer": Volume(size="1Gi")}})
    CronJob(ns, "report", schedule="0 6 * * *", image="busybox:1.37.0", command=["true"], capacity="spot")
    NodeAgent(ns, "agent", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]),
              max_nodes=3)
'''


def synthesized(tmp_path, gitops: str = "argocd", priority: bool = True) -> dict[str, str]:
    write_sources(tmp_path)
    source = APP.format(gitops=gitops, priority=", priority_classes=True" if priority else "")
    return render(exec_app(source, tmp_path), tmp_path / "out")


def load(files: dict[str, str], path: str) -> dict:
    return yaml.safe_load(files[path])


def pod_template(manifest: dict) -> dict:
    body = manifest["spec"]
    return body["jobTemplate"]["spec"]["template"] if manifest["kind"] == "CronJob" else body["template"]


PODS = {"statefulset-shop-db": "data", "deployment-shop-api": "serving", "daemonset-shop-agent": "serving",
        "deployment-shop-mailer": "background", "cronjob-shop-report": "background",
        "cronjob-shop-db-backup": "background", "cronjob-shop-db-restore": "background",
        "job-shop-api-migrate": "serving"}  # the new version of its service waits for it


def test_each_pod_names_its_tier_of_the_environment(tmp_path):
    files = synthesized(tmp_path)
    for env in ("prod", "staging"):
        for name, tier in PODS.items():
            pod = pod_template(load(files, f"k8s/{env}/{name}.yaml"))["spec"]
            assert pod["priorityClassName"] == f"shop-{env}-{tier}", (env, name)


def test_priority_classes_put_databases_and_services_above_the_background(tmp_path):
    files = synthesized(tmp_path)
    classes = {c["metadata"]["name"]: c for c in (load(files, p) for p in files
                                                  if p.startswith("k8s/prod/priorityclass-"))}
    assert set(classes) == {"shop-prod-data", "shop-prod-serving", "shop-prod-background"}
    data, serving, background = (classes[f"shop-prod-{t}"] for t in ("data", "serving", "background"))
    assert data["value"] > serving["value"] > background["value"] > 0
    assert all(c["value"] < 1_000_000_000 for c in classes.values())  # user classes stay below the system's
    assert not any(c["globalDefault"] for c in classes.values())  # others' pods keep the cluster's default
    assert background["preemptionPolicy"] == "Never"  # workers and jobs wait for room, never evict anything
    assert data["preemptionPolicy"] == serving["preemptionPolicy"] == "PreemptLowerPriority"
    # Cluster-scoped, so named after app and Environment: staging's are its own, never prod's.
    assert {p for p in files if p.startswith("k8s/staging/priorityclass-")} == {
        f"k8s/staging/priorityclass-shop-staging-{t}.yaml" for t in ("data", "serving", "background")}


def test_without_priority_classes_nothing_is_rendered_or_admitted(tmp_path):
    files = synthesized(tmp_path, priority=False)
    assert not any(p.startswith("k8s/prod/priorityclass-") for p in files)
    assert "priorityClassName" not in pod_template(load(files, "k8s/prod/deployment-shop-api.yaml"))["spec"]
    project = load(files, "gitops/argocd/appproject-argocd-shop-prod.yaml")["spec"]
    assert not [k for k in project["clusterResourceWhitelist"] if k["kind"] == "PriorityClass"]
    staging = load(files, "gitops/argocd/appproject-argocd-shop-staging.yaml")["spec"]
    assert sorted(k["name"] for k in staging["clusterResourceWhitelist"] if k["kind"] == "PriorityClass") == [
        "shop-staging-background", "shop-staging-data", "shop-staging-serving"]


def test_flux_may_apply_its_priority_classes_by_name_and_no_namespace_deployer_may(tmp_path):
    files = synthesized(tmp_path, gitops="flux")
    flux = [load(files, p) for p in files if p.startswith("gitops/flux/")]
    cluster_role = next(o for o in flux if o["kind"] == "ClusterRole")
    granted = [r for r in cluster_role["rules"] if r["resources"] == ["priorityclasses"]]
    assert granted and all(r["apiGroups"] == ["scheduling.k8s.io"] for r in granted)
    assert sorted(n for r in granted for n in r["resourceNames"]) == [
        "shop-prod-background", "shop-prod-data", "shop-prod-serving"]
    roles = [load(files, p) for p in files if p.startswith(("k8s/prod/role-", "gitops/flux/role-"))]
    assert roles and not any("priorityclasses" in r.get("resources", []) for role in roles for r in role["rules"])


def test_spot_pods_require_a_spot_node_of_any_cloud_and_tolerate_its_taint(tmp_path):
    pod = pod_template(load(synthesized(tmp_path), "k8s/prod/deployment-shop-api.yaml"))["spec"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert [t["matchExpressions"] for t in terms] == [
        [{"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["SPOT"]}],
        [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}],
        [{"key": "cloud.google.com/gke-spot", "operator": "In", "values": ["true"]}],
        [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "In", "values": ["spot"]}]]
    assert pod["tolerations"] == [
        {"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot",
         "effect": "NoSchedule"}]


def test_on_demand_pods_neither_require_nor_tolerate_spot(tmp_path):
    files = synthesized(tmp_path)
    for env, name in (("staging", "deployment-shop-api"), ("prod", "statefulset-shop-db"),
                      ("prod", "deployment-shop-mailer")):
        pod = pod_template(load(files, f"k8s/{env}/{name}.yaml"))["spec"]
        assert "affinity" not in pod and "tolerations" not in pod, (env, name)


@pytest.mark.parametrize(("name", "annotation"), [
    ("statefulset-shop-db", {SAFE_TO_EVICT: "false"}),  # a database: its one replica stops
    ("deployment-shop-mailer", {SAFE_TO_EVICT: "false"}),  # a volume that attaches to one node
    ("cronjob-shop-report", {SAFE_TO_EVICT: "false"}),  # a run would start over
    ("cronjob-shop-db-backup", {SAFE_TO_EVICT: "false"}),
    ("deployment-shop-api", {SAFE_TO_EVICT_LOCAL_VOLUMES: "tmp"}),  # its scratch, lost with any pod anyway
    ("daemonset-shop-agent", {}),  # the autoscaler never evicts DaemonSet pods to remove a node
])
def test_what_the_cluster_autoscaler_may_evict(tmp_path, name, annotation):
    meta = pod_template(load(synthesized(tmp_path), f"k8s/prod/{name}.yaml"))["metadata"]
    found = {k: v for k, v in meta.get("annotations", {}).items() if k.startswith("cluster-autoscaler.")}
    assert found == annotation
