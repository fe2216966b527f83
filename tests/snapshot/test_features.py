"""Snapshots of small apps that each show one feature: only the files that show it, as {path: text}.

The reference app in apps/ is pinned once, by the committed dist/ folder (`shipform synth --check`), and
is not snapshotted here. Update these with `pytest tests/snapshot --snapshot-update` and read the diff.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import exec_app, write_sources
from shipform.synth.pipeline import render
from shipform.testing import objects


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The build contexts "py", "node" and "go" of conftest.write_sources, shared by every app here."""
    root = tmp_path_factory.mktemp("features")
    write_sources(root)
    return root


class Synth:
    """synth(source, *prefixes) -> the rendered files whose path starts with one of the prefixes.

    Every prefix must match a file, so a renamed file fails here instead of leaving a snapshot empty.
    ``rendered`` holds every file of the last call, for asserting what is absent."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rendered: dict[str, str] = {}

    def __call__(self, source: str, *prefixes: str) -> dict[str, str]:
        self.rendered = files = render(exec_app(textwrap.dedent(source), self.folder), self.folder / "out")
        unmatched = [p for p in prefixes if not any(path.startswith(p) for path in files)]
        assert not unmatched, f"no file starts with {unmatched}; rendered: {sorted(files)}"
        return {path: text for path, text in files.items() if path.startswith(prefixes)}


@pytest.fixture
def synth(folder) -> Synth:
    return Synth(folder)


def test_minimal_web_service(synth, snapshot):
    """A WebService on a prebuilt image in a local Environment: its restricted Namespace (named after the app),
    ServiceAccount without token, NetworkPolicy admitting nothing, ClusterIP Service, hardened Deployment with
    TCP probes, the kustomization in apply order, and the compose service (no connections: network_mode none)."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "api", image="ghcr.io/acme/api:1.0.0", port=8000)
    """
    files = synth(source, "k8s/dev/", "compose/compose.yaml")
    assert files == snapshot


def test_public_autoscaled_web_service(synth, snapshot):
    """A public WebService with autoscaling, in prod (replicas=3, a domain, a cluster_issuer): an Ingress with TLS
    for web.example.com and the cert-manager annotation, an HPA (3-10 at 70% CPU) and a Deployment without fixed
    replicas, a PDB, a NetworkPolicy admitting the ingress controller's namespace on the port; in compose the port
    published on 127.0.0.1 through the web-public network."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True, domain="dev.example.com")
        prod = Environment(app, "prod",
                           replicas=3, domain="example.com", cluster_issuer="letsencrypt",
                           data_storage=DataStorage("ebs.csi.aws.com"))
        for env in (dev, prod):
            WebService(env, "web", image="ghcr.io/acme/web:1.0.0", port=8080, public=True,
                       autoscale=Autoscale(min=3, max=10, cpu_percent=70))
    """
    files = synth(source, "k8s/prod/deployment-", "k8s/prod/horizontalpodautoscaler-", "k8s/prod/ingress-",
                  "k8s/prod/networkpolicy-", "k8s/prod/poddisruptionbudget-", "compose/compose.yaml")
    assert files == snapshot


def test_python_build_with_http_health(synth, snapshot):
    """A Python service built from source with Health.http: the multi-stage Dockerfile (requirements.txt into
    /opt/venv, tini, a generated Python probe that GETs /healthz, HEALTHCHECK, numeric USER), its
    .dockerignore, compose `build:` with the real context and the generated Dockerfile plus a healthcheck running
    the probe, and httpGet probes on the app-built image in Kubernetes."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "api", build=Build.python("py", ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]),
                   port=8000, health=Health.http("/healthz"))
    """
    files = synth(source, "docker/api/", "compose/compose.yaml", "k8s/dev/deployment-")
    assert files == snapshot


def test_go_build_with_tcp_health(synth, snapshot):
    """A Go service built from source with Health.tcp: a static binary (CGO off) on a scratch runtime with CA
    certificates and passwd/group entries copied in, and a static Go probe that dials the port."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "catalog", build=Build.go("go"), port=8080, health=Health.tcp())
    """
    files = synth(source, "docker/catalog/Dockerfile")
    assert set(files) == {"docker/catalog/Dockerfile", "docker/catalog/Dockerfile.dockerignore"}
    del files["docker/catalog/Dockerfile.dockerignore"]  # the same for every preset; shown by the Python test
    assert files == snapshot


def test_workers_with_and_without_health(synth, snapshot):
    """Two Workers: "mailer" with Health.exec gets exec startup/readiness/liveness probes and a compose
    healthcheck running the command; "indexer" without health gets no probes and no healthcheck. Neither has a
    port or a Service."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        Worker(dev, "mailer", image="ghcr.io/acme/mailer:1.0.0",
               health=Health.exec(["python", "-m", "mailer.healthcheck"]))
        Worker(dev, "indexer", image="ghcr.io/acme/indexer:1.0.0", command=["python", "-m", "indexer"],
               health=Health.none("a batch indexer that exits on any error; restarts cover it"))
    """
    files = synth(source, "k8s/dev/deployment-", "compose/compose.yaml")
    assert files == snapshot


def test_cron_job_with_time_zone_and_job_with_image_of(synth, snapshot):
    """A CronJob with timeZone Europe/Berlin (Forbid, deadlines, history limits, restartPolicy Never) and a
    one-off Job "seed" that runs the api's image (image_of) with its own command; in compose both are one-shot
    services under the `jobs` profile, seed built from the api's Dockerfile."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        api = WebService(dev, "api", build=Build.python("py", ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]),
                         port=8000)
        CronJob(dev, "report", schedule="0 6 * * *", time_zone="Europe/Berlin", image="ghcr.io/acme/report:1.0.0")
        Job(dev, "seed", image_of=api, command=["python", "-m", "seed"])
    """
    files = synth(source, "k8s/dev/cronjob-", "k8s/dev/job-", "compose/compose.yaml")
    assert files == snapshot


def test_migration_under_argocd_and_flux(synth, snapshot):
    """A WebService with a Migration. Argo CD: a Job api-migrate as PreSync hook (BeforeHookCreation, wave 0) with
    its ServiceAccount and NetworkPolicy as hooks in wave -1. Flux: no Job, the migration is an init container
    "migrate" of the Deployment. compose: a one-shot api-migrate service that api depends_on with
    service_completed_successfully."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        argocd = Environment(app, "argocd",
                             gitops="argocd", unpinned_images="a test app: never pushed",
                             data_storage=DataStorage("ebs.csi.aws.com"))
        flux = Environment(app, "flux",
                           gitops="flux", unpinned_images="a test app: never pushed",
                           data_storage=DataStorage("ebs.csi.aws.com"))
        for env in (dev, argocd, flux):
            WebService(env, "api", build=Build.python("py", ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]),
                       port=8000, migrate=Migration(["python", "-m", "migrate"]))
    """
    files = synth(source, "k8s/argocd/job-shop-api-migrate", "k8s/argocd/serviceaccount-shop-api-migrate",
                  "k8s/argocd/networkpolicy-shop-api-migrate", "k8s/flux/deployment-", "compose/compose.yaml")
    assert files == snapshot


def test_postgres_with_a_client(synth, snapshot):
    """A postgres StatefulDB and a client: the client's DB_* env vars (in Kubernetes DB_PASSWORD from a
    secretKeyRef expanded into DB_URL; in compose a URL without password) and the password as a secret file; the
    StatefulSet with a volumeClaimTemplate, pg_isready probes and writable emptyDirs; the headless and ClusterIP
    Services; the database's NetworkPolicy admitting only the client on 5432; in compose the named volume, an
    internal network shared by the two, depends_on service_healthy, the file secret and its .gitignore."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"),
                           data_storage=DataStorage("ebs.csi.aws.com"))
        for env in (dev, prod):
            db = StatefulDB(env, "db", engine="postgres", version="16", storage="20Gi")
            WebService(env, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db])
    """
    files = synth(source, "k8s/prod/deployment-shop-api", "k8s/prod/statefulset-shop-db", "k8s/prod/service-shop-db",
                  "k8s/prod/networkpolicy-shop-db", "compose/")
    assert files == snapshot


def test_backup_to_a_volume_and_to_s3(synth, snapshot):
    """A postgres StatefulDB whose Backup goes to a volume in dev and to an S3Target in prod. dev: CronJob
    db-backup running pg_dump into the PersistentVolumeClaim db-backups with retention 7. prod: the dump as an init
    container into an emptyDir, then amazon/aws-cli uploads it to s3://acme-backups/shop/prod/ with the
    credentials file from a Secret, and the job's NetworkPolicy allows 443 out. compose: a one-shot db-backup
    service under the `backup` profile writing to the named volume db-backups."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"),
                           data_storage=DataStorage("ebs.csi.aws.com"))
        offsite = S3Target(bucket="acme-backups", credentials=SecretRef("backup-s3", "credentials"),
                           restore_credentials=SecretRef("restore-s3", "credentials"))
        for env in (dev, prod):
            StatefulDB(env, "db", engine="postgres", version="16", storage="20Gi",
                       backup=Backup(schedule="0 3 * * *", retention=7, to=offsite if env is prod else None))
    """
    files = synth(source, "k8s/dev/cronjob-", "k8s/dev/persistentvolumeclaim-", "k8s/prod/cronjob-",
                  "k8s/prod/networkpolicy-shop-db-backup", "compose/compose.yaml")
    assert files == snapshot


def test_secure_namespaces_with_a_cross_namespace_connection(synth, snapshot):
    """Two SecureNamespaces: "back" accepts_from "front", whose web connects to back's api. Each gets its Namespace
    (Pod Security restricted), ResourceQuota (back with its own Quota), LimitRange, default-deny and allow-dns
    NetworkPolicies, and a deployer Role bound to Argo CD's controller; front also binds viewers (a read-only Role
    plus pods, pods/log and events). The workload NetworkPolicies pair up across namespaces (web's egress and api's
    ingress, namespaceSelector plus podSelector, port 8000), and web gets API_HOST/_PORT/_URL."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))
        argocd = Subject.service_account("argocd", "argocd-application-controller")
        front = SecureNamespace(prod, "front", deployers=[argocd], viewers=[Subject.group("shop-developers")])
        back = SecureNamespace(prod, "back", accepts_from=[front], deployers=[argocd],
                               quota=Quota(cpu="2", memory="4Gi", cpu_limit="4", memory_limit="8Gi"))
        api = WebService(back, "api", image="ghcr.io/acme/api:1.0.0", port=8000)
        WebService(front, "web", image="ghcr.io/acme/web:1.0.0", port=8080, connects_to=[api])
    """
    files = synth(source, "k8s/prod/namespace-", "k8s/prod/resourcequota-", "k8s/prod/limitrange-", "k8s/prod/role-",
                  "k8s/prod/rolebinding-", "k8s/prod/networkpolicy-", "k8s/prod/deployment-front-web")
    assert files == snapshot


def test_secret_store_makes_external_secrets(synth, snapshot):
    """An Environment with secret_store=SecretStore("vault"): one ExternalSecret (external-secrets.io/v1, from the
    SecretStore vault in its namespace, remote key shop/prod/<secret>) per referenced Secret, for a service's
    SecretRefs and for the database's default credentials, applied before the workloads."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", secret_store=SecretStore("vault"), tls_issuer=Issuer(name="internal-ca"),
                           data_storage=DataStorage("ebs.csi.aws.com"))
        db = StatefulDB(prod, "db", engine="postgres", version="16", storage="20Gi")
        WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db],
                   secrets={"SESSION_KEY": SecretRef("api-secrets", "session-key"),
                            "SIGNING_KEY": SecretRef("api-secrets", "signing-key")})
    """
    files = synth(source, "k8s/prod/externalsecret-", "k8s/prod/kustomization.yaml")
    assert files == snapshot


def test_json_patch_reaches_the_output(synth, snapshot):
    """The escape hatch: an RFC 6902 patch on api.deployment adds `paused: true` at the end of the Deployment's
    spec."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))
        api = WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000)
        api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})
    """
    files = synth(source, "k8s/prod/deployment-shop-api")
    assert "  paused: true\n" in files["k8s/prod/deployment-shop-api.yaml"]
    assert files == snapshot


def test_configuration_values_and_files(synth, folder, snapshot):
    """config= and files=: one immutable ConfigMap named by its content's hash, the values as configMapKeyRef env,
    each file mounted read-only by subPath; in compose the values as environment and the files as configs read
    from the app's own files; the file inside the build context is left out of the image."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                   config={"LOG_LEVEL": "debug", "FEATURE_FLAGS": "search,cart"},
                   files={"/etc/app/app.yaml": "config/app.yaml", "/etc/app/logging.ini": "py/logging.ini"})
    """
    (folder / "py" / "logging.ini").write_text("[loggers]\nkeys = root\n")
    files = synth(source, "k8s/dev/configmap-", "k8s/dev/deployment-", "compose/compose.yaml",
                  "docker/api/Dockerfile.dockerignore")
    assert files == snapshot


def test_named_ports_grpc_health_and_a_host_header(synth, snapshot):
    """ports= on a Go service: every port in EXPOSE, the container and the Service (appProtocol from the name), a
    gRPC probe on the grpc port (the image's HEALTHCHECK checks it accepts connections); clients allowed one or two
    ports each, in their NetworkPolicies and env; a Python service whose HTTP check sends a Host header."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))
        catalog = WebService(prod, "catalog", build=Build.go("go"), health=Health.grpc("shop.Catalog"),
                             ports={"grpc": 50051, "metrics": 9090, "http": 8080})
        WebService(prod, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                   health=Health.http("/healthz", host="api.shop.example.com"), connects_to=[catalog])
        Worker(prod, "indexer", image="ghcr.io/acme/indexer:1.0.0", connects_to=[catalog.on("http", "metrics")],
               health=Health.none("exits when the catalog is gone; restarts cover it"))
    """
    files = synth(source, "docker/catalog/Dockerfile", "docker/api/Dockerfile", "k8s/prod/service-shop-catalog",
                  "k8s/prod/networkpolicy-shop-", "k8s/prod/deployment-shop-catalog", "k8s/prod/deployment-shop-api",
                  "k8s/prod/deployment-shop-indexer")
    catalog = files["k8s/prod/deployment-shop-catalog.yaml"]
    assert "grpc:\n              port: 50051\n              service: shop.Catalog\n" in catalog
    assert "EXPOSE 50051 9090 8080\n" in files["docker/catalog/Dockerfile"]
    assert files == snapshot


def test_volumes_on_a_web_service(synth, snapshot):
    """volumes=: a ReadWriteOnce claim makes the Deployment replace its one pod (Recreate), a ReadWriteMany one on
    a named class keeps rolling updates; Scratch is a sized emptyDir (tmpfs in compose); the image creates the
    claim's folder owned by the app user, so a new compose volume is writable; the quota counts the claims."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        ns = SecureNamespace(dev, "shop", quota=Quota(storage="20Gi", persistent_volume_claims=2))
        WebService(ns, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                   volumes={"/data/uploads": Volume(size="10Gi"), "/var/cache/thumbs": Scratch(size="2Gi")})
        WebService(ns, "files", image="ghcr.io/acme/files:1.0.0", port=8001, replicas=2,
                   volumes={"/srv/files": Volume(size="5Gi", access_mode="ReadWriteMany", storage_class="nfs")})
    """
    files = synth(source, "k8s/dev/persistentvolumeclaim-", "k8s/dev/deployment-", "compose/compose.yaml",
                  "docker/api/Dockerfile")
    assert "    type: Recreate\n" in files["k8s/dev/deployment-shop-api.yaml"]
    assert "    type: RollingUpdate\n" in files["k8s/dev/deployment-shop-files.yaml"]
    assert files == snapshot


def test_services_outside_the_cluster(synth, snapshot):
    """External servers: clients get their host, port, URL and secrets as files; the NetworkPolicy reaches a
    managed database at its subnet only and a SaaS API at any public address (private, shared, link-local and
    loopback ranges excepted), on their ports only; compose gives the client a network with a route off the
    host; under Cilium the SaaS API is allowed by its name instead."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"), cilium=True)
        for env in (dev, prod):
            saas = External(env, "payments", host="api.payments.example.com", port=443, scheme="https",
                            secrets={"API_KEY": SecretRef("payments", "api-key")})
            ledger = External(env, "ledger", host="10.40.0.12", port=5432, scheme="postgres", cidrs=["10.40.0.0/24"])
            WebService(env, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[saas, ledger])
    """
    files = synth(source, "k8s/dev/networkpolicy-shop-api", "k8s/prod/networkpolicy-shop-api",
                  "k8s/prod/ciliumnetworkpolicy-shop-api-fqdn", "k8s/prod/deployment-shop-api", "compose/compose.yaml")
    assert "cidr: 0.0.0.0/0\n" in files["k8s/dev/networkpolicy-shop-api.yaml"]
    assert "cidr: 0.0.0.0/0\n" not in files["k8s/prod/networkpolicy-shop-api.yaml"]
    assert files == snapshot


def test_build_and_runtime_packages_and_build_arguments(synth, snapshot):
    """build_packages join tini in the build stage's one apt-get install, runtime_packages get their own in the
    runtime stage before USER; names without a version carry hadolint's DL3008 exception with its reason; build
    arguments are ARG lines of the build stage."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))
        WebService(prod, "api", port=8000, build=Build.python("py", ["gunicorn", "app:app"],
                   build_packages=["gcc", "libmariadb-dev=1:10.11.6-0+deb12u1"], runtime_packages=["libmariadb3"],
                   args={"PIP_INDEX_URL": "https://pypi.example.com/simple"}))
        WebService(prod, "web", port=3000, build=Build.node("node", ["node", "server.js"],
                   runtime_packages=["fonts-dejavu-core=2.37-6"]))
    """
    files = synth(source, "docker/api/Dockerfile", "docker/web/Dockerfile")
    assert "# hadolint ignore=DL3008\n" not in files["docker/web/Dockerfile"]  # every package pinned
    assert files == snapshot


def test_escape_hatches_annotations_labels_patches_and_included_manifests(synth, folder, snapshot):
    """Typed metadata on a construct's objects (Ingress timeouts for WebSockets, a team label), a JSON patch that
    adds to a map the Service does not have (its annotations), and hand-written manifests the Environment
    includes: one file per object, listed in the kustomization that GitOps applies."""
    (folder / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: shop\ndata:\n"
        "  search: 'on'\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: reporter\n  namespace: shop\n")
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"), domain="example.com")
        api = WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, public=True)
        api.ingress.add_annotations({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
                                     "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600"})
        api.deployment.add_labels({"acme.com/team": "checkout"})
        api.service.add_json_patch({"op": "add", "path": "/metadata/annotations/acme.com~1owner", "value": "ops"})
        prod.include("extra.yaml")
    """
    files = synth(source, "k8s/prod/ingress-", "k8s/prod/service-", "k8s/prod/configmap-",
                  "k8s/prod/serviceaccount-shop-reporter", "k8s/prod/kustomization.yaml")
    assert "configmap-shop-feature-flags.yaml" in files["k8s/prod/kustomization.yaml"]
    assert "    acme.com/owner: ops\n" in files["k8s/prod/service-shop-api.yaml"]
    assert files == snapshot


def test_load_balancer_node_port_and_gateway_routes(synth, snapshot):
    """expose='load-balancer' with source ranges (loadBalancerSourceRanges, externalTrafficPolicy Local, the
    NetworkPolicy admitting only those ranges on every port, counted by the quota), expose='node-port', and a
    public service under an Environment with a Gateway: an HTTPRoute attached to it instead of an Ingress."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod",
                           data_storage=DataStorage("ebs.csi.aws.com"), domain="example.com", gateway="gateways/public",
                           ingress_namespace="envoy-gateway-system")
        ns = SecureNamespace(prod, "shop", quota=Quota(load_balancers=1, node_ports=3))
        WebService(ns, "broker", image="ghcr.io/acme/broker:1.0.0", ports={"mqtt": 1883, "ws": 8083},
                   expose="load-balancer", source_ranges=["203.0.113.0/24"])
        WebService(ns, "debug", image="ghcr.io/acme/debug:1.0.0", port=9000, expose="node-port")
        WebService(ns, "web", image="ghcr.io/acme/web:1.0.0", port=3000, public=True)
    """
    files = synth(source, "k8s/prod/service-", "k8s/prod/networkpolicy-shop-broker", "k8s/prod/networkpolicy-shop-web",
                  "k8s/prod/httproute-", "k8s/prod/resourcequota-")
    assert objects(synth.rendered, "Ingress") == []  # the Gateway's HTTPRoute routes "web" instead
    assert files == snapshot


def test_node_agent_with_host_access(synth, snapshot):
    """A NodeAgent: a DaemonSet replaced one node at a time, tolerating every taint, at system-node-critical
    priority, reading the node's /var/log read-only; its SecureNamespace states why and enforces Pod Security
    'privileged' while auditing and warning at 'restricted'; the hostPath finding is accepted with that reason;
    the quota holds max_nodes pods; an admission policy bound to the namespace admits that read-only folder and no
    other host access. Locally a compose service with the folder bound read-only."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        ns = SecureNamespace(dev, "agents", host_access="the log shipper reads each node's /var/log",
                             quota=Quota(pods=30, cpu="6", memory="8Gi", cpu_limit="16", memory_limit="16Gi"))
        NodeAgent(ns, "log-shipper", image="ghcr.io/acme/log-shipper:1.0.0", health=Health.exec(["/bin/health"]),
                  tolerations=[Toleration.everything()], priority_class="system-node-critical", max_nodes=25,
                  host_paths={"/host/var/log": HostPath("/var/log")})
    """
    files = synth(source, "k8s/dev/daemonset-", "k8s/dev/namespace-", "k8s/dev/validatingadmissionpolicy",
                  ".trivyignore.yaml", "compose/compose.yaml")
    assert "readOnly: true" in files["k8s/dev/daemonset-agents-log-shipper.yaml"]
    assert files == snapshot


def test_a_teams_own_dockerfile(synth, snapshot):
    """Build.dockerfile keeps the team's Dockerfile: nothing is generated for it; compose builds from it, CI lints,
    builds, scans and signs it like a generated one, Kubernetes runs its image; its final USER matches the pod's
    (checked at synth)."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0", workflows="output")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "legacy", build=Build.dockerfile("own/Dockerfile"), port=8000,
                   health=Health.exec(["python", "-m", "app.health"]), run_as_user=10001, run_as_group=10001)
    """
    files = synth(source, "compose/compose.yaml", ".github/workflows/shop-ci.yaml", ".github/workflows/shop-build.yaml",
                  "k8s/dev/deployment-shop-legacy")
    assert not [path for path in synth.rendered if path.startswith("docker/")]  # no Dockerfile, no ignore file
    assert files == snapshot


def test_node_on_the_distroless_runtime(synth, snapshot):
    """runtime='distroless': the runtime stage is the distroless Node image of the same major version, pinned by
    digest, with no RUN at all (it has no shell); the probe program runs with distroless's node; the numeric USER,
    tini, HEALTHCHECK and CMD are the same as on the Debian runtime."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))
        WebService(prod, "web", build=Build.node("node", ["node", "server.js"], runtime="distroless",
                   runtime_digest="sha256:" + "b" * 64), port=3000, health=Health.http("/healthz"))
    """
    files = synth(source, "docker/web/Dockerfile")
    runtime = files["docker/web/Dockerfile"].split("\nFROM gcr.io/distroless/")[1]
    assert "\nRUN " not in runtime and "'#!/nodejs/bin/node'" in files["docker/web/Dockerfile"]
    assert files == snapshot


def test_canary_with_analysis_by_argo_rollouts(synth, snapshot):
    """A public service rolled out as a canary by Argo Rollouts behind ingress-nginx: the Rollout (setWeight and
    pause steps, nginx traffic routing to the canary Service), the canary Service, the AnalysisTemplate on
    Prometheus and the ServiceMonitor keeping each version's hash."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod",
                           domain="example.com", rollouts="argo", monitoring=Monitoring(),
                           data_storage=DataStorage("ebs.csi.aws.com"))
        WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", ports={"http": 8000, "metrics": 9090}, public=True,
                   metrics=Metrics(), strategy=Canary(steps=[20, "5m", 50, "promote"],
                                                      analysis=Analysis(query='sum(up{service="{{args.service}}"})',
                                                                        success="result[0] >= 1")))
    """
    files = synth(source, "k8s/prod/rollout-", "k8s/prod/service-", "k8s/prod/analysistemplate-",
                  "k8s/prod/servicemonitor-")
    assert files == snapshot


def test_worker_scaled_to_zero_by_keda(synth, snapshot):
    """A worker draining a redis list: the ScaledObject (0 to 10 replicas, five waiting jobs each) as KEDA's own
    redis user, the TriggerAuthentication with that user's password by reference, the Deployment without replicas,
    the database's ACL giving that user the list's length alone, and its NetworkPolicy admitting KEDA's operator
    on its port."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod", keda=Keda(), tls_issuer=Issuer(name="internal-ca"),
                           data_storage=DataStorage("ebs.csi.aws.com"))
        queue = StatefulDB(prod, "queue", engine="redis", version="7.4")
        Worker(prod, "mailer", image="ghcr.io/acme/mailer:1.0.0", command=["mailer"], connects_to=[queue],
               health=Health.exec(["mailer", "--check"]), scale_on=Queue(on=queue, name="mail"))
    """
    files = synth(source, "k8s/prod/scaledobject-", "k8s/prod/triggerauthentication-",
                  "k8s/prod/deployment-shop-mailer", "k8s/prod/networkpolicy-shop-queue",
                  "k8s/prod/statefulset-shop-queue")
    assert files == snapshot


@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_a_namespace_in_the_mesh(synth, snapshot, mesh):
    """A namespace enrolled in Istio or Linkerd: its enrollment and defaults, each server's authorization from
    the connects_to graph, the public service's plain-text port, retries, timeouts, circuit breaking and rate
    limit, the sidecar's annotations, and the NetworkPolicies' egress to the control plane."""
    source = f"""
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod",
                           data_storage=DataStorage("ebs.csi.aws.com"), domain="example.com", mesh=Mesh(kind="{mesh}"))
        ns = SecureNamespace(prod, "shop", mesh="{mesh}")
        db = StatefulDB(ns, "db", engine="postgres", version="16")
        api = WebService(ns, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[db])
        WebService(ns, "web", image="ghcr.io/acme/web:1.0.0", port=3000, public=True, connects_to=[api])
    """
    kinds = {"istio": ("authorizationpolicy-", "peerauthentication-", "virtualservice-", "destinationrule-",
                       "envoyfilter-"),
             "linkerd": ("authorizationpolicy-", "server-", "meshtlsauthentication-", "networkauthentication-",
                         "httplocalratelimitpolicy-", "service-shop-api")}[mesh]
    files = synth(source, "k8s/prod/namespace-", "k8s/prod/deployment-shop-api", "k8s/prod/networkpolicy-shop-web",
                  *(f"k8s/prod/{k}" for k in kinds))
    assert files == snapshot


def test_serverless_web_service_on_knative(synth, snapshot):
    """A public service scaled to zero by Knative: the Knative Service (the pod-spec subset, scale and
    queue-proxy annotations), the DomainMapping for its host, its NetworkPolicy admitting Knative's gateway,
    activator and autoscaler, and a client's egress to the gateway."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        prod = Environment(app, "prod",
                           data_storage=DataStorage("ebs.csi.aws.com"), domain="example.com", knative=KnativeServing())
        api = WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, public=True,
                         serverless=Serverless(max=5))
        Worker(prod, "poller", image="ghcr.io/acme/poller:1.0.0", command=["poll"], connects_to=[api],
               health=Health.exec(["poll", "--check"]))
    """
    files = synth(source, "k8s/prod/service-shop-api", "k8s/prod/domainmapping-", "k8s/prod/networkpolicy-shop-")
    assert files == snapshot


def test_events_through_a_knative_eventing_broker(synth, snapshot):
    """A Broker fed by a schedule, a client that sends to it (K_SINK, egress to the broker ingress pods) and a
    service that receives two kinds of events (Triggers, its NetworkPolicy admitting the broker filter pods); the
    compose service's labels say a local run has none of it."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        bus = Broker(dev, "bus")
        tick = PingSource(dev, "tick", schedule="*/10 * * * *", to=bus)
        WebService(dev, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[bus])
        WebService(dev, "mailer", image="ghcr.io/acme/mailer:1.0.0", port=8080,
                   events=[On(bus, type="order.placed"), On(tick)])
    """
    files = synth(source, "k8s/dev/broker-", "k8s/dev/pingsource-", "k8s/dev/trigger-", "k8s/dev/networkpolicy-shop-",
                  "k8s/dev/deployment-shop-api", "compose/compose.yaml")
    assert files == snapshot


def test_the_cleanup_of_a_registry_that_takes_deletes(synth, snapshot):
    """keep_images_days on a registry other than GHCR: skopeo, logged in with the registry's credentials in the
    GitHub environment 'release', no packages scope (GHCR's variant is the reference app's shop-cleanup.yaml)."""
    source = """
        from shipform import *
        app = App("shop", registry="registry.example.com/acme", version="1.0.0", workflows="output",
                  keep_images_days=14)
        dev = Environment(app, "dev", local=True)
        WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    """
    files = synth(source, ".github/workflows/shop-cleanup.yaml")
    assert "KIND: registry" in files[".github/workflows/shop-cleanup.yaml"]
    assert files == snapshot


def test_alert_routes_and_service_level_objectives(synth, snapshot):
    """Monitoring(receivers=...) with a pager and a chat: an AlertmanagerConfig (critical to PagerDuty, the rest to
    Slack, credentials by Secret key) and the ExternalSecret of its Secret; a public WebService with an Slo: its
    recording rules and page and ticket alerts in the namespace's PrometheusRule, on ingress-nginx's metrics."""
    source = """
        from shipform import *
        app = App("shop", registry="ghcr.io/acme", version="1.0.0")
        receivers = Receivers(critical=[PagerDuty(routing_key=SecretRef("alerting", "pagerduty-key"))],
                              warning=[Slack(webhook=SecretRef("alerting", "slack-webhook"), channel="#alerts")])
        prod = Environment(app, "prod", domain="example.com", secret_store=SecretStore("vault"),
                           monitoring=Monitoring(receivers=receivers))
        WebService(prod, "web", image="ghcr.io/acme/web:1.0.0", port=3000, public=True,
                   slo=Slo(availability=0.995, latency=Latency(threshold="1s", target=0.95)))
    """
    files = synth(source, "k8s/prod/alertmanagerconfig-", "k8s/prod/prometheusrule-",
                  "k8s/prod/externalsecret-shop-alerting")
    assert files == snapshot
