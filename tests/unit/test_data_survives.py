"""Data that survives GitOps and the cluster: claims neither pruned nor deleted with the Application or
Kustomization, database volumes of a class that retains them, dumps off the cluster, a restore for every backup, and
uploads that reach the bucket as a workload identity instead of with keys."""

from __future__ import annotations

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.providers.gitops.argocd import ArgoCD
from shipform.providers.gitops.protocol import Placed
from shipform.render.workflow_deploy import deploy_script
from shipform.testing import synthesize

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", gitops="GITOPS", tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))
for env in (dev, prod):
    offsite = S3Target("acme-backups", identity=AwsRole("arn:aws:iam::123456789012:role/shop-backup"),
                       restore_identity=AwsRole("arn:aws:iam::123456789012:role/shop-restore"))
    db = StatefulDB(env, "db", engine="postgres", version="16", backup=Backup(schedule="@daily",
                    to=offsite if env is prod else None))
    kept = StatefulDB(env, "kept", engine="redis", version="7.4", storage_class="premium-retain",
                      backup=Backup(schedule="@daily", in_cluster="Velero copies the claim off-site"))
    StatefulDB(env, "cache", engine="redis", version="7.4", reclaim_policy="Delete")
    WebService(env, "mailer", image="nginx:1.27.3", port=80, volumes={"/var/spool": Volume(size="1Gi")},
               replicas=1)
'''
DATA_KEYS = {"argocd": {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"},
             "flux": {"kustomize.toolkit.fluxcd.io/prune": "disabled"}}


def output(tmp_path, gitops: str) -> dict[str, dict]:
    write_sources(tmp_path)
    files = synthesize(exec_app(APP.replace("GITOPS", gitops), tmp_path))
    return {path: yaml.safe_load(text) for path, text in files.items()
            if path.startswith("k8s/prod/") and path.endswith(".yaml") and "kustomization" not in path}


def claims(objects: dict[str, dict]) -> list[dict]:
    """Every claim's metadata: standalone claims and the StatefulSets' claim templates."""
    found = [o["metadata"] for o in objects.values() if o["kind"] == "PersistentVolumeClaim"]
    return found + [t["metadata"] for o in objects.values() if o["kind"] == "StatefulSet"
                    for t in o["spec"]["volumeClaimTemplates"]]


@pytest.mark.parametrize("gitops", ["argocd", "flux"])
def test_every_claim_holding_data_is_neither_pruned_nor_deleted(tmp_path, gitops):
    objects = output(tmp_path, gitops)
    found = claims(objects)
    assert len(found) == 5  # three databases' volumes, the kept backup's claim, the mailer's spool
    for meta in found:
        assert DATA_KEYS[gitops].items() <= (meta.get("annotations") or {}).items(), meta
    for o in objects.values():
        if o["kind"] == "StatefulSet":
            assert o["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                                         "whenScaled": "Retain"}


def test_argo_cd_adds_its_protection_to_the_sync_options_a_claim_has():
    def placed(annotations: dict[str, str]) -> Placed:
        return Placed({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {"name": "x", "annotations": annotations}}, "foundation")

    [own] = ArgoCD().order([placed({"argocd.argoproj.io/sync-options": "ServerSideApply=true"})])
    assert own["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == \
        "ServerSideApply=true,Prune=false,Delete=false"
    [stated] = ArgoCD().order([placed({"argocd.argoproj.io/sync-options": "Prune=confirm"})])
    assert stated["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=confirm,Delete=false"


def test_kubectl_applies_claims_outside_the_applyset_that_prunes():
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "db-backups", "namespace": "a"}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "a"}}
    lines = deploy_script("shop", "prod", "k8s/prod", [claim, service]).replace("\\\n", "").splitlines()
    [claims_line] = [line for line in lines if "persistentvolumeclaim-a-db-backups.yaml" in line]
    assert "--prune" not in claims_line and "--applyset" not in claims_line
    pruned = [line for line in lines if "--prune" in line]
    assert pruned and all("persistentvolumeclaim" not in line for line in pruned)
    assert lines.index(claims_line) < lines.index(pruned[0])  # applied first: an earlier ApplySet lets go of it


def test_database_volumes_use_a_class_that_retains_them_unless_told_otherwise(tmp_path):
    objects = output(tmp_path, "argocd")
    [storage_class] = [o for o in objects.values() if o["kind"] == "StorageClass"]
    assert storage_class["metadata"]["name"] == "shop-prod-data"
    assert (storage_class["provisioner"], storage_class["parameters"]) == ("ebs.csi.aws.com", {"type": "gp3"})
    assert storage_class["reclaimPolicy"] == "Retain" and storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    classes = {o["metadata"]["name"]: o["spec"]["volumeClaimTemplates"][0]["spec"].get("storageClassName")
               for o in objects.values() if o["kind"] == "StatefulSet"}
    assert classes == {"db": "shop-prod-data", "kept": "premium-retain", "cache": None}
    backups = objects["k8s/prod/persistentvolumeclaim-shop-kept-backups.yaml"]["spec"]
    assert backups["storageClassName"] == "premium-retain"  # the database's own class


def test_every_backup_has_a_suspended_restore(tmp_path):
    objects = output(tmp_path, "argocd")
    backups = {o["metadata"]["name"] for o in objects.values() if o["kind"] == "CronJob"
               and o["metadata"]["name"].endswith("-backup")}
    restores = {o["metadata"]["name"]: o for o in objects.values() if o["kind"] == "CronJob"
                and o["metadata"]["name"].endswith("-restore")}
    assert backups == {"db-backup", "kept-backup"} and set(restores) == {"db-restore", "kept-restore"}
    for restore in restores.values():
        assert restore["spec"]["suspend"] is True
        assert restore["metadata"]["annotations"]["argocd.argoproj.io/ignore-healthcheck"] == "true"
        assert restore["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
    # Redis' restore writes into its stopped database's claim; the backup claim is only read.
    pod = restores["kept-restore"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    claimed = {v["name"]: v["persistentVolumeClaim"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert claimed == {"backups": {"claimName": "kept-backups", "readOnly": True},
                       "data": {"claimName": "data-kept-0"}}


def test_uploads_and_restores_reach_the_bucket_as_their_own_roles_without_keys(tmp_path):
    objects = output(tmp_path, "argocd")
    for job, role, step, other in (("db-backup", "shop-backup", "upload", "dump"),
                                   ("db-restore", "shop-restore", "fetch", "db-restore")):
        account = objects[f"k8s/prod/serviceaccount-shop-{job}.yaml"]
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == \
            f"arn:aws:iam::123456789012:role/{role}"
        assert account["automountServiceAccountToken"] is False  # EKS's webhook projects a token of its own
        pod = objects[f"k8s/prod/cronjob-shop-{job}.yaml"]["spec"]["jobTemplate"]["spec"]["template"]
        assert pod["metadata"]["annotations"]["eks.amazonaws.com/skip-containers"] == other
        assert pod["spec"]["automountServiceAccountToken"] is False
        containers = {c["name"]: c for c in [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]}
        env = {e["name"] for e in containers[step]["env"]}
        assert "AWS_SHARED_CREDENTIALS_FILE" not in env
        assert not any("secret" in str(v) and "s3" in str(v) for v in pod["spec"]["volumes"])
    # Accounts of other workloads carry no role.
    assert "annotations" not in objects["k8s/prod/serviceaccount-shop-kept-backup.yaml"]["metadata"] or \
        "eks.amazonaws.com/role-arn" not in objects["k8s/prod/serviceaccount-shop-kept-backup.yaml"]["metadata"][
            "annotations"]


def test_restores_verify_the_servers_certificate_and_run_as_their_own_user_unless_they_write_its_files(tmp_path):
    """prod serves TLS by default: the restore, like the backup, verifies the server and its name with the CA. A
    restore through the server runs as a user of its own; redis' restore writes the stopped server's files, as
    their owner, the database's user."""
    objects = output(tmp_path, "argocd")

    def pod(kind: str, name: str) -> dict:
        o = objects[f"k8s/prod/{kind.lower()}-shop-{name}.yaml"]
        template = o["spec"]["jobTemplate"]["spec"]["template"] if kind == "CronJob" else o["spec"]["template"]
        return template["spec"]

    restore = pod("CronJob", "db-restore")
    [main] = [c for c in restore["containers"] if c["name"] == "db-restore"]
    script = main["args"][-1]
    assert 'PGSSLMODE=verify-full PGSSLROOTCERT="$DB_TLS_CA_FILE"' in script and "pg_restore" in script
    env = {e["name"]: e.get("value") for e in main["env"]}
    assert env["DB_TLS_CA_FILE"] == "/run/secrets/db-tls.ca.crt" and env["DB_HOST"] == "db"
    users = {name: pod(kind, name)["securityContext"]["runAsUser"] for kind, name in (
        ("StatefulSet", "db"), ("CronJob", "db-backup"), ("CronJob", "db-restore"),
        ("StatefulSet", "kept"), ("CronJob", "kept-restore"))}
    assert len({users["db"], users["db-backup"], users["db-restore"]}) == 3
    assert users["kept-restore"] == users["kept"]
