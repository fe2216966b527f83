"""Every StatefulDB default, per engine, and how clients, secrets and backups are wired."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from conftest import manifests
from shipform import Backup, DataStorage, S3Target, SecretRef, SecretStore, StatefulDB, WebService
from shipform.model.engines import ENGINES
from shipform.render.secret_commands import kubectl_create_commands
from shipform.synth.pipeline import render
from shipform.validators.manifests import CRD_SCHEMAS

EXPECTED = {  # engine: (image, port, data path, probe tool)
    "postgres": ("postgres:16.6-bookworm", 5432, "/var/lib/postgresql/data", "pg_isready"),
    "mysql": ("mysql:8.4.3", 3306, "/var/lib/mysql", "mysqladmin"),
    "mariadb": ("mariadb:11.4.4", 3306, "/var/lib/mysql", "mariadb-admin"),
    "redis": ("redis:7.4.1-bookworm", 6379, "/data", "sh"),
    "mongodb": ("mongo:8.0.4", 27017, "/data/db", "mongosh"),
}
VERSIONS = {"postgres": "16", "mysql": "8.4", "mariadb": "11.4", "redis": "7.4", "mongodb": "8.0"}


def pod_of(manifest: dict) -> dict:
    return manifest["spec"]["template"]["spec"]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_engine_defaults(new_app, engine):
    _, dev, _ = new_app()
    StatefulDB(dev, "db", engine=engine, version=VERSIONS[engine])
    objects = manifests(dev)
    image, port, data_path, tool = EXPECTED[engine]
    sts = objects[("StatefulSet", "db")]
    assert sts["spec"]["replicas"] == 1 and sts["spec"]["serviceName"] == "db-headless"
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
    pod = pod_of(sts)
    c = pod["containers"][0]
    assert c["image"] == image and c["ports"][0]["containerPort"] == port
    assert {"name": "data", "mountPath": data_path} in c["volumeMounts"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["exec"]["command"][0] == tool
    # Ephemeral storage: its own 64Mi and 64Mi per writable folder (emptyDirs).
    disk = f"{64 * (1 + len(c['volumeMounts']) - sum(m['name'] in ('data', 'secrets') for m in c['volumeMounts']))}Mi"
    assert c["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": disk},
                              "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": disk}}
    uid = pod["securityContext"]["runAsUser"]  # the database's own user: its name's, not another service's
    assert c["securityContext"]["readOnlyRootFilesystem"] is True and c["securityContext"]["runAsUser"] == uid
    assert 20000 <= uid < 60000 and pod["securityContext"]["fsGroup"] == uid
    assert pod["automountServiceAccountToken"] is False
    assert pod["terminationGracePeriodSeconds"] == 65
    assert objects[("Service", "db-headless")]["spec"]["clusterIP"] == "None"
    assert objects[("Service", "db")]["spec"]["ports"][0]["port"] == port
    assert ("PodDisruptionBudget", "db") not in objects  # one replica: a budget would protect nothing
    assert objects[("NetworkPolicy", "db")]["spec"]["ingress"] == []  # no client declared: nobody gets in
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["DB_PASSWORD_FILE"] == "/run/secrets/db-credentials.password"
    assert not any("PASSWORD" in k and v and not v.startswith("/run/secrets/") for k, v in env.items())


def test_postgres_keeps_the_superuser_and_creates_an_application_owner(new_app):
    _, dev, _ = new_app()
    StatefulDB(dev, "db", engine="postgres", version="16")
    c = pod_of(manifests(dev)[("StatefulSet", "db")])["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["POSTGRES_USER"] == "postgres" and "POSTGRES_DB" not in env
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db-credentials.root-password"
    assert env["DB_PASSWORD_FILE"] == "/run/secrets/db-credentials.password"
    assert env["PGDATA"] == "/var/lib/postgresql/data/pgdata"
    script = c["args"][2]
    assert c["args"][:2] == ["sh", "-c"] and script.endswith("exec docker-entrypoint.sh postgres")
    assert 'CREATE ROLE "shop" LOGIN PASSWORD :\'app_password\';' in script
    assert 'CREATE DATABASE "shop" OWNER "shop";' in script and "REVOKE ALL ON DATABASE \"shop\" FROM PUBLIC" in script
    assert c["readinessProbe"]["exec"]["command"] == ["pg_isready", "-U", "shop", "-d", "shop", "-h", "127.0.0.1",
                                                      "-p", "5432"]
    assert [m["mountPath"] for m in c["volumeMounts"]][:2] == ["/var/run/postgresql", "/tmp"]


def test_mysql_reads_a_separate_root_password_key(new_app):
    _, dev, _ = new_app()
    StatefulDB(dev, "db", engine="mysql", version="8.4")
    c = pod_of(manifests(dev)[("StatefulSet", "db")])["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["MYSQL_ROOT_PASSWORD_FILE"] == "/run/secrets/db-credentials.root-password"
    assert env["MYSQL_PASSWORD_FILE"] == "/run/secrets/db-credentials.password"


def test_redis_password_never_reaches_a_command_line(new_app):
    _, dev, _ = new_app()
    StatefulDB(dev, "cache", engine="redis", version="7.4")
    c = pod_of(manifests(dev)[("StatefulSet", "cache")])["containers"][0]
    assert c["args"][:2] == ["sh", "-c"] and "> /tmp/redis.conf" in c["args"][2]
    assert "requirepass" not in " ".join(c["args"][2].split("exec", 1)[1:])


def test_clients_get_host_port_user_a_password_file_and_a_url_without_the_password(new_app, tmp_path):
    app, dev, _ = new_app()
    db = StatefulDB(dev, "db", engine="postgres", version="16")
    WebService(dev, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    objects = manifests(dev)
    env = pod_of(objects[("Deployment", "api")])["containers"][0]["env"]
    assert env == [
        {"name": "DB_HOST", "value": "db"}, {"name": "DB_PORT", "value": "5432"},
        {"name": "DB_NAME", "value": "shop"}, {"name": "DB_USER", "value": "shop"},
        {"name": "DB_URL", "value": "postgresql://shop@db:5432/shop"},
        {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db-credentials.password"}]
    assert "annotations" not in objects[("Deployment", "api")]["metadata"]
    assert objects[("NetworkPolicy", "db")]["spec"]["ingress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    compose = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]
    assert compose["api"]["environment"]["DB_URL"] == "postgresql://shop@db:5432/shop"
    assert compose["api"]["environment"]["DB_PASSWORD_FILE"] == "/run/secrets/db-credentials.password"
    assert compose["api"]["depends_on"]["db"] == {"condition": "service_healthy", "restart": True}


def test_the_password_in_env_vars_takes_a_reason_written_where_checkov_reads_it(new_app, tmp_path):
    app, dev, _ = new_app()
    db = StatefulDB(dev, "db", engine="mongodb", version="8.0", env_prefix="MONGO",
                    password_env="the ODM reads only MONGO_URL")
    WebService(dev, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    api = manifests(dev)[("Deployment", "api")]
    env = {e["name"]: e for e in pod_of(api)["containers"][0]["env"]}
    assert env["MONGO_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "db-credentials", "key": "password"}}
    assert env["MONGO_URL"]["value"] == "mongodb://shop:$(MONGO_PASSWORD)@db:27017/shop"
    # The password reaches the pods as env, read once at start: Reloader rolls them when the Secret changes.
    assert api["metadata"]["annotations"] == {
        "checkov.io/skip1": "CKV_K8S_35=MONGO_PASSWORD: the ODM reads only MONGO_URL",
        "secret.reloader.stakater.com/reload": "db-credentials"}
    compose = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]["api"]["environment"]
    assert compose["MONGO_URL"] == "mongodb://shop@db:27017/shop" and "MONGO_PASSWORD" not in compose


def test_compose_database_service(new_app, tmp_path):
    app, dev, _ = new_app()
    StatefulDB(dev, "db", engine="mariadb", version="11.4")
    doc = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])
    db = doc["services"]["db"]
    assert db["image"] == "mariadb:11.4.4" and db["user"] == "999:999"
    assert db["volumes"] == [{"type": "volume", "source": "db-data", "target": "/var/lib/mysql"}]
    assert db["read_only"] is True and db["tmpfs"] == ["/run/mysqld:size=64m,mode=1777", "/tmp:size=64m,mode=1777",
                                                      "/docker-entrypoint-initdb.d:size=64m,mode=1777"]
    assert db["cap_drop"] == ["ALL"] and "cap_add" not in db
    assert db["healthcheck"]["test"][:2] == ["CMD", "mariadb-admin"]
    assert doc["volumes"] == {"db-data": {}}
    # The backup user's password too: the server's init script creates that user.
    assert doc["secrets"] == {"db-credentials.password": {"file": "./secrets/db-credentials.password"},
                              "db-credentials.root-password": {"file": "./secrets/db-credentials.root-password"},
                              "db-credentials.backup-password": {"file": "./secrets/db-credentials.backup-password"}}


def test_backup_is_a_hardened_cron_job_onto_its_own_volume(new_app, tmp_path):
    app, dev, _ = new_app()
    StatefulDB(dev, "db", engine="postgres", version="16", storage="5Gi", backup=Backup(schedule="0 3 * * *"))
    objects = manifests(dev)
    cron = objects[("CronJob", "db-backup")]["spec"]
    assert cron["schedule"] == "0 3 * * *" and cron["concurrencyPolicy"] == "Forbid"
    pod = cron["jobTemplate"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == "postgres:16.6-bookworm" and c["args"][:2] == ["sh", "-c"]
    assert "pg_dump" in c["args"][2] and "--format=custom" in c["args"][2]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["RETENTION"] == "7" and env["BACKUP_DIR"] == "/var/lib/postgresql/data"
    assert {"name": "backups", "persistentVolumeClaim": {"claimName": "db-backups"}} in pod["volumes"]
    assert objects[("PersistentVolumeClaim", "db-backups")]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert c["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    ingress = objects[("NetworkPolicy", "db")]["spec"]["ingress"]
    assert ingress[0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "db-backup"
    compose = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]["db-backup"]
    assert compose["profiles"] == ["backup"] and compose["restart"] == "no"
    assert compose["volumes"] == [{"type": "volume", "source": "db-backups", "target": "/var/lib/postgresql/data"}]


def test_external_secrets_match_the_published_crd_schema(app_root):
    from shipform import App, Environment, Issuer

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    prod = Environment(app, "prod", secret_store=SecretStore("vault"), tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    db = StatefulDB(prod, "db", engine="mysql", version="8.4")
    WebService(prod, "api", image="nginx:1.27.3", port=80, connects_to=[db],
               secrets={"API_TOKEN": SecretRef("api", "token")})
    external = [m for m in manifests(prod).values() if m["kind"] == "ExternalSecret"]
    assert sorted(m["metadata"]["name"] for m in external) == ["api", "db-credentials"]
    schema = json.loads((CRD_SCHEMAS / "external-secrets.io" / "externalsecret_v1.json").read_text())
    for manifest in external:
        assert list(Draft7Validator(schema).iter_errors(manifest)) == []
    db_secret = next(m for m in external if m["metadata"]["name"] == "db-credentials")
    assert db_secret["spec"]["secretStoreRef"] == {"name": "vault", "kind": "SecretStore"}
    assert [d["secretKey"] for d in db_secret["spec"]["data"]] == ["password", "root-password"]
    assert db_secret["spec"]["data"][0]["remoteRef"] == {"key": "shop/prod/db-credentials", "property": "password"}


def test_kubectl_commands_create_every_referenced_secret_without_values(new_app):
    _, dev, _ = new_app()
    StatefulDB(dev, "db", engine="postgres", version="16")
    assert kubectl_create_commands(dev.to_spec())[1:] == [
        "set -eu",
        "shipform_base64() { printf '%s' \"$1\" | base64 | tr -d '\\n'; }",
        "shipform_base64_file() { base64 < \"$1\" | tr -d '\\n'; }",
        "command -v base64 >/dev/null || { printf '%s\\n' 'error: nothing created: base64 is not installed' >&2; "
        "exit 1; }",
        'DB_CREDENTIALS_BACKUP_PASSWORD="$(openssl rand -base64 24)"',
        'DB_CREDENTIALS_PASSWORD="$(openssl rand -base64 24)"',
        'DB_CREDENTIALS_ROOT_PASSWORD="$(openssl rand -base64 24)"',
        """printf '%s\\n' '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-credentials", """
        """"namespace": "shop"}, "type": "Opaque", "data": {"backup-password": "'"$(shipform_base64 "$DB_CREDENTIALS_"""
        """BACKUP_PASSWORD")"'", "password": "'"$(shipform_base64 "$DB_CREDENTIALS_"""
        """PASSWORD")"'", "root-password": "'"$(shipform_base64 "$DB_CREDENTIALS_ROOT_PASSWORD")"'"}}' """
        """| kubectl -n shop create -f -"""]


def test_offsite_backup_dumps_then_uploads_with_file_credentials(new_app, tmp_path):
    app, dev, _ = new_app()
    target = S3Target(bucket="acme-backups", credentials=SecretRef("s3", "credentials"),
                      endpoint="https://minio.example.com:9443",
                      restore_credentials=SecretRef("s3-read", "credentials"))
    StatefulDB(dev, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", retention=3, to=target))
    objects = manifests(dev)
    assert ("PersistentVolumeClaim", "db-backups") not in objects
    pod = objects[("CronJob", "db-backup")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["dump"]
    upload = pod["containers"][0]
    assert upload["name"] == "upload" and upload["image"] == "amazon/aws-cli:2.22.12"
    assert upload["command"][:2] == ["sh", "-c"] and 's3 cp --only-show-errors --sse "$S3_SSE"' in upload["command"][2]
    assert " rm " not in upload["command"][2] and " ls " not in upload["command"][2]  # it only ever writes
    env = {e["name"]: e["value"] for e in upload["env"]}
    assert env["S3_BUCKET"] == "acme-backups" and env["S3_PREFIX"] == "shop/dev" and env["S3_SSE"] == "AES256"
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == "/run/secrets/s3.credentials"
    # One credential per container: the dump sees the database password only, the upload the S3 keys only.
    dump = pod["initContainers"][0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    secrets_of = {c["name"]: [s["secret"]["name"] for m in c["volumeMounts"] if m["mountPath"] == "/run/secrets"
                              for s in volumes[m["name"]]["projected"]["sources"]] for c in (dump, upload)}
    assert secrets_of == {"dump": ["db-credentials"], "upload": ["s3"]}
    assert env["S3_ENDPOINT"] == "https://minio.example.com:9443"
    assert not any("valueFrom" in e for e in upload["env"])
    assert upload["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "backups", "emptyDir": {"sizeLimit": "10Gi"}} in pod["volumes"]
    egress = objects[("NetworkPolicy", "db-backup")]["spec"]["egress"]
    assert egress[-1]["ports"] == [{"port": 9443, "protocol": "TCP"}]
    v4, v6 = egress[-1]["to"]  # any public address: never the cluster's network or the metadata service
    assert v4["ipBlock"]["cidr"] == "0.0.0.0/0" and "169.254.0.0/16" in v4["ipBlock"]["except"]
    assert v6["ipBlock"]["cidr"] == "::/0" and "fe80::/10" in v6["ipBlock"]["except"]
    compose = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]["db-backup"]
    assert compose["volumes"][0]["source"] == "db-backups"  # compose keeps dumps locally
    assert [s["source"] for s in compose["secrets"]] == ["db-credentials.backup-password"]  # the dump's login


def test_sse_kms_names_its_key(new_app):
    _, dev, _ = new_app()
    target = S3Target(bucket="acme-backups", credentials=SecretRef("s3", "credentials"), encryption="aws:kms",
                      kms_key="alias/backups", restore_credentials=SecretRef("s3-read", "credentials"))
    StatefulDB(dev, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=target))
    pod = manifests(dev)[("CronJob", "db-backup")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["S3_SSE"] == "aws:kms" and env["S3_SSE_KMS_KEY_ID"] == "alias/backups"


def test_engine_image_can_be_pinned_by_digest(new_app):
    _, dev, _ = new_app()
    digest = "sha256:" + "b" * 64
    StatefulDB(dev, "db", engine="postgres", version="16", digest=digest, backup=Backup(schedule="@daily"))
    objects = manifests(dev)
    assert pod_of(objects[("StatefulSet", "db")])["containers"][0]["image"] == f"postgres:16.6-bookworm@{digest}"
    backup_pod = objects[("CronJob", "db-backup")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert backup_pod["containers"][0]["image"] == f"postgres:16.6-bookworm@{digest}"
