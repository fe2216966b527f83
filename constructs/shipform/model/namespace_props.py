"""The value types a SecureNamespace takes (its quota and RBAC subjects), and the guards every namespace
gets by default, SecureNamespace or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform import spec
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Cpu, Memory
from shipform.values.resources import Resources
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class Subject:
    """Who a Role is bound to: ``Subject.group('team-shop')``, ``Subject.user('ana@example.com')`` or
    ``Subject.service_account('argocd', 'argocd-application-controller')``.

    :param kind: 'User', 'Group' or 'ServiceAccount' (set by the constructor used).
    :param name: the user's, group's or ServiceAccount's name.
    :param namespace: Default: None. The ServiceAccount's namespace (ServiceAccounts only)."""

    kind: Literal["User", "Group", "ServiceAccount"]
    name: str
    namespace: str | None = None
    prop_example: ClassVar[str] = "Subject.group('team-shop')"

    @classmethod
    def group(cls, name: str) -> Subject:
        return cls("Group", name)

    @classmethod
    def user(cls, name: str) -> Subject:
        return cls("User", name)

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Subject:
        return cls("ServiceAccount", name, namespace)


@value_object
@dataclass(frozen=True)
class Quota:
    """The ResourceQuota of a namespace. Default: 4 CPUs and 8Gi requested, 8 CPUs and 16Gi limits,
    50 pods, 10 PersistentVolumeClaims, 100Gi of storage, 50Gi of ephemeral storage for containers' logs and
    writable paths plus every sized emptyDir the namespace's workloads declare at peak (a backup's dump space
    before its upload: the database's storage size), 100 ConfigMaps, 100 Secrets, 50 Services, and no
    LoadBalancer or NodePort Services. Each field is one key of the ResourceQuota's ``hard``:

    :param cpu: Default: '4'. ``requests.cpu``, CPU the namespace's pods may request in all.
    :param memory: Default: '8Gi'. ``requests.memory``.
    :param cpu_limit: Default: '8'. ``limits.cpu``, the sum of the pods' CPU limits.
    :param memory_limit: Default: '16Gi'. ``limits.memory``.
    :param pods: Default: 50. ``pods``.
    :param persistent_volume_claims: Default: 10. ``persistentvolumeclaims``.
    :param storage: Default: '100Gi'. ``requests.storage``, what the claims may request in all.
    :param load_balancers: Default: 0. ``services.loadbalancers``.
    :param node_ports: Default: 0. ``services.nodeports``.
    :param configmaps: Default: 100. ``configmaps``.
    :param secrets: Default: 100. ``secrets``.
    :param services: Default: 50. ``services``."""

    cpu: str | int = "4"
    memory: str | int = "8Gi"
    cpu_limit: str | int = "8"
    memory_limit: str | int = "16Gi"
    pods: int = 50
    persistent_volume_claims: int = 10
    storage: str | int = "100Gi"
    load_balancers: int = 0
    node_ports: int = 0
    ephemeral_storage: str | int | None = None
    """None: DEFAULT_EPHEMERAL_STORAGE plus the sized emptyDirs (see the class's docstring); a value: exactly that."""
    configmaps: int = 100
    secrets: int = 100
    services: int = 50
    prop_example: ClassVar[str] = "Quota(cpu='4', memory='8Gi', cpu_limit='8', memory_limit='16Gi')"

    def parse(self, path: str) -> spec.QuotaSpec:
        check_fields(path, "quota", self)
        return spec.QuotaSpec(
            cpu=Cpu.parse(path, "quota.cpu", self.cpu), memory=Memory.parse(path, "quota.memory", self.memory),
            cpu_limit=Cpu.parse(path, "quota.cpu_limit", self.cpu_limit),
            memory_limit=Memory.parse(path, "quota.memory_limit", self.memory_limit),
            pods=checks.positive_int(path, "quota.pods", self.pods),
            persistent_volume_claims=checks.positive_int(path, "quota.persistent_volume_claims",
                                                         self.persistent_volume_claims, minimum=0),
            storage=Memory.parse(path, "quota.storage", self.storage),
            load_balancers=checks.positive_int(path, "quota.load_balancers", self.load_balancers, minimum=0),
            node_ports=checks.positive_int(path, "quota.node_ports", self.node_ports, minimum=0),
            ephemeral_storage=Memory.parse(path, "quota.ephemeral_storage", DEFAULT_EPHEMERAL_STORAGE
                                           if self.ephemeral_storage is None else self.ephemeral_storage),
            configmaps=checks.positive_int(path, "quota.configmaps", self.configmaps),
            secrets=checks.positive_int(path, "quota.secrets", self.secrets, minimum=0),
            services=checks.positive_int(path, "quota.services", self.services, minimum=0))


DEFAULT_EPHEMERAL_STORAGE = "50Gi"
"""What a default Quota leaves for containers' logs and writable paths, beyond the emptyDirs sized in the app."""
DEFAULT_CONTAINER_MIN = ("10m", "16Mi")
DEFAULT_CONTAINER_MAX = ("4", "8Gi")


def default_guards(path: str, quota: spec.QuotaSpec) -> spec.Guards:
    """What a namespace gets when the app places workloads in it without a SecureNamespace: default-deny,
    DNS, ``quota`` and the limits of a SecureNamespace with its defaults, and no RBAC."""
    defaults = Resources().parse(path, "container_defaults")
    limits = spec.LimitsSpec(defaults.cpu, defaults.memory, defaults.cpu_limit, defaults.memory_limit,
                             Cpu.parse(path, "container_min[0]", DEFAULT_CONTAINER_MIN[0]),
                             Memory.parse(path, "container_min[1]", DEFAULT_CONTAINER_MIN[1]),
                             Cpu.parse(path, "container_max[0]", DEFAULT_CONTAINER_MAX[0]),
                             Memory.parse(path, "container_max[1]", DEFAULT_CONTAINER_MAX[1]),
                             defaults.ephemeral_storage)
    return spec.Guards(quota, limits, (), ())
