"""Kubernetes objects held as Python dicts, rendered late, with a JSON-patch escape hatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonpatch

from shipform.errors import ShipformError

# Output order inside an environment: what others depend on comes first, so a plain
# `kubectl apply -f` of the folder in file order also works.
KIND_ORDER = (
    "Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "ClusterRole", "RoleBinding",
    "ClusterRoleBinding", "NetworkPolicy", "ConfigMap", "Secret", "ExternalSecret", "PersistentVolumeClaim",
    "Service", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "Ingress",
)
_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}


class K8sObject:
    """One Kubernetes object. ``build`` returns its manifest when output is rendered, so changes made to
    the construct after creation still reach the output; ``add_json_patch`` edits the final dict."""

    def __init__(self, owner_path: str, api_version: str, kind: str, name: str, namespace: str | None,
                 build: Callable[[], dict[str, Any]]):
        self.owner_path = owner_path
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self._build = build
        self._patches: list[dict[str, Any]] = []

    def add_json_patch(self, *operations: dict[str, Any]) -> None:
        """Escape hatch: RFC 6902 operations applied to the rendered manifest, in the order added.

        Example: ``api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})``.
        """
        self._patches.extend(operations)

    def to_dict(self) -> dict[str, Any]:
        manifest = {"apiVersion": self.api_version, "kind": self.kind, **self._build()}
        if not self._patches:
            return manifest
        try:
            return jsonpatch.apply_patch(manifest, self._patches)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
            raise ShipformError(f"{self.owner_path}/{self.kind}", "add_json_patch", f"does not apply: {err}",
                                self._patches, "check the op and path against the rendered manifest") from None


def sort_key(manifest: dict[str, Any]) -> tuple[int, str, str, str]:
    meta = manifest.get("metadata") or {}
    kind = manifest.get("kind", "")
    return (_RANK.get(kind, len(_RANK)), meta.get("namespace") or "", kind, meta.get("name", ""))


def file_name(manifest: dict[str, Any]) -> str:
    """A stable file name per object: '<kind>-<namespace>-<name>.yaml' (no namespace when cluster-scoped)."""
    meta = manifest.get("metadata") or {}
    parts = [manifest.get("kind", "object").lower(), meta.get("namespace"), meta.get("name", "unnamed")]
    return "-".join(p for p in parts if p) + ".yaml"
