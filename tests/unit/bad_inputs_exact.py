"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): values checked by the exact rule.

Each of them used to pass, most with wrong output: values that end in a newline (``re.match`` with ``$`` took them),
digits that are not ASCII, images that are not pinned references, mounts inside /proc or /sys, credentials in
URLs, egress to a metadata service or to everything in some other spelling, strings that GitHub Actions would
evaluate, file names that add a rule to an ignore file, and keywords a value object does not have.
"""

from __future__ import annotations

from unit.bad_inputs import NGINX, PG, WS

IMG = WS + NGINX + ", port=80, "
EXT = 'External(dev, "pay", host="pay.example.com", port=443, '
S3 = PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", SecretRef("s3", "credentials"), '
ROUTED = 'WebService(prod, "api", image="nginx:1.27.3", port=80, public=True, strategy=RoutedCanary(weight=10, '
KEDA = ('k = Environment(app, "stage", keda=Keda(), tls_issuer=Issuer(name="internal-ca"), data_storage=DS)\n'
        'q = StatefulDB(k, "queue", engine="redis", version="7.4")\n'
        'Worker(k, "w", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]), ')
NA = ('ns = SecureNamespace(dev, "agents", host_access="reads each node\'s logs")\n'
      'NodeAgent(ns, "agent", image="busybox:1.37.0", health=Health.exec(["true"]), ')
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5" * 4
GITLAB_TOKEN = "glpat-" + "x1Y2z3W4v5" * 2
SECRET_VALUES = ("hunter2-value", GITHUB_TOKEN, GITLAB_TOKEN)
"""Credentials used below: they must not appear in any error message either."""

TRAILING_NEWLINE_CASES = [
    ("id-ends-in-a-newline", 'WebService(dev, "api\\n", ' + NGINX + ", port=80)", "shop/dev/api\n", "id"),
    ("app-name-ends-in-a-newline", 'App("t\\n", registry="ghcr.io/acme")', "t\n", "name"),
    ("app-version-ends-in-a-newline", 'App("other", registry="ghcr.io/acme", version="1.0.0\\n")', "other",
     "version"),
    ("image-ends-in-a-newline", WS + 'image="nginx:1.27.3\\n", port=80)', "shop/dev/api", "image"),
    ("env-name-ends-in-a-newline", IMG + 'env={"MODE\\n": "a"})', "shop/dev/api", "env"),
    ("config-name-ends-in-a-newline", IMG + 'config={"MODE\\n": "a"})', "shop/dev/api", "config"),
    ("env-prefix-ends-in-a-newline", PG + 'env_prefix="DB\\n")', "shop/dev/db", "env_prefix"),
    ("file-mount-path-ends-in-a-newline", IMG + 'files={"/etc/app.yaml\\n": "config/app.yaml"})', "shop/dev/api",
     "files"),
    ("volume-folder-ends-in-a-newline", IMG + 'volumes={"/data\\n": Scratch()})', "shop/dev/api", "volumes"),
    ("digest-ends-in-a-newline", PG + 'digest="sha256:' + "a" * 64 + '\\n")', "shop/dev/db", "digest"),
    ("build-arg-name-ends-in-a-newline", WS + 'build=Build.python("py", ["x"], args={"FLAVOR\\n": "a"}), port=80)',
     "shop/dev/api", "build.args"),
    ("label-value-ends-in-a-newline", 'api = ' + IMG.rstrip(", ") + ')\napi.deployment.add_labels({"team": "a\\n"})',
     "shop/dev/api", "Deployment.labels.team"),
    ("keda-list-name-ends-in-a-newline", KEDA + 'connects_to=[q], scale_on=Queue(on=q, name="jobs\\n"))',
     "shop/stage/w", "scale_on.name"),
    ("kafka-topic-with-a-space", KEDA.replace('q = StatefulDB(k, "queue", engine="redis", version="7.4")',
                                               'q = External(k, "kafka", host="kafka.example.com", port=9093)')
     + 'connects_to=[q], scale_on=Queue(on=q, name="new orders", kind="kafka"))', "shop/stage/w", "scale_on.name"),
    ("cron-schedule-ends-in-a-newline", 'CronJob(dev, "report", image="busybox:1.37.0", command=["true"], '
     'schedule="0 3 * * *\\n")', "shop/dev/report", "schedule"),
    ("secret-store-key-ends-in-a-newline",
     'Environment(app, "stage", secret_store=SecretStore("vault", remote_key="{app}/{secret}\\n"))', "shop/stage",
     "secret_store.remote_key"),
    ("deployer-name-ends-in-a-newline", 'SecureNamespace(dev, "team", deployers=[Subject("User", "ci\\n")])',
     "shop/dev/team", "deployers[0].name"),
    ("s3-region-ends-in-a-newline", PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", '
     'SecretRef("s3", "credentials"), region="eu-west-1\\n")))', "shop/dev/db", "backup.to.region"),
]
UNICODE_DIGIT_CASES = [
    ("python-version-with-a-superscript", WS + 'build=Build.python("py", ["x"], version="³.12.8"), port=80)',
     "shop/dev/api", "build.version"),
    ("cpu-in-fullwidth-digits", IMG + 'resources=Resources(cpu="\\uff11"))', "shop/dev/api", "resources.cpu"),
    ("python-version-with-arabic-digits", WS + 'build=Build.python("py", ["x"], version="٣.١٢.٨"), port=80)',
     "shop/dev/api", "build.version"),
]
IMAGE_CASES = [
    ("routed-canary-stable-latest", ROUTED + 'stable="nginx:latest"))', "shop/prod/api", "strategy.stable"),
    ("routed-canary-stable-shell", ROUTED + 'stable="Evil Repo/x:1 ; id"))', "shop/prod/api", "strategy.stable"),
    ("routed-canary-stable-tag-latest", ROUTED + 'stable="latest"))', "shop/prod/api", "strategy.stable"),
]
KERNEL_MOUNT_CASES = [
    ("file-mounted-in-proc", IMG + 'files={"/proc/self/app.yaml": "config/app.yaml"})', "shop/dev/api",
     "files./proc/self/app.yaml"),
    ("volume-mounted-in-sys", IMG + 'volumes={"/sys/fs/data": Volume()})', "shop/dev/api", "volumes./sys/fs/data"),
    ("writable-proc", IMG + 'writable_paths=["/proc"])', "shop/dev/api", "writable_paths[0]"),
    ("writable-sys-with-double-slash", IMG + 'writable_paths=["//sys/kernel"])', "shop/dev/api", "writable_paths[0]"),
    ("node-agent-mounts-over-proc", NA + 'host_paths={"/proc": HostPath("/proc")})', "shop/dev/agents/agent",
     "host_paths./proc"),
]
CREDENTIAL_CASES = [
    ("repository-url-with-a-password",
     'App("other", registry="ghcr.io/acme", repository="https://deploy:hunter2-value@github.com/a/b.git")', "other",
     "repository"),
    ("repository-url-with-a-token-as-user",
     f'App("other", registry="ghcr.io/acme", repository="https://{GITHUB_TOKEN}@github.com/a/b.git")', "other",
     "repository"),
    ("repository-url-with-a-gitlab-token",
     f'App("other", registry="ghcr.io/acme", repository="https://gitlab.com/{GITLAB_TOKEN}/b.git")', "other",
     "repository"),
    ("repository-ssh-url-with-a-password",
     'App("other", registry="ghcr.io/acme", repository="ssh://git:hunter2-value@github.com/a/b.git")', "other",
     "repository"),
    ("s3-endpoint-with-a-token", S3 + f'endpoint="https://minio.example.com/{GITLAB_TOKEN}")))', "shop/dev/db",
     "backup.to.endpoint"),
]
EGRESS_CASES = [
    ("external-host-metadata", 'External(dev, "pay", host="169.254.169.254", port=80)', "shop/dev/pay", "host"),
    ("external-host-metadata-mapped", 'External(dev, "pay", host="::ffff:169.254.169.254", port=80)', "shop/dev/pay",
     "host"),
    ("external-host-metadata-as-a-number", 'External(dev, "pay", host="2852039166", port=80)', "shop/dev/pay",
     "host"),
    ("external-host-metadata-in-hex", 'External(dev, "pay", host="0xa9fea9fe", port=80)', "shop/dev/pay", "host"),
    ("external-host-metadata-by-name", 'External(dev, "pay", host="metadata.google.internal", port=80)',
     "shop/dev/pay", "host"),
    ("external-host-azure-wireserver", 'External(dev, "pay", host="168.63.129.16", port=80)', "shop/dev/pay", "host"),
    ("external-host-azure-wireserver-through-nat64", 'External(dev, "pay", host="64:ff9b::a83f:8110", port=80)',
     "shop/dev/pay", "host"),
    ("external-host-aws-ipv6-metadata", 'External(dev, "pay", host="fd00:ec2::254", port=80)', "shop/dev/pay",
     "host"),
    ("external-host-mapped-public", 'External(dev, "pay", host="::ffff:203.0.113.7", port=443)', "shop/dev/pay",
     "host"),
    ("external-host-with-a-zone", 'External(dev, "pay", host="fe80::1%eth0", port=80)', "shop/dev/pay", "host"),
    ("external-cidrs-split-halves", EXT + 'cidrs=["0.0.0.0/1", "128.0.0.0/1"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidrs-pieces-of-a-catch-all", EXT + 'cidrs=["192.0.0.0/2", "128.0.0.0/3", "64.0.0.0/3"])',
     "shop/dev/pay", "cidrs[2]"),
    ("external-cidr-link-local-superset", EXT + 'cidrs=["169.254.0.0/15"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-metadata-mapped", EXT + 'cidrs=["::ffff:169.254.169.254/128"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-all-of-ipv4-mapped", EXT + 'cidrs=["::ffff:0:0/96"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-metadata-through-nat64", EXT + 'cidrs=["64:ff9b::a9fe:a9fe/128"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidrs-ipv6-halves", EXT + 'cidrs=["::/1", "8000::/1"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-mapped-public", EXT + 'cidrs=["::ffff:203.0.113.0/120"])', "shop/dev/pay", "cidrs[0]"),
    ("external-cidr-loopback", EXT + 'cidrs=["127.0.0.1/32"])', "shop/dev/pay", "cidrs[0]"),
    ("s3-cidr-link-local-superset", S3 + 'cidrs=("169.254.0.0/15",))))', "shop/dev/db", "backup.to.cidrs[0]"),
]
WORKFLOW_AND_IGNORE_CASES = [
    ("dockerfile-folder-with-an-expression", WS + 'build=Build.dockerfile("d${{ secrets.PLANTED }}/Dockerfile"), '
     'port=80)', "shop/dev/api", "build.context"),
    ("dockerfile-name-with-an-expression", WS + 'build=Build.dockerfile("own/Dockerfile${{ secrets.PLANTED }}", '
     'context="own"), port=80)', "shop/dev/api", "build.dockerfile"),
    ("build-context-with-an-expression", WS + 'build=Build.python("py${{ github.token }}", ["x"]), port=80)',
     "shop/dev/api", "build.context"),
    ("config-file-name-adds-an-ignore-rule", IMG + 'files={"/etc/x.yaml": "config/x\\n!key.pem"})', "shop/dev/api",
     "files./etc/x.yaml"),
    # compose names each file '<workload>-<key>': 'a' with '/x-file-y' and 'a-file-x' with '/y' shared one.
    ("compose-config-names-clash", 'WebService(dev, "a", ' + NGINX + ', port=80, files={"/x-file-y": '
     '"config/app.yaml"})\nWebService(dev, "a-file-x", ' + NGINX + ', port=81, files={"/y": "config/extra.yaml"})',
     "shop/dev/a-file-x", "files./y"),
]
VALUE_OBJECT_CASES = [
    ("backup-storage-class-not-a-name", PG + 'backup=Backup(schedule="@daily", storage_class="Fast SSD!"))',
     "shop/dev/db", "backup.storage_class"),
    ("volume-storage-class-not-a-name", IMG + 'volumes={"/data": Volume(storage_class="Fast SSD!")})',
     "shop/dev/api", "volumes./data.storage_class"),
    ("quota-unknown-keyword", 'SecureNamespace(dev, "team", quota=Quota(config_maps=5))', "shop/dev/team",
     "quota.config_maps"),
    ("resources-unknown-keyword", IMG + 'resources=Resources(cpus="1"))', "shop/dev/api", "resources.cpus"),
    ("nested-value-object-unknown-keyword", PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", '
     'SecretRef("s3", "credentials"), regoin="eu-west-1")))', "shop/dev/db", "backup.to.regoin"),
    ("secret-ref-misspelled-required-field", IMG + 'secrets={"TOKEN": SecretRef(nmae="s", key="k")})', "SecretRef",
     "nmae"),
]
LS = ('ns = SecureNamespace(prod, "logging", host_access="the log shipper reads the node\'s container logs")\n'
      'loki = External(ns, "loki", host="logs.example.com", port=443, scheme="https")\n'
      'LogShipper(ns, "logs", ')
API = 'api_server=ApiServer(cidrs=["10.0.0.2/32"])'
LOG_SHIPPER_CASES = [
    ("log-shipper-password-without-user", LS + f'to=Loki(at=loki, password=SecretRef("loki", "token")), {API})',
     "shop/prod/logging/logs", "to.user/password"),
    ("log-shipper-password-literal", LS + f'to=Loki(at=loki, user="u", password="hunter2-value"), {API})',
     "shop/prod/logging/logs", "to.password"),
    ("log-shipper-index-upper-case", LS + 'to=Elasticsearch(at=loki, index="Logs", user="u", '
     f'password=SecretRef("es", "password")), {API})', "shop/prod/logging/logs", "to.index"),
    ("log-shipper-to-an-external", LS + f'to=loki, {API})', "shop/prod/logging/logs", "to"),
    ("log-shipper-api-server-without-addresses", LS + 'to=Otlp(at=loki), api_server=ApiServer(cidrs=[]))',
     "shop/prod/logging/logs", "api_server.cidrs"),
    ("log-shipper-api-server-metadata-address", LS + 'to=Otlp(at=loki), '
     'api_server=ApiServer(cidrs=["169.254.169.254/32"]))', "shop/prod/logging/logs", "api_server.cidrs[0]"),
    ("log-shipper-without-host-access", 'ns = SecureNamespace(prod, "logging")\n'
     'loki = External(ns, "loki", host="logs.example.com", port=443)\n'
     f'LogShipper(ns, "logs", to=Otlp(at=loki), {API})', "shop/prod/logging/logs", "host_paths/host_network"),
    ("log-shipper-in-a-local-environment", LS.replace("prod", "dev") + f'to=Otlp(at=loki), {API})',
     "shop/dev/logging/logs", "environment"),
]
EXACT_RULE_CASES = (TRAILING_NEWLINE_CASES + UNICODE_DIGIT_CASES + IMAGE_CASES + KERNEL_MOUNT_CASES + CREDENTIAL_CASES
                    + EGRESS_CASES + WORKFLOW_AND_IGNORE_CASES + VALUE_OBJECT_CASES + LOG_SHIPPER_CASES)
