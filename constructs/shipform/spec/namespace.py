"""A namespace and the guard rails it holds before anything is deployed into it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipform.values.quantity import Cpu, Memory

SubjectKind = Literal["User", "Group", "ServiceAccount"]


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    name: str
    namespace: str | None = None


@dataclass(frozen=True)
class QuotaSpec:
    cpu: Cpu
    memory: Memory
    cpu_limit: Cpu
    memory_limit: Memory
    pods: int
    persistent_volume_claims: int
    storage: Memory
    load_balancers: int
    node_ports: int
    ephemeral_storage: Memory
    """Requested and limited alike, as shipform's containers do."""
    configmaps: int
    secrets: int
    services: int


@dataclass(frozen=True)
class LimitsSpec:
    """Per-container defaults and bounds (a LimitRange)."""

    default_cpu: Cpu
    default_memory: Memory
    default_cpu_limit: Cpu
    default_memory_limit: Memory
    min_cpu: Cpu
    min_memory: Memory
    max_cpu: Cpu
    max_memory: Memory
    default_ephemeral_storage: Memory


@dataclass(frozen=True)
class Guards:
    """What a SecureNamespace adds to a bare restricted namespace."""

    quota: QuotaSpec
    limits: LimitsSpec
    deployers: tuple[Subject, ...]
    viewers: tuple[Subject, ...]


@dataclass(frozen=True)
class Namespace:
    """A namespace with Pod Security 'restricted' pinned to ``pod_security_version``; ``guards`` when it is a
    SecureNamespace (default-deny, DNS, quota, limits, RBAC), None when it only exists to hold workloads."""

    name: str
    app: str
    pod_security_version: str
    guards: Guards | None = None
    mesh: str | None = None
    """The service mesh whose sidecars the namespace's pods get ('istio'), or None."""
    host_access: str | None = None
    """Why node agents here may use the node (its folders, its network): Pod Security then enforces
    'privileged' and still audits and warns at 'restricted'."""
    verify_images: bool = False
    """Its Environment's ClusterImagePolicies decide which images run here: the Namespace opts in to sigstore's
    policy-controller (label ``policy.sigstore.dev/include``)."""
