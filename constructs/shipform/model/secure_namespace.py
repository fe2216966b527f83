"""SecureNamespace: a namespace that is safe before anything is deployed into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import ShipformConstruct, child_path
from shipform.model.members import WorkloadMember
from shipform.model.namespace_props import DEFAULT_CONTAINER_MAX, DEFAULT_CONTAINER_MIN, Quota, Subject
from shipform.model.quota import quota_errors, sized_scratch
from shipform.model.secret_store import PullSecret
from shipform.model.stage import POD_SECURITY_VERSION
from shipform.providers.mesh import MESHES
from shipform.values import checks
from shipform.values.prop_types import check_fields, check_props
from shipform.values.quantity import Cpu, Memory
from shipform.values.resources import Resources


class SecureNamespaceProps(TypedDict, total=False):
    quota: Quota
    """Default: ``Quota()``. Synth fails if the workloads' requests and limits do not fit."""
    container_defaults: Resources
    """Default: ``Resources()``. LimitRange defaults for containers that set none."""
    container_max: tuple[str, str]
    """Default: ``("4", "8Gi")``. LimitRange maximum CPU and memory of one container."""
    container_min: tuple[str, str]
    """Default: ``("10m", "16Mi")``. LimitRange minimum CPU and memory of one container."""
    deployers: Sequence[Subject]
    """Default: (), meaning no 'deployer' Role. Subjects bound to a 'deployer' Role that may get, list, watch,
    create, update, patch and delete exactly the kinds shipform deploys into this namespace (what a GitOps
    controller or `kubectl apply` of the output needs); never Secrets, Roles or bindings, the namespace, its
    quota or limits."""
    viewers: Sequence[Subject]
    """Default: (). Subjects bound to a read-only 'viewer' Role; none means no viewer Role."""
    accepts_from: Sequence[SecureNamespace]
    """Default: (). Other SecureNamespaces whose workloads may connect to this one's."""
    pod_security_version: str
    """Default: 'v1.33'. The Pod Security Standards version the labels pin."""
    mesh: str | None
    """Default: None. A mesh provider's name (:class:`Mesh` lists those registered in
    ``shipform.providers.mesh.MESHES``), e.g. 'istio': enrolls the namespace in the Environment's service mesh
    (``Environment(mesh=Mesh(kind=...))``): its pods get a sidecar, mutual TLS is required, and authorization
    policies admit exactly the declared clients by identity (ports reached by the ingress controller, Prometheus
    or KEDA stay open to plain text, and to them alone by the NetworkPolicies); WebServices get retries, a timeout
    and circuit breaking, public ones a rate limit. Clients in namespaces outside the mesh cannot reach its
    servers (mutual TLS is required), so synth refuses them."""
    pull_secret: PullSecret | None
    """Default: the Environment's ``pull_secret``. This namespace's own image pull secret (:class:`PullSecret`), for
    its ServiceAccounts instead of the Environment's (its images come from another registry or account)."""
    host_access: str | None
    """Default: None. Why NodeAgents here may use the nodes' folders or network (e.g. 'the log shipper reads
    each node's /var/log'): the namespace then enforces Pod Security 'privileged' (audit and warn stay
    'restricted'), and only NodeAgents may ask for host access. Keep such namespaces for node agents alone."""


class SecureNamespace(ShipformConstruct):
    """A Namespace with Pod Security 'restricted' (enforce, audit, warn; version pinned), default-deny
    NetworkPolicies plus DNS, a ResourceQuota, a LimitRange and RBAC. Workloads created inside it land in it.
    Props: :class:`SecureNamespaceProps`."""

    holds_workloads = True

    def __init__(self, scope: Construct, id: str, **props: Unpack[SecureNamespaceProps]):
        check_props(child_path(scope, id), props, SecureNamespaceProps)
        self.namespace = id
        super().__init__(scope, id)
        self.name = id  # a namespace is named by its id wherever it is created
        quota = props.get("quota") or Quota()
        self.quota = quota.parse(self.path)
        """The quota as given; :meth:`fitted` adds the sized emptyDirs to a default ephemeral_storage."""
        self._sized_scratch_held = isinstance(quota, Quota) and quota.ephemeral_storage is None
        defaults = (props.get("container_defaults") or Resources()).parse(self.path, "container_defaults")
        low_cpu, low_memory = self._cpu_memory("container_min", props.get("container_min", DEFAULT_CONTAINER_MIN))
        high_cpu, high_memory = self._cpu_memory("container_max", props.get("container_max", DEFAULT_CONTAINER_MAX))
        self.limits = spec.LimitsSpec(defaults.cpu, defaults.memory, defaults.cpu_limit, defaults.memory_limit,
                                      low_cpu, low_memory, high_cpu, high_memory, defaults.ephemeral_storage)
        self.deployers = self._subjects("deployers", props.get("deployers", ()))
        self.viewers = self._subjects("viewers", props.get("viewers", ()))
        self.accepts_from = list(props.get("accepts_from", ()))
        self.pod_security_version = props.get("pod_security_version", POD_SECURITY_VERSION)
        if not checks.matches(r"v1\.[0-9]+", self.pod_security_version):
            raise ShipformError(self.path, "pod_security_version", "must pin a Kubernetes minor version like 'v1.33' "
                                "('latest' would change the policy with every cluster upgrade)",
                                self.pod_security_version, "pin the version your clusters run")
        self.host_access = props.get("host_access")
        if self.host_access is not None and not checks.is_stated_reason(self.host_access):
            raise ShipformError(self.path, "host_access", "must say why node agents here use the nodes, in one line",
                                self.host_access, "write e.g. 'the log shipper reads each node's /var/log'")
        pull = props.get("pull_secret")
        self.pull_secret = None if pull is None else \
            pull.to_spec(self.path, self.environment.local, self.environment.secret_store)
        if self.pull_secret is not None:
            self.environment.namespace_pull_secrets[self.name] = self.pull_secret
        self.mesh = props.get("mesh")
        if self.mesh is not None:
            MESHES.choose(self.path, "mesh", self.mesh)
        env_mesh = self.environment.mesh
        if self.mesh is not None and (env_mesh is None or env_mesh.kind != self.mesh):
            raise ShipformError(self.path, "mesh", f"enrolls the namespace in {self.mesh}, and Environment "
                                f"'{self.environment.name}' has no such mesh", self.mesh,
                                f"pass mesh=Mesh(kind='{self.mesh}') to Environment '{self.environment.name}' (and "
                                "install it there), or drop mesh")
        if self.mesh is not None and self.host_access is not None:
            raise ShipformError(self.path, "mesh", "is for application namespaces, and this one is for node agents "
                                "(host_access)", self.mesh, "keep node agents in a namespace outside the mesh")
        self._check_limits_order()
        self.namespace_object = self.handle("namespace")
        self.default_deny = self.handle("default-deny")
        self.allow_dns = self.handle("allow-dns")
        self.resource_quota = self.handle("resource-quota")
        self.limit_range = self.handle("limit-range")
        self.default_service_account = self.handle("default-service-account")
        self.mesh_objects = self.handle("mesh-defaults")
        """A handle on the namespace's own mesh objects (mutual TLS and default authorization), whichever the mesh
        makes: what is added applies to each of them."""
        self.deployer_role = self.handle("deployer-role")
        self.deployer_binding = self.handle("deployer-binding")
        self.viewer_role = self.handle("viewer-role")
        self.viewer_binding = self.handle("viewer-binding")

    def _cpu_memory(self, prop: str, pair: tuple[str, str]) -> tuple[Cpu, Memory]:
        return Cpu.parse(self.path, f"{prop}[0]", pair[0]), Memory.parse(self.path, f"{prop}[1]", pair[1])

    def _subjects(self, prop: str, subjects: Sequence[Subject]) -> tuple[spec.Subject, ...]:
        fix = "use Subject.group('name'), Subject.user('name') or Subject.service_account('namespace', 'name')"
        for i, s in enumerate(subjects):
            where = f"{prop}[{i}]"
            check_fields(self.path, where, s)
            if not isinstance(s.name, str) or not s.name.strip():
                raise ShipformError(self.path, f"{where}.name", "must name someone", s.name, fix)
            if not s.name.isprintable() or s.name != s.name.strip():
                raise ShipformError(self.path, f"{where}.name", "must be one line without spaces at its ends", s.name,
                                    "write the name as the cluster's authenticator gives it, e.g. 'ci@acme.com'")
            if s.kind == "ServiceAccount":
                checks.subdomain_name(self.path, f"{where}.name", s.name, "argocd-application-controller")
                checks.dns_label(self.path, f"{where}.namespace", s.namespace)
            elif s.namespace is not None:
                raise ShipformError(self.path, f"{where}.namespace", f"is only for ServiceAccounts, not {s.kind}s",
                                    s.namespace, fix)
        return tuple(spec.Subject(s.kind, s.name, s.namespace) for s in subjects)

    def _check_limits_order(self) -> None:
        """The LimitRange is rejected unless min <= default request <= default limit <= max."""
        r = self.limits
        for resource, order in (("cpu", (r.min_cpu, r.default_cpu, r.default_cpu_limit, r.max_cpu)),
                                ("memory", (r.min_memory, r.default_memory, r.default_memory_limit, r.max_memory))):
            if list(order) != sorted(order):
                shown = " <= ".join(str(q) for q in order)
                raise ShipformError(self.path, "container_defaults", f"{resource} must keep container_min <= default "
                                    "request <= default limit <= container_max", shown,
                                    "change container_min, container_defaults or container_max so they are in order")

    def accepted_namespaces(self) -> tuple[str, ...]:
        return tuple(ns.namespace for ns in self.accepts_from)

    def _members(self) -> list[WorkloadMember]:
        return [w for w in self.environment.workloads if w.namespace == self.namespace]

    def fitted(self) -> spec.QuotaSpec:
        """The quota, with a default ephemeral_storage grown by the emptyDirs the workloads size (a backup's dump
        space is its database's storage size, so a fixed default would refuse a large database)."""
        if not self._sized_scratch_held:
            return self.quota
        extra = sized_scratch(self._members())
        return replace(self.quota, ephemeral_storage=Memory(self.quota.ephemeral_storage.bytes + extra, "binary"))

    def namespace_spec(self) -> spec.Namespace:
        guards = spec.Guards(self.fitted(), self.limits, self.deployers, self.viewers)
        return spec.Namespace(self.name, self.app.name, self.pod_security_version, guards, mesh=self.mesh,
                              host_access=self.host_access, pull_secret=self.pull_secret)

    def validate(self) -> list[ShipformError]:
        return quota_errors(self.path, self.fitted(), self.limits, self._members())
