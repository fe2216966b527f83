"""SecureNamespace: a namespace that is safe before anything is deployed into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from shipform import props
from shipform.app import POD_SECURITY_VERSION, pod_security_labels
from shipform.base import ShipformConstruct
from shipform.errors import ShipformError
from shipform.outputs.network import DNS_PEER, DNS_PORTS
from shipform.values import Resources

# What a GitOps controller or `kubectl apply` of shipform's output changes in a namespace. Roles,
# bindings, quotas and the namespace itself stay with whoever applies the SecureNamespace objects.
DEPLOYABLE = (
    ("", ("configmaps", "serviceaccounts", "services")),
    ("apps", ("deployments", "statefulsets")),
    ("batch", ("cronjobs", "jobs")),
    ("networking.k8s.io", ("ingresses", "networkpolicies")),
    ("policy", ("poddisruptionbudgets",)),
    ("autoscaling", ("horizontalpodautoscalers",)),
)
WRITE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ_VERBS = ["get", "list", "watch"]
VIEW_ONLY = (("", ("pods", "pods/log", "events")),)


@dataclass(frozen=True)
class Subject:
    """Who a Role is bound to: ``Subject.group('team-shop')``, ``Subject.user('ana@example.com')`` or
    ``Subject.service_account('argocd', 'argocd-application-controller')``."""

    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def group(cls, name: str) -> Subject:
        return cls("Group", name)

    @classmethod
    def user(cls, name: str) -> Subject:
        return cls("User", name)

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Subject:
        return cls("ServiceAccount", name, namespace)

    def to_dict(self) -> dict[str, str]:
        if self.kind == "ServiceAccount":
            return {"kind": "ServiceAccount", "name": self.name, "namespace": str(self.namespace)}
        return {"kind": self.kind, "name": self.name, "apiGroup": "rbac.authorization.k8s.io"}


@dataclass(frozen=True)
class Quota:
    """The ResourceQuota of a namespace. Default: 4 CPUs and 8Gi requested, 8 CPUs and 16Gi limits,
    50 pods, 10 PersistentVolumeClaims, 100Gi of storage, and no LoadBalancer or NodePort Services."""

    cpu: str = "4"
    memory: str = "8Gi"
    cpu_limit: str = "8"
    memory_limit: str = "16Gi"
    pods: int = 50
    persistent_volume_claims: int = 10
    storage: str = "100Gi"
    load_balancers: int = 0
    node_ports: int = 0

    def validate(self, path: str) -> None:
        for name in ("cpu", "cpu_limit"):
            props.cpu_millis(path, f"quota.{name}", getattr(self, name))
        for name in ("memory", "memory_limit", "storage"):
            props.memory_bytes(path, f"quota.{name}", getattr(self, name))
        props.positive_int(path, "quota.pods", self.pods)
        for name in ("persistent_volume_claims", "load_balancers", "node_ports"):
            props.positive_int(path, f"quota.{name}", getattr(self, name), minimum=0)


class SecureNamespace(ShipformConstruct):
    """A Namespace with Pod Security 'restricted' (enforce, audit, warn; version pinned), default-deny
    NetworkPolicies plus DNS, a ResourceQuota, a LimitRange and RBAC. Workloads created inside it land in it.

    :param quota: Default: ``Quota()``. Synth fails if the workloads' requests and limits do not fit.
    :param container_defaults: Default: ``Resources()``. LimitRange defaults for containers that set none.
    :param container_max: Default: ``("4", "8Gi")``. LimitRange maximum CPU and memory of one container.
    :param container_min: Default: ``("10m", "16Mi")``. LimitRange minimum CPU and memory of one container.
    :param deployers: Default: (). Subjects bound to the 'deployer' Role (the verbs and resources a GitOps
        or kubectl deploy of shipform's output needs; no secrets, no RBAC).
    :param viewers: Default: (). Subjects bound to a read-only 'viewer' Role; none means no viewer Role.
    :param accepts_from: Default: (). Other SecureNamespaces whose workloads may connect to this one's.
    :param pod_security_version: Default: 'v1.33'. The Pod Security Standards version the labels pin.
    """

    def __init__(self, scope: Construct, id: str, *, quota: Quota | None = None,
                 container_defaults: Resources | None = None, container_max: tuple[str, str] = ("4", "8Gi"),
                 container_min: tuple[str, str] = ("10m", "16Mi"), deployers: Sequence[Subject] = (),
                 viewers: Sequence[Subject] = (), accepts_from: Sequence[SecureNamespace] = (),
                 pod_security_version: str = POD_SECURITY_VERSION):
        self.namespace_name = id
        super().__init__(scope, id)
        self.namespace = id
        self.quota = quota or Quota()
        self.quota.validate(self.path)
        self.container_defaults = container_defaults or Resources()
        self.container_defaults.validate(self.path)
        self.container_max = self._cpu_memory("container_max", container_max)
        self.container_min = self._cpu_memory("container_min", container_min)
        self.deployers = self._subjects("deployers", deployers)
        self.viewers = self._subjects("viewers", viewers)
        self.accepts_from = list(accepts_from)
        if not pod_security_version.startswith("v") or not pod_security_version[1:].replace(".", "").isdigit():
            raise ShipformError(self.path, "pod_security_version", "must be a Kubernetes minor version like 'v1.33'",
                                pod_security_version, "pin the version your clusters run")
        self.pod_security_version = pod_security_version
        self.namespace_object = self.add_object("v1", "Namespace", self._namespace)
        self.default_deny = self.add_object("networking.k8s.io/v1", "NetworkPolicy", self._default_deny,
                                            name="default-deny")
        self.allow_dns = self.add_object("networking.k8s.io/v1", "NetworkPolicy", self._allow_dns, name="allow-dns")
        self.resource_quota = self.add_object("v1", "ResourceQuota", self._quota, name="quota")
        self.limit_range = self.add_object("v1", "LimitRange", self._limit_range, name="container-defaults")
        self.deployer_role = self.add_object("rbac.authorization.k8s.io/v1", "Role",
                                             lambda: self._role("deployer", DEPLOYABLE, WRITE_VERBS), name="deployer")
        self.deployer_binding = self.add_object("rbac.authorization.k8s.io/v1", "RoleBinding",
                                                lambda: self._binding("deployer", self.deployers), name="deployer") \
            if self.deployers else None
        if self.viewers:
            self.add_object("rbac.authorization.k8s.io/v1", "Role",
                            lambda: self._role("viewer", DEPLOYABLE + VIEW_ONLY, READ_VERBS), name="viewer")
            self.add_object("rbac.authorization.k8s.io/v1", "RoleBinding",
                            lambda: self._binding("viewer", self.viewers), name="viewer")

    def _cpu_memory(self, prop: str, pair: tuple[str, str]) -> tuple[str, str]:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ShipformError(self.path, prop, "must be a (cpu, memory) pair", pair, "pass e.g. ('4', '8Gi')")
        props.cpu_millis(self.path, f"{prop}[0]", pair[0])
        props.memory_bytes(self.path, f"{prop}[1]", pair[1])
        return pair[0], pair[1]

    def _subjects(self, prop: str, subjects: Sequence[Subject]) -> list[Subject]:
        for subject in subjects:
            if not isinstance(subject, Subject) or not subject.name:
                raise ShipformError(self.path, prop, "entries must be Subject values", subject,
                                    "use Subject.group('name'), Subject.user(...) or Subject.service_account(ns, name)")
        return list(subjects)

    def _meta(self, name: str) -> dict[str, Any]:
        return {"name": name, "namespace": self.name, "labels": self._labels()}

    def _labels(self) -> dict[str, str]:
        return {"app.kubernetes.io/part-of": self.app.name, "app.kubernetes.io/managed-by": "shipform"}

    def _namespace(self) -> dict[str, Any]:
        labels = {**self._labels(), **pod_security_labels(self.pod_security_version)}
        return {"metadata": {"name": self.name, "labels": labels}}

    def _default_deny(self) -> dict[str, Any]:
        spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        return {"metadata": self._meta("default-deny"), "spec": spec}

    def _allow_dns(self) -> dict[str, Any]:
        return {"metadata": self._meta("allow-dns"), "spec": {
            "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS}]}}

    def _quota(self) -> dict[str, Any]:
        q = self.quota
        return {"metadata": self._meta("quota"), "spec": {"hard": {
            "requests.cpu": q.cpu, "requests.memory": q.memory, "limits.cpu": q.cpu_limit,
            "limits.memory": q.memory_limit, "pods": str(q.pods),
            "persistentvolumeclaims": str(q.persistent_volume_claims), "requests.storage": q.storage,
            "services.loadbalancers": str(q.load_balancers), "services.nodeports": str(q.node_ports)}}}

    def _limit_range(self) -> dict[str, Any]:
        r = self.container_defaults
        return {"metadata": self._meta("container-defaults"), "spec": {"limits": [{
            "type": "Container",
            "defaultRequest": {"cpu": r.cpu, "memory": r.memory},
            "default": {"cpu": r.cpu_limit, "memory": r.memory_limit},
            "min": {"cpu": self.container_min[0], "memory": self.container_min[1]},
            "max": {"cpu": self.container_max[0], "memory": self.container_max[1]}}]}}

    def _role(self, name: str, grants: tuple, verbs: list[str]) -> dict[str, Any]:
        rules = [{"apiGroups": [group], "resources": list(resources), "verbs": verbs} for group, resources in grants]
        return {"metadata": self._meta(name), "rules": rules}

    def _binding(self, name: str, subjects: list[Subject]) -> dict[str, Any]:
        return {"metadata": self._meta(name),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [s.to_dict() for s in subjects]}

    def validate(self) -> list[ShipformError]:
        from shipform.quota import quota_errors

        return quota_errors(self)
