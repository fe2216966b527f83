"""A highly available Postgres as rendered (StatefulDB(ha=Ha(...))): a CloudNativePG Cluster instead of the
StatefulSet, with its instances, anti-affinity, the operator's PodDisruptionBudgets, the app's database and owner from
the Secret the clients read, barman's backups by Secret reference only and a ScheduledBackup on the backup's schedule;
clients reach '<name>-rw'; the NetworkPolicy admits exactly the clients, the operator, the cluster's own pods and
Prometheus, and reaches only the cluster's pods, the API server and the bucket. compose keeps one server."""

from __future__ import annotations

import dataclasses
import re

import yaml

from conftest import assert_match_crd_schemas, exec_app, k8s_objects, synthesized_source
from shipform import spec
from shipform.model import ha
from shipform.render import external_secrets, secret_commands
from shipform.render.network_peers import PUBLIC
from shipform.values import checks

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), monitoring=Monitoring(),
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))
API = ApiServer(cidrs=["10.0.0.10/32"], port=6443)
for env in (dev, prod):
    web = SecureNamespace(env, "web")
    data = SecureNamespace(env, "data", accepts_from=[web])
    db = StatefulDB(data, "db", engine="postgres", version="16", storage="20Gi", backup=Backup(
        schedule="0 3 * * *", to=S3Target("acme-pg", endpoint="https://minio.example.com:9000",
                                          cidrs=("10.50.0.0/24",))),
        ha=Ha(api_server=API, access_key_id=SecretRef("pg-s3", "ACCESS_KEY_ID"),
              secret_access_key=SecretRef("pg-s3", "ACCESS_SECRET_KEY")))
    WebService(web, "api", image="nginx:1.27.3", port=8080, connects_to=[db])
    if env is prod:  # recovered from db's backups at a time, as a new cluster with a folder of its own
        StatefulDB(data, "restored", engine="postgres", version="16", backup=Backup(
            schedule="@daily", to=S3Target("acme-pg", identity=AwsRole("arn:aws:iam::123456789012:role/pg"))),
            ha=Ha(api_server=API, instances=2, anti_affinity="preferred",
                  recovery=Recovery(source="db", target_time="2026-03-01T09:30:00Z")))
'''
CLUSTER_LABEL = {"cnpg.io/cluster": "db"}


def rendered(tmp_path) -> dict[str, str]:
    return synthesized_source(APP, tmp_path)


objects = k8s_objects


def test_the_database_is_a_cluster_of_three_with_no_statefulset_service_or_budget_of_shipform(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in found.values()}
    assert ("Cluster", "db") in kinds and ("ScheduledBackup", "db") in kinds
    # The operator makes the pods, their Services ('-rw', '-ro', '-r'), ServiceAccount and PodDisruptionBudgets.
    for kind in ("StatefulSet", "Service", "ServiceAccount", "PodDisruptionBudget", "CronJob"):
        assert not any(k == kind and n.startswith("db") for k, n in kinds), kind
    cluster = found["k8s/prod/cluster-data-db.yaml"]["spec"]
    assert cluster["instances"] == 3
    assert cluster["enablePDB"] is True
    assert cluster["affinity"] == {"enablePodAntiAffinity": True, "podAntiAffinityType": "required",
                                   "topologyKey": "kubernetes.io/hostname"}
    assert cluster["imageName"].startswith("ghcr.io/cloudnative-pg/postgresql:16.")
    assert re.search(r"-system-bookworm@sha256:[0-9a-f]{64}$", cluster["imageName"])  # the catalog's digest
    assert cluster["enableSuperuserAccess"] is False
    assert cluster["storage"] == {"size": "20Gi", "storageClass": "shop-prod-data"}
    assert cluster["resources"]["limits"]["memory"] == "1Gi"
    # The operator's own PodMonitor (enablePodMonitor) is deprecated and carries no labels of ours: shipform's
    # PodMonitor selects the instances (not the Jobs) by CloudNativePG's labels, on the exporter's named port.
    assert "monitoring" not in cluster
    monitor = found["k8s/prod/podmonitor-data-db.yaml"]
    assert monitor["spec"] == {"selector": {"matchLabels": {"cnpg.io/cluster": "db", "cnpg.io/podRole": "instance"}},
                               "podMetricsEndpoints": [{"port": "metrics"}]}


def test_initdb_makes_the_apps_database_and_owner_from_the_secret_the_clients_read(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    initdb = found["k8s/prod/cluster-data-db.yaml"]["spec"]["bootstrap"]["initdb"]
    assert (initdb["database"], initdb["owner"], initdb["secret"]) == ("shop", "shop", {"name": "db-credentials"})
    env = {e["name"]: e for e in found["k8s/prod/deployment-web-api.yaml"]["spec"]["template"]["spec"]["containers"][0]
           ["env"]}
    assert env["DB_HOST"]["value"] == "db-rw.data"  # CloudNativePG's read-write Service follows the primary
    assert env["DB_URL"]["value"].startswith("postgresql://shop@db-rw.data:5432/shop?")
    assert env["DB_PASSWORD_FILE"]["value"] == "/run/secrets/db-credentials.password"
    # The server certificate names the operator's Services; clients verify it with the same ca.crt as before.
    certificate = found["k8s/prod/certificate-data-db-tls.yaml"]["spec"]
    assert "db-rw.data.svc" in certificate["dnsNames"] and "db.data" not in certificate["dnsNames"]
    assert found["k8s/prod/cluster-data-db.yaml"]["spec"]["certificates"] == {"serverTLSSecret": "db-tls",
                                                                               "serverCASecret": "db-tls"}


def test_the_owner_secrets_username_is_the_owner_written_by_shipform_never_asked_for(tmp_path):
    """CloudNativePG refuses the owner's Secret when 'username' is not the owner ("wrong username ... expected
    ..."): shipform knows the name, so the script and the ExternalSecret write it instead of asking for it."""
    app = exec_app(APP, tmp_path)
    prod = next(e for e in app.environments if e.name == "prod").to_spec()
    script = "\n".join(secret_commands.kubectl_create_commands(prod))
    assert "DB_CREDENTIALS_USERNAME=shop\n" in script + "\n"
    assert ("db-credentials", "username") not in secret_commands.asked_variables(prod)
    assert "read by the CloudNativePG Cluster of data/db" in script  # barman's keys name their reader
    stored = dataclasses.replace(prod, secret_source=spec.SecretSource("vault", "SecretStore",
                                                                       "{app}/{environment}/{secret}", "1h"))
    credentials = next(d for d in external_secrets.external_secrets(stored) if d["metadata"]["name"] ==
                       "db-credentials")
    assert credentials["spec"]["target"]["template"] == {"mergePolicy": "Merge", "data": {"username": "shop"}}
    assert "username" not in {e["secretKey"] for e in credentials["spec"]["data"]}
    assert "password" in {e["secretKey"] for e in credentials["spec"]["data"]}  # the store's keys, merged in
    assert_match_crd_schemas([credentials])


def test_barman_writes_to_the_bucket_with_keys_by_reference_only(tmp_path):
    files = rendered(tmp_path)
    found = objects(files, "prod")
    cluster = found["k8s/prod/cluster-data-db.yaml"]["spec"]
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"] == "s3://acme-pg/shop/prod" and store["serverName"] == "db"
    assert store["endpointURL"] == "https://minio.example.com:9000"
    assert store["s3Credentials"] == {"accessKeyId": {"name": "pg-s3", "key": "ACCESS_KEY_ID"},
                                      "secretAccessKey": {"name": "pg-s3", "key": "ACCESS_SECRET_KEY"}}
    assert store["wal"]["encryption"] == store["data"]["encryption"] == "AES256"
    assert cluster["backup"]["retentionPolicy"] == "30d"
    scheduled = found["k8s/prod/scheduledbackup-data-db.yaml"]["spec"]
    assert scheduled == {"schedule": "0 0 3 * * *", "cluster": {"name": "db"}, "method": "barmanObjectStore",
                         "immediate": True, "backupOwnerReference": "self"}
    text = files["k8s/prod/cluster-data-db.yaml"]
    assert "stringData" not in text and "password:" not in text  # no value, only names of Secrets and keys


def test_recovery_bootstraps_from_the_old_clusters_folder_at_a_time_as_an_iam_role(tmp_path):
    spec = objects(rendered(tmp_path), "prod")["k8s/prod/cluster-data-restored.yaml"]["spec"]
    assert spec["instances"] == 2 and spec["affinity"]["podAntiAffinityType"] == "preferred"
    assert spec["bootstrap"] == {"recovery": {"database": "shop", "owner": "shop", "secret": {
        "name": "restored-credentials"}, "source": "origin", "recoveryTarget": {"targetTime": "2026-03-01T09:30:00Z"}}}
    origin = spec["externalClusters"][0]
    assert origin["name"] == "origin" and origin["barmanObjectStore"]["serverName"] == "db"
    assert spec["backup"]["barmanObjectStore"]["serverName"] == "restored"
    assert spec["backup"]["barmanObjectStore"]["s3Credentials"] == {"inheritFromIAMRole": True}
    assert spec["serviceAccountTemplate"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == \
        "arn:aws:iam::123456789012:role/pg"


def test_the_network_policy_admits_and_reaches_exactly_what_the_cluster_needs(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    policy = found["k8s/prod/networkpolicy-data-db.yaml"]["spec"]
    assert policy["podSelector"] == {"matchLabels": CLUSTER_LABEL}

    def ports(numbers):
        return [{"port": n, "protocol": "TCP"} for n in numbers]
    own = {"podSelector": {"matchLabels": CLUSTER_LABEL}}
    assert policy["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of":
                                                   "shop"}},
                   "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}],
         "ports": ports([5432])},
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "cloudnative-pg"}}}],
         "ports": ports([8000])},
        {"from": [own], "ports": ports([5432, 8000])},
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}], "ports": ports([9187])}]
    egress = policy["egress"][1:]  # after DNS
    assert egress == [{"to": [{"ipBlock": {"cidr": "10.50.0.0/24"}}], "ports": ports([9000])},
                      {"to": [own], "ports": ports([5432, 8000])},
                      {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}], "ports": ports([6443])}]
    assert not any(rule["to"] == PUBLIC for rule in egress)
    client = found["k8s/prod/networkpolicy-web-api.yaml"]["spec"]["egress"]
    assert {"to": [{"podSelector": {"matchLabels": CLUSTER_LABEL}, "namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "data"}}}], "ports": ports([5432])} in client


def test_the_cluster_and_its_scheduled_backup_match_cloudnative_pgs_schemas(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    assert_match_crd_schemas([o for o in found.values() if o["apiVersion"] == "postgresql.cnpg.io/v1"
                              or o["kind"] == "PodMonitor"])


def test_the_local_environment_keeps_one_server_in_compose_and_a_preferred_rule_in_kubernetes(tmp_path):
    files = rendered(tmp_path)
    compose = yaml.safe_load(files["compose/compose.yaml"])["services"]
    assert compose["db"]["image"].startswith("postgres:16.")  # the official image, one server
    assert "replicas" not in compose["db"]["deploy"]
    assert compose["api"]["environment"]["DB_HOST"] == "db"  # compose's service name, not '-rw'
    cluster = objects(files, "dev")["k8s/dev/cluster-data-db.yaml"]["spec"]
    assert cluster["affinity"]["podAntiAffinityType"] == "preferred"  # a one-node cluster still runs all three


def test_deployers_may_apply_clusters_and_scheduled_backups(tmp_path):
    found = objects(rendered(tmp_path), "prod")
    grants = {(g, r) for o in found.values() if o["kind"] == "Role" for rule in o["rules"]
              for g in rule["apiGroups"] for r in rule["resources"]}
    assert not grants or {("postgresql.cnpg.io", "clusters"), ("postgresql.cnpg.io", "scheduledbackups")} <= grants


def test_recovery_times_are_those_cloudnative_pgs_admission_parses():
    """Checked against machinery's ParseTargetTime (lib/pq's timestamp, then Go's RFC 3339), which the Cluster's
    webhook runs: these parse; an offset without its colon does not, and is refused here too."""
    accepted = ("2026-03-01T09:30:00Z", "2026-03-01T09:30:00+01:00", "2026-03-01T09:30:00.123456+01:00",
                "2026-03-01 09:30:00+01:00", "2026-03-01 09:30:00.5+01:00", "2026-03-01 09:30:00Z")
    assert all(checks.matches(ha._TIME, t) for t in accepted)
    assert not any(checks.matches(ha._TIME, t) for t in ("2026-03-01T09:30:00+0100", "2026-03-01 09:30:00+0100"))
