"""Where each Kubernetes object goes: its apply order and its file name."""

from __future__ import annotations

from typing import Any

# Output order inside an environment: what others depend on comes first, so a plain
# `kubectl apply -f` of the folder in file order also works.
KIND_ORDER = (
    "Namespace", "PriorityClass", "ClusterImagePolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "NetworkPolicy", "CiliumNetworkPolicy", "ConfigMap", "Secret", "ExternalSecret", "PersistentVolumeClaim",
    "Service", "AnalysisTemplate", "Deployment", "Rollout", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "HorizontalPodAutoscaler", "TriggerAuthentication", "ScaledObject",
    "PodDisruptionBudget", "Ingress", "HTTPRoute", "PeerAuthentication", "AuthorizationPolicy", "DestinationRule",
    "VirtualService", "EnvoyFilter",
)
_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}


def sort_key(manifest: dict[str, Any]) -> tuple[int, str, str, str]:
    meta = manifest.get("metadata") or {}
    kind = manifest.get("kind", "")
    return (_RANK.get(kind, len(_RANK)), meta.get("namespace") or "", kind, meta.get("name", ""))


def file_name(manifest: dict[str, Any]) -> str:
    """A stable file name per object: '<kind>-<namespace>-<name>.yaml' (no namespace when cluster-scoped)."""
    meta = manifest.get("metadata") or {}
    parts = [manifest.get("kind", "object").lower(), meta.get("namespace"), meta.get("name", "unnamed")]
    return "-".join(p for p in parts if p) + ".yaml"
