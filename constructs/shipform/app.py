"""App (a cdk8s.App) and Environment (a cdk8s.Chart): the roots of a shipform construct tree."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cdk8s
from constructs import Construct

from shipform import props
from shipform.errors import ShipformError

if TYPE_CHECKING:
    from shipform.base import ShipformConstruct
    from shipform.secret_store import SecretStore
    from shipform.workload import Workload

POD_SECURITY_VERSION = "v1.33"
"""The Pod Security Standards version namespaces pin, so a cluster upgrade cannot loosen or tighten them."""


def pod_security_labels(version: str) -> dict[str, str]:
    """Pod Security Admission: enforce, audit and warn at 'restricted', each pinned to ``version``."""
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels

_created_apps: list[App] = []
"""Every App made in this process; `shipform synth` synthesizes the ones its app file created."""
_deferred = False
"""True while the CLI runs an app file: App.synth() then leaves writing to the CLI's options."""


class App(cdk8s.App):
    """The system being shipped. Its name prefixes image names and construct paths.

    :param name: the app's name, a DNS label (e.g. 'shop').
    :param registry: where built images are pushed (e.g. 'ghcr.io/acme'); image names are
        ``<registry>/<name>-<service>:<version>``.
    :param version: Default: '0.1.0'. The tag of images built from source; bump it to release.
    :param outdir: Default: the CLI's --outdir, else CDK8S_OUTDIR, else cdk8s.yaml 'output', else 'dist'.
        Output goes to ``<outdir>/<name>/``.
    :param root: Default: the folder of the file that creates the App. Build contexts are relative to it.
    """

    def __init__(self, name: str, *, registry: str, version: str = "0.1.0", outdir: str | None = None,
                 root: str | Path | None = None):
        props.dns_label(name, "name", name)
        if not isinstance(registry, str) or not registry or registry.endswith("/") or ":" in registry.split("/")[-1]:
            raise ShipformError(name, "registry", "must be a registry host and path without a tag", registry,
                                "write e.g. 'ghcr.io/acme'")
        props.image_ref(name, "version", f"{registry.lower()}/{name}:{version}")
        super().__init__(**({"outdir": str(outdir)} if outdir else {}))
        self.name = name
        self.registry = registry
        self.version = version
        self.outdir_option = None if outdir is None else str(outdir)
        self.root = Path(root) if root is not None else _caller_folder()
        self.environments: list[Environment] = []
        _created_apps.append(self)

    def synth(self) -> None:
        """Validate, render and write every output under ``<outdir>/<name>/``."""
        if _deferred:
            return
        from shipform.synth import synth_app

        synth_app(self)

    def image_for(self, service: str) -> str:
        return f"{self.registry}/{self.name}-{service}:{self.version}"

    @property
    def local_environment(self) -> Environment | None:
        return next((e for e in self.environments if e.local), None)


class Environment(cdk8s.Chart):
    """One deployment target (dev, staging, prod): a cdk8s Chart holding the whole construct tree.

    :param local: Default: False. The local environment also becomes the compose file (one per app).
    :param replicas: Default: 1. Replicas for services that set none; above 1 adds PodDisruptionBudgets.
    :param domain: Default: None. Public services get ``<service>.<domain>`` unless they set ``host``.
    :param namespace: Default: the app's name. Namespace of workloads not placed in a SecureNamespace.
    :param ingress_class: Default: 'nginx'. ``ingressClassName`` of generated Ingresses.
    :param ingress_namespace: Default: 'ingress-nginx'. Where the ingress controller runs; NetworkPolicies
        of public services admit traffic from it.
    :param cluster_issuer: Default: None. A cert-manager ClusterIssuer that issues the Ingress TLS certificates.
    :param secret_store: Default: None, meaning referenced Secrets are created by hand (see
        ``shipform secrets kubectl``). A :class:`SecretStore` emits an ExternalSecret for each instead.
    :param gitops: Default: 'argocd'. The tool that applies the output: 'argocd' runs migrations as PreSync
        hook Jobs, 'flux' (which has no hooks) as init containers.
    """

    def __init__(self, app: App, name: str, *, local: bool = False, replicas: int = 1, domain: str | None = None,
                 namespace: str | None = None, ingress_class: str = "nginx",
                 ingress_namespace: str = "ingress-nginx", cluster_issuer: str | None = None,
                 gitops: str = "argocd", secret_store: SecretStore | None = None):
        path = f"{app.name}/{name}"
        props.dns_label(path, "name", name)
        if any(e.name == name for e in app.environments):
            raise ShipformError(path, "name", "is already used by another Environment of this app", name,
                                "give each Environment a unique name")
        if local and app.local_environment is not None:
            raise ShipformError(path, "local", f"is already set on '{app.local_environment.name}'", local,
                                "mark exactly one Environment local=True; it becomes the compose file")
        props.positive_int(path, "replicas", replicas)
        if domain is not None:
            props.dns_name(path, "domain", domain)
        self.default_namespace = props.dns_label(path, "namespace", namespace or app.name)
        props.dns_label(path, "ingress_class", ingress_class)
        props.dns_label(path, "ingress_namespace", ingress_namespace)
        if cluster_issuer is not None:
            props.dns_label(path, "cluster_issuer", cluster_issuer, max_len=253)
        props.one_of(path, "gitops", gitops, ("argocd", "flux"))
        if secret_store is not None:
            secret_store.validate(path)
        super().__init__(app, name, disable_resource_name_hashes=True)
        self.gitops = gitops
        self.secret_store = secret_store
        self.app = app
        self.name = name
        self.path = path
        self.local = local
        self.replicas = replicas
        self.domain = domain
        self.ingress_class = ingress_class
        self.ingress_namespace = ingress_namespace
        self.cluster_issuer = cluster_issuer
        self.members: list[ShipformConstruct] = []
        """Every shipform construct of this Environment, in creation order."""
        self.workloads: list[Workload] = []
        app.environments.append(self)

    @staticmethod
    def of(scope: Construct) -> Environment:
        """The Environment a construct lives in (shipform constructs remember theirs)."""
        found = getattr(scope, "environment", None)
        if isinstance(scope, Environment):
            return scope
        if isinstance(found, Environment):
            return found
        for ancestor in reversed(scope.node.scopes):
            if isinstance(ancestor, Environment):
                return ancestor
        raise ShipformError(scope.node.path or "<root>", "scope", "is not inside an Environment", scope.node.id,
                            "create constructs inside Environment(app, 'dev') or a construct within it")

    def shipform_manifests(self) -> list[dict[str, Any]]:
        external = self.secret_store.external_secrets(self) if self.secret_store else []
        return [*self._implicit_namespaces(), *(obj.to_dict() for m in self.members for obj in m.k8s_objects),
                *external]

    def _implicit_namespaces(self) -> list[dict[str, Any]]:
        """Workloads placed outside a SecureNamespace still need their namespace to exist, restricted."""
        declared = {m.namespace_name for m in self.members if getattr(m, "namespace_name", None)}
        used = sorted({w.namespace for w in self.workloads} - declared)
        return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": name, "labels": pod_security_labels(POD_SECURITY_VERSION)}} for name in used]

    def to_json(self) -> list[Any]:
        """Foreign cdk8s objects (ApiObjects, cdk8s-plus) first, then shipform's dicts, which never cross
        into jsii one by one: that keeps synth fast however many objects there are."""
        return [*super().to_json(), *self.shipform_manifests()]


def _caller_folder() -> Path:
    """The folder of the user's file that created the App (skipping shipform's and jsii's frames)."""
    import jsii

    skip = (str(Path(__file__).parent), str(Path(jsii.__file__).parent))
    for frame in inspect.stack(0)[1:]:
        if not frame.filename.startswith(skip):
            return Path(frame.filename).resolve().parent
    return Path.cwd()
