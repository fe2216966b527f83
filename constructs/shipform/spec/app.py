"""An Environment and an App as every output sees them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from shipform.spec.env import TLS_KEY_ENV
from shipform.spec.events import Eventing
from shipform.spec.facets import CanarySplit, Monitoring, ServerCertificate
from shipform.spec.namespace import Namespace, PullSecretSpec
from shipform.spec.storage import DataStorage
from shipform.spec.workload import Workload
from shipform.values.secret_ref import SecretRef

GitOps = str
"""The name of a GitOps provider (shipform.providers.gitops.GITOPS: 'argocd', 'flux', 'kubectl')."""


@dataclass(frozen=True)
class ClusterSpec:
    """The cluster a workflow deploys an Environment to with `kubectl apply` (no GitOps controller)."""

    kind: Literal["eks", "gke", "aks", "kubeconfig"]
    name: str
    location: str
    kubectl_version: str


IN_CLUSTER = "https://kubernetes.default.svc"
"""The API server of the cluster the GitOps controller runs in, as Argo CD names it."""


@dataclass(frozen=True)
class Destination:
    """The cluster a GitOps controller applies an Environment to: exactly one of the cluster's name (as Argo CD
    knows it; for Flux, the cluster whose own Flux applies it) or its API server's URL."""

    name: str | None = None
    server: str | None = IN_CLUSTER

    @property
    def cluster(self) -> str:
        """Who the cluster is, for telling two Environments' clusters apart: Argo CD's own name for the in-cluster
        server is the in-cluster server."""
        if self.server == IN_CLUSTER or self.name == "in-cluster":
            return "the in-cluster server"
        return f"cluster '{self.name}'" if self.name else f"server {self.server}"

    def fields(self) -> dict[str, str]:
        """``name`` or ``server``, as Argo CD's destinations spell them."""
        return {"name": self.name} if self.name else {"server": str(self.server)}


@dataclass(frozen=True)
class SecretSource:
    """Referenced Secrets are synced from an external store (External Secrets) instead of made by hand."""

    store: str
    kind: Literal["ClusterSecretStore", "SecretStore"]
    remote_key: str
    refresh_interval: str
    provider: str | None = None
    """The store's spec.provider as canonical JSON (hashable), when shipform renders the store itself."""


@dataclass(frozen=True)
class SourceRepository:
    """The GitHub repository whose build workflow signs the images the app builds, as a Sigstore certificate names
    it: ``<server>/<name>/.github/workflows/<app>-build.yaml@<ref>``."""

    server: str
    """Where the repository is served, as GitHub Actions' ``GITHUB_SERVER_URL`` has it: 'https://github.com', or a
    GitHub Enterprise host's URL."""
    name: str
    """'<owner>/<repository>', as ``GITHUB_REPOSITORY``."""
    branch: str
    """The default branch: images built there (or on a release tag) are the ones admitted."""


@dataclass(frozen=True)
class Environment:
    app: str
    name: str
    local: bool
    gitops: GitOps
    namespaces: tuple[Namespace, ...]
    workloads: tuple[Workload, ...]
    secret_source: SecretSource | None = None
    gitops_namespace: str = ""
    """Where the GitOps controller's own objects (Application, Kustomization) live."""
    cluster: ClusterSpec | None = None
    """Set when CI deploys the Environment itself (gitops 'kubectl')."""
    monitoring: Monitoring | None = None
    """prometheus-operator runs in the cluster: ServiceMonitors for scraped services, alerts per namespace."""
    cilium: bool = False
    """The cluster runs Cilium: servers outside it that have a host name are allowed by that name
    (CiliumNetworkPolicy toFQDNs) instead of by every public address."""
    data_storage: DataStorage | None = None
    """The StorageClass the Environment renders for its databases' volumes (one that retains released volumes)."""
    destination: Destination = Destination()
    """The cluster its GitOps controller applies it to (default: the one the controller runs in)."""
    unpinned_images: str | None = None
    """Why the Environment may run images the app builds by tag, without a digest of its own (set only on an
    Environment after the first; without it synth refuses such an image there)."""
    signed_by: SourceRepository | None = None
    """sigstore's policy-controller admits into the Environment's namespaces only the images this repository's
    build workflow signed (and the third-party images it runs); None: no image policy (a local Environment, one
    with ``unsigned_images``, or an App without a GitHub repository)."""
    unsigned_images: str | None = None
    """Why the Environment has no image policy although the App names its repository (``unsigned_images``)."""
    pull_secret: PullSecretSpec | None = None
    """Every ServiceAccount of the namespaces that hold workloads names it in ``imagePullSecrets``, but in a namespace
    that has its own (:attr:`Namespace.pull_secret`)."""
    eventing: Eventing = field(default_factory=Eventing)
    """Its Knative Eventing Brokers and event sources (none by default)."""

    def pull_secrets(self) -> dict[str, PullSecretSpec]:
        """{namespace: its pull secret} of each namespace whose pods pull images (it holds workloads) and that has
        one: its own, else the Environment's."""
        own = {ns.name: ns.pull_secret for ns in self.namespaces if ns.pull_secret is not None}
        found = {name: own.get(name, self.pull_secret) for name in sorted({w.namespace for w in self.workloads})}
        return {name: pull for name, pull in found.items() if pull is not None}

    @property
    def verifies_images(self) -> bool:
        """Whether the Environment has image policies: a signing repository, and images to admit (its workloads', or
        the sidecars of a mesh its namespaces are enrolled in)."""
        meshed = any(ns.mesh is not None for ns in self.namespaces)
        return self.signed_by is not None and (bool(self.workloads) or meshed)

    def images(self) -> dict[str, bool]:
        """{image: built from source} of every image the Environment runs (workloads, their upload steps and a
        routed canary's running version)."""
        found: dict[str, bool] = {}
        for w in self.workloads:
            found[w.image] = found.get(w.image, False) or w.built is not None
            job = w.job
            for step in job.steps if job is not None else ():
                found.setdefault(step.image, False)
            split = w.facet(CanarySplit)
            if split is not None:  # the running version: built before
                found.setdefault(split.stable_image, False)
        return found

    def owned_secrets(self) -> frozenset[SecretRef]:
        """The Secret keys shipform owns (:attr:`SecretFile.owned`): the only ones it may give a random value."""
        return frozenset(f.ref for w in self.workloads for f in w.every_secret_file if f.owned)

    def fixed_secrets(self) -> dict[tuple[str, str, str], str]:
        """{(namespace, Secret, key): value} of the keys whose value shipform knows (:meth:`Facet.fixed_values`)."""
        return {(w.namespace, ref.name, ref.key): value for w in self.workloads for f in w.facets
                for ref, value in f.fixed_values()}

    def issued_secrets(self) -> frozenset[tuple[str, str]]:
        """(namespace, Secret) of each certificate cert-manager issues (a database's, TLS by default)."""
        return frozenset((w.namespace, cert.secret) for w in self.workloads
                         if (cert := w.facet(ServerCertificate)) is not None)

    def certificates(self) -> dict[str, list[Workload]]:
        """{TLS Secret: the servers that present it} (StatefulDB(tls=...))."""
        servers: dict[str, list[Workload]] = {}
        for w in self.workloads:
            for f in w.secret_files:
                if f.env_name == TLS_KEY_ENV:
                    servers.setdefault(f.ref.name, []).append(w)
        return dict(sorted(servers.items()))


@dataclass(frozen=True)
class GitSource:
    """The git repository the output is committed to, which Argo CD or Flux watch."""

    url: str
    branch: str
    secret: str | None = None
    """The Secret (in the controller's namespace) Flux logs in to a private repository with."""


@dataclass(frozen=True)
class App:
    name: str
    version: str
    environments: tuple[Environment, ...]
    repository: GitSource | None = None
    registry: str = ""
    """Where images built from source are pushed, e.g. 'ghcr.io/acme'."""
    build_secrets: tuple[str, ...] = ()
    """BuildKit secret ids the build workflow passes (private package indexes), each from BUILD_<ID>."""
    source: SourceRepository | None = None
    """The GitHub repository ``repository`` names, whose workflows present their OIDC tokens to the clouds (None
    without one)."""
    keep_images_days: int | None = None
    """How old an unused ``sha-`` tag of a built image may get before the cleanup workflow deletes it (None: no
    cleanup)."""
    patch_schedule: str = "23 4 * * 1"
    """When the patch workflow runs (GitHub Actions cron, UTC); the App's prop of that name sets it."""

    @property
    def local(self) -> Environment | None:
        return next((e for e in self.environments if e.local), None)

    @property
    def record_environment(self) -> Environment | None:
        """The Environment CI records the images it builds into (the build workflow's record job): the first.
        Every other one gets built images only by promotion (:attr:`promotions`)."""
        return self.environments[0] if self.environments else None

    @property
    def promotions(self) -> tuple[tuple[Environment, Environment], ...]:
        """(from, to) of each promotion, in the Environments' order: the record Environment to the next, and so on
        (one promotion workflow each)."""
        return tuple(itertools.pairwise(self.environments))
