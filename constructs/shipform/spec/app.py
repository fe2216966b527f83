"""An Environment and an App as every output sees them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from shipform.spec.env import TLS_KEY_ENV
from shipform.spec.facets import Monitoring
from shipform.spec.namespace import Namespace
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
    unpinned_images: str | None = None
    """Why the Environment may run images the app builds by tag, without a digest of its own (set only on an
    Environment after the first; without it synth refuses such an image there)."""

    def owned_secrets(self) -> frozenset[SecretRef]:
        """The Secret keys shipform owns (:attr:`SecretFile.owned`): the only ones it may give a random value."""
        return frozenset(f.ref for w in self.workloads for f in w.every_secret_file if f.owned)

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
