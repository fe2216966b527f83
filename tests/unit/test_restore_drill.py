"""Restore drills as rendered: a scheduled CronJob per drilled backup that reaches nothing but the bucket, mounts no
secret of its database, reads the dumps read-only (or fetches them with the restore's read-only role), runs as a
user of its own under the restricted Pod Security profile, and fails loudly: no retries, and a critical alert where
monitoring is on. compose: a one-off service under the 'drill' profile with no network at all."""

from __future__ import annotations

import yaml

from conftest import k8s_objects, synthesized_source
from shipform.model.scratch_servers import SCRATCH_SERVERS

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), monitoring=Monitoring(),
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))
for env in (dev, prod):
    offsite = S3Target("acme-backups", identity=AwsRole("arn:aws:iam::123456789012:role/shop-backup"),
                       restore_identity=AwsRole("arn:aws:iam::123456789012:role/shop-restore"))
    StatefulDB(env, "db", engine="postgres", version="16", storage="20Gi", backup=Backup(
        schedule="0 3 * * *", to=offsite if env is prod else None,
        drill=Drill("0 5 * * 0", check="SELECT count(*) FROM orders")))
    StatefulDB(env, "cache", engine="redis", version="7.4", backup=Backup(
        schedule="@daily", in_cluster="Velero copies the claim off-site", drill=Drill("@weekly")))
    StatefulDB(env, "plain", engine="mariadb", version="11.4", backup=Backup(
        schedule="@daily", in_cluster="Velero copies the claim off-site"))
'''


def rendered(tmp_path) -> dict[str, str]:
    return synthesized_source(APP, tmp_path)


objects = k8s_objects


def pod(found: dict[str, dict], env: str, name: str) -> dict:
    o = found[f"k8s/{env}/cronjob-shop-{name}.yaml"]
    template = o["spec"]["jobTemplate"]["spec"]["template"] if o["kind"] == "CronJob" else o["spec"]["template"]
    return template


def test_every_drilled_backup_gets_a_scheduled_drill_that_fails_without_retries(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    drills = {o["metadata"]["name"]: o for o in found.values() if o["kind"] == "CronJob"
              and o["metadata"]["labels"]["app.kubernetes.io/component"] == "restore-drill"}
    assert set(drills) == {"db-drill", "cache-drill"}  # the mariadb backup has no drill
    assert drills["db-drill"]["spec"]["schedule"] == "0 5 * * 0" and "suspend" not in drills["db-drill"]["spec"]
    for drill in drills.values():
        assert drill["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
        assert drill["spec"]["concurrencyPolicy"] == "Forbid"
    env = {e["name"]: e.get("value") for e in pod(found, "prod", "db-drill")["spec"]["containers"][0]["env"]}
    assert env["DRILL_CHECK"] == "SELECT count(*) FROM orders"
    assert (env["DB_USER"], env["DB_NAME"]) == ("shop", "shop")
    cache = {e["name"]: e.get("value") for e in pod(found, "prod", "cache-drill")["spec"]["containers"][0]["env"]}
    assert cache["DRILL_CHECK"] == SCRATCH_SERVERS["redis"].default_check == "DBSIZE" and "DB_USER" not in cache


def test_a_drill_holds_no_secret_of_its_database_and_runs_as_a_restricted_user_of_its_own(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    template = pod(found, "prod", "db-drill")
    spec = template["spec"]
    containers = [*spec.get("initContainers", []), *spec["containers"]]
    assert [c["name"] for c in containers] == ["fetch", "db-drill"]
    assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == "db-drill"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for c in containers:
        context = c["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
        assert context["readOnlyRootFilesystem"] is True and context["capabilities"] == {"drop": ["ALL"]}
        assert context["runAsNonRoot"] is True
        for kind in ("requests", "limits"):
            assert {"cpu", "memory", "ephemeral-storage"} <= set(c["resources"][kind])
        assert not any("valueFrom" in e for e in c.get("env", []))  # no secret as a variable
        names = {e["name"] for e in c.get("env", [])}
        assert not names & {"DB_HOST", "DB_PASSWORD_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
    # No Secret is mounted at all: the scratch server knows no production password, the bucket is read as a role.
    assert not any("secret" in v or "projected" in v for v in spec["volumes"])
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["scratch"]["emptyDir"] == {"sizeLimit": "20Gi"}  # as large as the database
    # A user of its own: not the database's, its backup's or its restore's.
    users = {name: pod(found, "prod", name)["spec"]["securityContext"]["runAsUser"]
             for name in ("db-drill", "db-backup", "db-restore")}
    database = found["k8s/prod/statefulset-shop-db.yaml"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert len({*users.values(), database}) == 4


def test_a_drill_reads_the_bucket_with_the_restores_read_only_role_and_reaches_nothing_else(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    account = found["k8s/prod/serviceaccount-shop-db-drill.yaml"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == \
        "arn:aws:iam::123456789012:role/shop-restore"
    assert account["automountServiceAccountToken"] is False
    template = pod(found, "prod", "db-drill")
    assert template["metadata"]["annotations"]["eks.amazonaws.com/skip-containers"] == "db-drill"
    policy = found["k8s/prod/networkpolicy-shop-db-drill.yaml"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["ingress"] == []
    egress = policy["egress"]
    # DNS, and HTTPS to public addresses (the bucket); never a pod of the app, never the database.
    assert not any("podSelector" in peer and "namespaceSelector" not in peer
                   for rule in egress for peer in rule.get("to", []))
    ports = sorted({(p["port"], p["protocol"]) for rule in egress for p in rule.get("ports", [])})
    assert ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")]
    # On a claim: mounted read-only, and nothing leaves the namespace but DNS.
    claim = {v["name"]: v for v in pod(found, "prod", "cache-drill")["spec"]["volumes"]}["backups"]
    assert claim["persistentVolumeClaim"] == {"claimName": "cache-backups", "readOnly": True}
    cache_policy = found["k8s/prod/networkpolicy-shop-cache-drill.yaml"]["spec"]
    assert {p["port"] for rule in cache_policy["egress"] for p in rule.get("ports", [])} == {53}


def test_a_failed_drill_is_a_critical_alert_where_monitoring_is_on(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    [rules] = [o for o in found.values() if o["kind"] == "PrometheusRule"]
    [drill] = [r for r in rules["spec"]["groups"][0]["rules"] if r["alert"] == "RestoreDrillFailed"]
    assert drill["labels"] == {"severity": "critical"} and "for" not in drill
    assert drill["expr"] == ('kube_job_status_failed{namespace="shop"} > 0\n  and on (namespace, job_name) '
                             'kube_job_owner{namespace="shop", owner_kind="CronJob", '
                             'owner_name=~"cache-drill|db-drill"}')
    assert "kubectl -n shop logs job/{{ $labels.job_name }}" in drill["annotations"]["runbook"]
    # Its last scheduled run not passing an hour on (the Job's failure count goes with the Job a day later), and no
    # "missed" alert for a weekly drill after the 48 hours other CronJobs get.
    by_name = {r["alert"]: r for r in rules["spec"]["groups"][0]["rules"]}
    assert by_name["RestoreDrillNotPassing"]["expr"] == (
        'kube_cronjob_status_last_schedule_time{namespace="shop", cronjob=~"cache-drill|db-drill"}\n'
        '  > kube_cronjob_status_last_successful_time{namespace="shop", cronjob=~"cache-drill|db-drill"}')
    assert by_name["RestoreDrillNotPassing"]["for"] == "1h"
    assert by_name["ScheduledJobMissed"]["expr"] == ('time() - kube_cronjob_status_last_successful_time{'
                                                     'namespace="shop", cronjob!~"cache-drill|db-drill"} > 48 * 3600')


def test_compose_runs_the_drill_on_demand_with_no_network_and_no_secret(tmp_path):
    compose = yaml.safe_load(rendered(tmp_path)["compose/compose.yaml"])
    service = compose["services"]["db-drill"]
    assert service["profiles"] == ["drill"] and service["network_mode"] == "none"
    assert "secrets" not in service and service["restart"] == "no"
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    mounts = {m["target"]: m for m in service["volumes"]}
    assert mounts["/backups"] == {"type": "volume", "source": "db-backups", "target": "/backups", "read_only": True}
    assert mounts["/var/lib/postgresql/data"]["source"] == "db-drill"  # the scratch server's files
    assert "mariadb-drill" not in compose["services"] and "plain-drill" not in compose["services"]
