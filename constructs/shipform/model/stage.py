"""The roots of a construct tree: the App (a cdk8s.App) and its Environments (cdk8s.Charts), as users create
them, with their props, defaults and validation. What they run at synth time (``App.synth()``,
``Environment.to_json()``) is the pipeline's, which :mod:`shipform.synth` installs here when it is imported
(``from shipform import App`` imports it): the model never imports the pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypedDict, Unpack

import cdk8s
from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model import app_source
from shipform.model.app_file import caller_file, run_as_script
from shipform.model.base_registry import check_base_registry
from shipform.model.cluster import Cluster
from shipform.model.collecting import _Collector, _collector, synth_deferred
from shipform.model.data_storage import DataStorage
from shipform.model.database_tls import Issuer, tls_settings
from shipform.model.destination import Destination, destination_of
from shipform.model.image_reasons import unpinned_reason, unsigned_reason
from shipform.model.included import read_included
from shipform.model.keda import Keda
from shipform.model.knative import KnativeServing
from shipform.model.members import Member, WorkloadMember
from shipform.model.mesh import Mesh
from shipform.model.namespace_props import default_guards
from shipform.model.observability import Monitoring, Telemetry
from shipform.model.quota import container_range_errors, fitted_quota
from shipform.model.secret_store import PullSecret, SecretStore
from shipform.model.users import ServiceUsers
from shipform.providers.exposure import exposure_for
from shipform.providers.gitops import GITOPS
from shipform.providers.rollout import rollout_controller
from shipform.values import checks
from shipform.values.cron import validate_workflow_schedule
from shipform.values.prop_types import check_props

POD_SECURITY_VERSION = "v1.33"
"""The Pod Security Standards version namespaces pin, so a cluster upgrade cannot loosen or tighten them."""

class Synthesizer(Protocol):
    """What runs at synth time: the pipeline (:mod:`shipform.synth` installs it)."""

    def synth(self, app: App) -> None:
        """Validate, render and write every output of ``app``."""

    def manifests(self, environment: Environment) -> list[Any]:
        """The Environment's Kubernetes objects as cdk8s sees them."""

    def script_started(self, apps: list[App]) -> None:
        """``python app.py`` creates its first App (``apps``, which its later ones join): report the problems of
        an App never synthesized, and a construct error that stops the program, as synth reports them."""


_synthesizer: Synthesizer | None = None


def install_synthesizer(synthesizer: Synthesizer) -> None:
    """Make ``App.synth()`` and ``Environment.to_json()`` run ``synthesizer``."""
    global _synthesizer
    _synthesizer = synthesizer


def _installed() -> Synthesizer:
    if _synthesizer is None:
        raise RuntimeError("nothing synthesizes shipform apps yet: import App and Environment from shipform "
                           "(`from shipform import App, Environment`), which installs the pipeline")
    return _synthesizer


class App(cdk8s.App):
    """The system being shipped. Its name prefixes image names and construct paths.

    :param name: the app's name, a DNS label (e.g. 'shop').
    :param registry: where built images are pushed (e.g. 'ghcr.io/acme'); image names are
        ``<registry>/<name>-<service>:<version>``.
    :param version: Default: '0.1.0'. The tag of images built from source; bump it to release.
    :param outdir: Default: CDK8S_OUTDIR, else cdk8s.yaml 'output', else 'dist'; relative to the project root
        (cdk8s.yaml upwards from the app file, else the git root, else the app file's folder). Output goes to
        ``<outdir>/<name>/``. The CLI's --outdir, relative to the working folder, takes precedence.
    :param root: Default: the folder of the file that creates the App. Build contexts are relative to it.
    :param repository: Default: None (no GitOps objects). The URL of the git repository the output is
        committed to (e.g. 'https://github.com/acme/shop.git'); each Environment then gets an Argo CD
        Application or a Flux GitRepository and Kustomization pointing at its folder.
    :param repository_secret: Default: None (a public repository). The Secret, in Flux's namespace, that Flux's
        GitRepository logs in with (``secretRef``): ``username`` and ``password`` (a token) for https, ``identity``
        and ``known_hosts`` for ssh. Argo CD reads its own repository Secrets instead (guide: Delivery).
    :param branch: Default: 'main'. The branch Argo CD or Flux follow, and CI builds.
    :param workflows: Default: 'repository': the GitHub Actions workflows go to the repository's
        ``.github/workflows/`` (as ``<app>-ci.yaml``, ``<app>-build.yaml``, ``<app>-promote.yaml``). 'output'
        writes them under the app's output folder instead (``<outdir>/<app>/.github/workflows/``), where
        GitHub does not run them (the reference apps of shipform's own repository do this).
    :param build_secrets: Default: () (none). Credentials of private package indexes the build workflow hands
        BuildKit, each from the repository secret ``BUILD_<ID>`` (``BUILD_NETRC``, ``BUILD_PIP_CONF``,
        ``BUILD_UV_TOML``, ``BUILD_NPMRC``): 'netrc' (pip, uv and Go), 'pip.conf', 'uv.toml', 'npmrc'. The
        Dockerfiles mount them only while dependencies install; never an ARG, an ENV or a layer.
    :param keep_images_days: Default: None (nothing is deleted). With a number of days, a weekly workflow
        ``<app>-cleanup.yaml`` deletes the ``sha-<commit>`` tags of the built images whose digest the lock file on
        the default branch does not name and whose commit is older than that, with their signatures and
        attestations; version tags, and any digest a kept tag also names, stay (guide: Delivery, "Image retention").
    :param base_registry: Default: None (Docker Hub). A pull-through cache or mirror of Docker Hub (e.g.
        'registry.acme.internal/dockerhub') the generated Dockerfiles pull Docker Hub's base images from: official
        images as ``<base_registry>/library/<name>:<tag>``, others as ``<base_registry>/<namespace>/<name>:<tag>``;
        images of other registries stay (model.base_registry).
    :param patch_schedule: Default: '23 4 * * 1' (Mondays, 04:23 UTC). When the patch workflow
        (``<app>-patch.yaml``) re-resolves the pinned digests and rescans what every Environment runs: a GitHub
        Actions cron, five fields, UTC.
    """

    name: str
    environments: list[Environment]

    def __init__(self, name: str, *, registry: str, version: str = "0.1.0", outdir: str | Path | None = None,
                 root: str | Path | None = None, repository: str | None = None,
                 repository_secret: str | None = None, branch: str = "main",
                 workflows: Literal["repository", "output"] = "repository", build_secrets: Sequence[str] = (),
                 keep_images_days: int | None = None,
                 base_registry: str | None = None,
                 patch_schedule: str = spec.App.patch_schedule):
        collector = _collector.get()
        if collector is None and run_as_script():  # the rest of the program collects every construct's errors
            collector = _Collector(defer_synth=False, collect_errors=True, script=True)
            _collector.set(collector)
            _installed().script_started(collector.apps)
        checks.dns_label(name, "name", name)
        if not isinstance(registry, str) or not registry or registry.endswith("/") or ":" in registry.split("/")[-1]:
            raise ShipformError(name, "registry", "must be a registry host and path without a tag", registry,
                                "write e.g. 'ghcr.io/acme'")
        if not checks.is_image_name(f"{registry}/{name}"):
            raise ShipformError(name, "registry", "must be a lowercase registry host and path", registry,
                                f"write e.g. '{registry.lower()}'" if registry != registry.lower()
                                else "write e.g. 'ghcr.io/acme'")
        if not isinstance(version, str) or not checks.is_label_value(version) or version in ("", "latest"):
            raise ShipformError(name, "version", "must be an image tag that is also a Kubernetes label value (at "
                                "most 63 of letters, digits, '.', '_' and '-', starting and ending with a letter or "
                                "digit) other than 'latest'",
                                version, "write e.g. '1.4.2' (as a string)")
        if collector is not None and any(a.name == name for a in collector.apps):
            raise ShipformError(name, "name", "is already the name of another App in this file (both would write "
                                f"<outdir>/{name})", name, "give each App its own name")
        if outdir:
            super().__init__(outdir=str(outdir))
        else:
            super().__init__()
        self.name = name
        self.registry = registry
        self.version = version
        self.outdir_option = None if outdir is None else str(outdir)
        self.source_file = caller_file()
        self.root = Path(root) if root is not None else self.source_file.parent
        self.workflows = checks.one_of(name, "workflows", workflows, ("repository", "output"))
        self.repository = None if repository is None else app_source.git_url(name, repository)
        self.branch = app_source.git_branch(name, branch)
        self.repository_secret = None if repository_secret is None else checks.subdomain_name(
            name, "repository_secret", repository_secret, "shop-git")
        self.build_secrets = app_source.build_secrets(name, build_secrets)
        self.keep_images_days = app_source.keep_images_days(name, keep_images_days)
        self.base_registry = check_base_registry(name, base_registry)
        self.patch_schedule = validate_workflow_schedule(name, "patch_schedule", patch_schedule)
        self.environments: list[Environment] = []
        self.users = ServiceUsers(name, lambda: (w for env in self.environments for w in env.workloads),
                                  lambda: sum(len(env.workloads) for env in self.environments))
        """The UID each service runs as when no prop sets it (model.users)."""
        self.construction_errors: list[ShipformError] = []
        """The errors of constructs that could not be built while errors are collected; synth reports them."""
        if collector is not None:
            collector.apps.append(self)

    def synth(self) -> None:
        """Validate, render and write every output under ``<outdir>/<name>/`` (a no-op while the CLI
        collects apps: it synthesizes them itself, with its own options)."""
        if synth_deferred():
            return
        _installed().synth(self)

    def image_for(self, service: str) -> str:
        return f"{self.registry}/{self.name}-{service}:{self.version}"

    @property
    def local_environment(self) -> Environment | None:
        return next((e for e in self.environments if e.local), None)

    def source_repository(self) -> spec.SourceRepository | None:
        """The GitHub repository ``repository`` names (its server, '<owner>/<name>', the default branch), as the
        build workflow's signing identity has it; None without one, or when its path is not '<owner>/<name>'."""
        if self.repository is None:
            return None
        found = app_source.source_repository(self.repository)
        return None if found is None else spec.SourceRepository(*found, self.branch)

    def to_spec(self) -> spec.App:
        source = spec.GitSource(self.repository, self.branch, self.repository_secret) if self.repository else None
        return spec.App(self.name, self.version, tuple(e.to_spec() for e in self.environments), source,
                        self.registry, self.build_secrets, self.source_repository(),
                        keep_images_days=self.keep_images_days, patch_schedule=self.patch_schedule)


class EnvironmentProps(TypedDict, total=False):
    local: bool
    """Default: False. The local environment also becomes the compose file (one per app)."""
    replicas: int
    """Default: 1. Replicas for services that set none; above 1 adds PodDisruptionBudgets."""
    domain: str | None
    """Default: None. Public services get ``<service>.<domain>`` unless they set ``host``."""
    namespace: str | None
    """Default: the app's name. Namespace of workloads not placed in a SecureNamespace."""
    ingress_class: str
    """Default: 'nginx'. ``ingressClassName`` of generated Ingresses."""
    ingress_namespace: str
    """Default: 'ingress-nginx'. Where the ingress controller runs; public services admit traffic from it."""
    ingress_pods: Mapping[str, str] | None
    """Default: the labels of ingress-nginx's controller pods when ``ingress_class`` is 'nginx', else None.
    The labels of the controller's pods: public services admit those pods only, not every pod of
    ``ingress_namespace``; None admits the whole namespace."""
    cluster_issuer: str | None
    """Default: None. A cert-manager ClusterIssuer that issues the Ingress TLS certificates."""
    tls_issuer: Issuer | None
    """Default: None. The cert-manager issuer of the databases' certificates (:class:`Issuer`): in an Environment
    that is not local, each StatefulDB outside a mesh serves TLS only with a Certificate it issues, and its clients
    verify it; needed there unless ``plain_databases`` says why not. On a local Environment it asks for the same."""
    plain_databases: str | None
    """Default: None. Why the databases of this Environment that is not local speak plain text (one line), written on
    each one's StatefulSet (``shipform.dev/plain-text-reason``)."""
    gitops: str
    """Default: 'argocd'. What applies the output, a provider of ``shipform.providers.gitops.GITOPS``: 'argocd'
    (migrations are Sync hook Jobs in a wave after the databases), 'flux' (no hooks: migrations are init
    containers), or 'kubectl': a deploy workflow applies it from CI (with ``cluster``), ordered as for Flux."""
    cluster: Cluster | None
    """Default: None. With gitops='kubectl', the cluster the deploy workflow applies the Environment to."""
    destination: Destination | None
    """Default: None: the cluster the GitOps controller runs in. Another cluster, by name or API server URL
    (:class:`Destination`); no two Environments may own a namespace on the same cluster."""
    secret_store: SecretStore | None
    """Default: None, meaning referenced Secrets are created by hand (see ``shipform secrets kubectl``).
    A :class:`SecretStore` emits an ExternalSecret for each instead."""
    pull_secret: PullSecret | None
    """Default: None (images are pulled without credentials). The docker config Secret (:class:`PullSecret`) every
    ServiceAccount of the namespaces that hold workloads names in ``imagePullSecrets``; refused on a local one."""
    gitops_namespace: str | None
    """Default: 'argocd' for Argo CD, 'flux-system' for Flux. Where the Application or the GitRepository
    and Kustomization of this Environment go (with ``App(repository=...)``)."""
    gateway: str | None
    """Default: None (public services get an Ingress). '<namespace>/<name>' of a Gateway API Gateway: public
    services get an HTTPRoute attached to it instead (the Gateway terminates TLS and must allow routes from
    their namespaces); ``ingress_namespace`` then names where its proxies run."""
    monitoring: Monitoring | None
    """Default: None. prometheus-operator runs in the cluster (:class:`Monitoring`): WebServices with ``metrics=``
    get a ServiceMonitor and admit Prometheus' pods on that port, and every namespace gets default alerts (a
    PrometheusRule). Without it, nothing is emitted for metrics (the CRDs may not exist)."""
    telemetry: Telemetry | None
    """Default: None. An OpenTelemetry Collector in the cluster (:class:`Telemetry`): the app's services, workers and
    jobs get ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_PROTOCOL``, ``OTEL_SERVICE_NAME`` (the workload's
    name) and ``OTEL_RESOURCE_ATTRIBUTES`` (namespace, Environment, version) in Kubernetes, and their
    NetworkPolicies reach the collector's pods on its port. Databases and backups do not."""
    rollouts: str | None
    """Default: None. 'argo' (a controller of ``shipform.providers.rollout.ROLLOUTS``): Argo Rollouts runs in the
    cluster, so services may roll out by ``strategy=Canary(...)`` or ``BlueGreen(...)`` (a Rollout instead of a
    Deployment). Without it those strategies are refused: nothing would step the weights or switch the Service."""
    keda: Keda | None
    """Default: None. KEDA runs in the cluster (:class:`Keda`): Workers may scale by a queue's length
    (``scale_on=Queue(...)``), down to zero."""
    knative: KnativeServing | None
    """Default: None. Knative Serving runs in the cluster (:class:`KnativeServing`): WebServices may scale to zero
    by requests (``serverless=Serverless()``)."""
    mesh: Mesh | None
    """Default: None. A service mesh runs in the cluster (:class:`Mesh`); SecureNamespaces enroll with
    ``mesh='istio'``."""
    cilium: bool
    """Default: False. The cluster runs Cilium: a workload reaches an External server that has a host name (and
    no ``cidrs``) through a CiliumNetworkPolicy ``toFQDNs`` rule for that name, instead of a NetworkPolicy rule
    for every public address."""
    priority_classes: bool
    """Default: False. True renders the Environment's PriorityClasses (cluster-scoped, named
    ``<app>-<environment>-<tier>``): 'data' (100000) for databases, 'serving' (50000) for WebServices, node agents and
    migrations, 'background' (10000, never preempting) for workers, cron jobs and jobs; every pod names its tier's."""
    data_storage: DataStorage | None
    """Default: None. A :class:`DataStorage` renders a StorageClass that retains released volumes, which the
    databases' volumes use; outside a local Environment, a database without it names a ``storage_class`` that
    retains or sets ``reclaim_policy='Delete'``."""
    unpinned_images: str | None
    """Default: None: every image the app builds runs here by the digest the lock file has for this Environment,
    and synth refuses one without (CI records digests into the first Environment; ``shipform promote`` copies them
    to the next). Only on an Environment after the first: why it may run such images by their tag instead, in one
    line without ',' (e.g. 'staging follows main on purpose and holds no customer data'). Each workload that does
    then states it as checkov's accepted risk CKV_K8S_43 (image without a digest), in its annotations."""
    unsigned_images: str | None
    """Default: None: an Environment that is not local, of an App whose ``repository`` is on GitHub, gets
    ClusterImagePolicies of sigstore's policy-controller that admit into its namespaces only the images the
    repository's build workflow signed and attested (and the third-party images it runs), and its Namespaces opt
    in. Why the Environment goes without them instead (e.g. 'the cluster runs no policy-controller yet'), in one
    line: trivy's KSV-0125 statement then says so."""


class Environment(cdk8s.Chart):
    """One deployment target (dev, staging, prod): a cdk8s Chart holding the whole construct tree.
    Props: :class:`EnvironmentProps`."""

    name: str

    def __init__(self, app: App, name: str, **props: Unpack[EnvironmentProps]):
        path = f"{app.name}/{name}" if isinstance(app, App) else str(name)
        if not isinstance(app, App):
            raise ShipformError(path, "app", "must be an App", app, "pass the App the Environment belongs to")
        checks.dns_label(path, "name", name)
        check_props(path, props, EnvironmentProps)
        if any(e.name == name for e in app.environments):
            raise ShipformError(path, "name", "is already used by another Environment of this app", name,
                                "give each Environment a unique name")
        self.local = props.get("local", False)
        if self.local and app.local_environment is not None:
            raise ShipformError(path, "local", f"is already set on '{app.local_environment.name}'", self.local,
                                "mark exactly one Environment local=True; it becomes the compose file")
        self.replicas = checks.positive_int(path, "replicas", props.get("replicas", 1))
        self.domain = props.get("domain")
        if self.domain is not None:
            checks.dns_name(path, "domain", self.domain)
        self.default_namespace = checks.dns_label(path, "namespace", props.get("namespace") or app.name)
        self.ingress_class = checks.dns_label(path, "ingress_class", props.get("ingress_class", "nginx"))
        self.ingress_namespace = checks.dns_label(path, "ingress_namespace",
                                                  props.get("ingress_namespace", "ingress-nginx"))
        default_pods = exposure_for(self.ingress_class, None).default_pods
        pods = props.get("ingress_pods", default_pods)
        self.ingress_pods = None if pods is None else checks.pod_labels(
            path, "ingress_pods", pods, "{'app.kubernetes.io/name': 'traefik'}", " (or be None)")
        self.cluster_issuer = props.get("cluster_issuer")
        if self.cluster_issuer is not None:
            checks.subdomain_name(path, "cluster_issuer", self.cluster_issuer, "letsencrypt")
        self.tls_issuer, self.plain_databases = tls_settings(path, props.get("tls_issuer"),
                                                             props.get("plain_databases"))
        gitops = GITOPS.choose(path, "gitops", props.get("gitops", "argocd"))
        self.gitops = gitops.name
        cluster = props.get("cluster")
        if (cluster is None) == gitops.from_ci:
            raise ShipformError(path, "cluster", "is needed exactly when gitops='kubectl' (CI deploys the "
                                "Environment itself)", cluster, "pass gitops='kubectl' with cluster=Cluster.eks(...), "
                                "or drop cluster")
        self.cluster = None if cluster is None else cluster.to_spec(path)
        self.destination = destination_of(path, props.get("destination"), gitops)
        self.cilium = props.get("cilium", False)
        self.priority_classes = props.get("priority_classes", False)
        data_storage = props.get("data_storage")
        self.data_storage = None if data_storage is None else data_storage.to_spec(path, f"{app.name}-{name}-data")
        self.unpinned_images = unpinned_reason(path, props.get("unpinned_images"), first=not app.environments)
        self.unsigned_images = unsigned_reason(path, props.get("unsigned_images"), self.local)
        self.rollouts = rollout_controller(path, props.get("rollouts"))
        knative = props.get("knative")
        self.knative = knative.to_spec(path) if knative is not None else None
        mesh = props.get("mesh")
        self.mesh = mesh.to_spec(path) if mesh is not None else None
        keda = props.get("keda")
        self.keda = keda.to_spec(path) if keda is not None else None
        self.gateway = props.get("gateway")
        if self.gateway is not None:
            namespace, _, gateway = self.gateway.partition("/")
            if not (checks.is_dns_label(namespace) and checks.is_dns_subdomain(gateway)):
                raise ShipformError(path, "gateway", "must be '<namespace>/<name>' of a Gateway", self.gateway,
                                    "write e.g. gateway='gateways/public'")
        self.gitops_namespace = checks.dns_label(path, "gitops_namespace",
                                                 props.get("gitops_namespace") or gitops.default_namespace)
        monitoring = props.get("monitoring")
        self.monitoring = monitoring.to_spec(path) if monitoring is not None else None
        telemetry = props.get("telemetry")
        self.telemetry = telemetry.to_spec(path) if telemetry is not None else None
        self.secret_store = props.get("secret_store")
        if self.secret_store is not None:
            self.secret_store.validate(path)
        pull = props.get("pull_secret")
        self.pull_secret = pull.to_spec(path, self.local, self.secret_store) if pull is not None else None
        super().__init__(app, name, disable_resource_name_hashes=True)
        self.app = app
        self.name = name
        self.path = path
        self.members: list[Member] = []
        """Every shipform construct of this Environment, in creation order: the construct tree's index, which each
        construct joins as it is created (reading the tree through jsii would cost a call per construct)."""
        self.workloads: list[WorkloadMember] = []
        """The workloads among the members."""
        self.included: list[str] = []
        self.namespace_pull_secrets: dict[str, spec.PullSecretSpec] = {}
        """Each SecureNamespace's own pull secret, by name (it joins as it is created)."""
        self._meshed: set[str] = set()
        self._meshed_read = 0
        app.environments.append(self)

    def to_spec(self) -> spec.Environment:
        """The Environment as every output sees it, produced once per synth."""
        declared = [ns for m in self.members if (ns := m.namespace_spec()) is not None]
        clients: dict[int, list[WorkloadMember]] = {}  # by id() of the target: one pass, not a scan per workload
        for client in self.workloads:
            for target in client.targets():
                clients.setdefault(id(target), []).append(client)
        namespaces = [*(spec.Namespace(n, self.app.name, POD_SECURITY_VERSION, self.implicit_guards(n))
                        for n in self.implicit_namespaces()), *declared]
        events = [found for m in self.members if (found := m.eventing_spec()) is not None]
        eventing = spec.Eventing(tuple(e for e in events if isinstance(e, spec.Broker)),
                                 tuple(e for e in events if not isinstance(e, spec.Broker)))
        signed_by = None if self.local or self.unsigned_images else self.app.source_repository()
        if signed_by is not None:  # the Namespaces opt in to policy-controller
            namespaces = [replace(ns, verify_images=True) for ns in namespaces]
        return spec.Environment(
            app=self.app.name, name=self.name, local=self.local, gitops=self.gitops, namespaces=tuple(namespaces),
            workloads=tuple(w.to_spec(clients.get(id(w), [])) for w in self.workloads),
            secret_source=self.secret_store.to_spec() if self.secret_store else None,
            gitops_namespace=self.gitops_namespace, cluster=self.cluster, cilium=self.cilium,
            data_storage=self.data_storage, unpinned_images=self.unpinned_images, destination=self.destination,
            monitoring=self.monitoring, signed_by=signed_by, unsigned_images=self.unsigned_images,
            pull_secret=self.pull_secret, eventing=eventing)

    def pull_secret_of(self, namespace: str) -> spec.PullSecretSpec | None:
        return self.namespace_pull_secrets.get(namespace, self.pull_secret)

    def to_json(self) -> list[Any]:
        """Foreign cdk8s objects (ApiObjects, cdk8s-plus) first, then shipform's objects, which never cross
        into jsii one by one: that keeps synth fast however many objects there are."""
        return _installed().manifests(self)

    def mesh_of(self, namespace: str) -> spec.Mesh | None:
        """The mesh the namespace is enrolled in (by its SecureNamespace), or None."""
        if self.mesh is None:
            return None
        return self.mesh if namespace in self._meshed_namespaces() else None

    def _meshed_namespaces(self) -> set[str]:
        """The namespaces whose SecureNamespace enrolls them in the mesh, as the members declare them. Members
        only join and a namespace's declaration never changes, so each member is asked once."""
        for member in self.members[self._meshed_read:]:
            declared = member.namespace_spec()
            if declared is not None and declared.mesh is not None:
                self._meshed.add(declared.name)
        self._meshed_read = len(self.members)
        return self._meshed

    def implicit_namespaces(self) -> list[str]:
        """Namespaces that hold workloads but were not declared with a SecureNamespace: they get the same
        guards as one with its defaults (secure by default), and no RBAC."""
        declared = {ns.name for m in self.members if (ns := m.namespace_spec()) is not None}
        return sorted({w.namespace for w in self.workloads} - declared)

    def implicit_guards(self, namespace: str) -> spec.Guards:
        """A quota exactly as large as the namespace's workloads need at peak, and default limits."""
        return default_guards(self.path, fitted_quota([w for w in self.workloads if w.namespace == namespace]))

    def include(self, path: str) -> None:
        """Hand-written manifests (a YAML file of one or more documents, relative to the app file's folder) that
        this Environment applies with its own: written to ``k8s/<env>/`` one object per file, listed in the
        kustomization, so Argo CD, Flux and the deploy workflow apply them too. Read at synth time."""
        if not isinstance(path, str) or not path or Path(path).is_absolute():
            raise ShipformError(self.path, "include", "must be a file relative to the app file's folder", path,
                                "write e.g. env.include('k8s/extra.yaml')")
        self.included.append(path)

    def included_manifests(self) -> list[dict[str, Any]]:
        return read_included(self.path, self.app.root, self.included)

    def check(self) -> list[ShipformError]:
        """The workloads of implicit namespaces must fit the default container limits, as in a SecureNamespace;
        included manifests must be readable Kubernetes objects."""
        errors = []
        try:
            self.included_manifests()
        except ShipformError as err:
            errors.append(err)
        for ns in self.implicit_namespaces():
            guards = self.implicit_guards(ns)
            errors += container_range_errors(guards.limits, [w for w in self.workloads if w.namespace == ns],
                                             declared=False)
        return errors

    @staticmethod
    def containing(scope: Construct) -> Environment:
        """The Environment a construct lives in (shipform constructs remember theirs)."""
        if isinstance(scope, Environment):
            return scope
        found = getattr(scope, "environment", None)
        if isinstance(found, Environment):
            return found
        for ancestor in reversed(scope.node.scopes):
            if isinstance(ancestor, Environment):
                return ancestor
        raise ShipformError(scope.node.path or "<root>", "scope", "is not inside an Environment", scope.node.id,
                            "create constructs inside Environment(app, 'dev') or a construct within it")
