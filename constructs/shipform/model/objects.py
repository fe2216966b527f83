"""Handles on the Kubernetes objects a construct contributes: the escape hatch for what props do not cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipform.errors import ShipformError
from shipform.values import checks

# Labels shipform sets on every object and selects pods by: another value would break its own selectors.
RESERVED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component",
                   "app.kubernetes.io/managed-by", "app.kubernetes.io/version")


@dataclass
class KubeObject:
    """One Kubernetes object a construct contributes, reachable as an attribute (``api.deployment``).

    The object itself is rendered at synth time from the construct's spec, so changes made to the
    construct after creation still reach it; ``add_annotations`` and ``add_labels`` merge into its metadata
    and ``add_json_patch`` edits the rendered manifest.
    """

    owner_path: str
    api_version: str
    kind: str
    name: str
    namespace: str | None
    patches: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add_json_patch(self, *operations: dict[str, Any]) -> None:
        """Escape hatch: RFC 6902 operations applied to the rendered manifest, in the order added. An ``add``
        creates the maps on its path that the manifest does not have yet.

        Example: ``api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})``.
        """
        self.patches.extend(operations)

    def add_annotations(self, annotations: Mapping[str, str]) -> None:
        """Annotations merged into the object's metadata, e.g. for WebSockets through ingress-nginx:
        ``api.ingress.add_annotations({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"})``."""
        prop = f"{self.kind}.annotations"
        for key, value in annotations.items():
            self._check_key(prop, key, "'nginx.ingress.kubernetes.io/proxy-read-timeout'")
            if not isinstance(value, str):
                raise ShipformError(self.owner_path, f"{prop}.{key}", "must be a string", value,
                                    f"quote it: '{value}'")
        self.annotations.update(annotations)

    def add_labels(self, labels: Mapping[str, str]) -> None:
        """Labels merged into the object's metadata (its pods' labels stay shipform's selectors), e.g.
        ``api.deployment.add_labels({"team": "checkout"})``."""
        prop = f"{self.kind}.labels"
        for key, value in labels.items():
            self._check_key(prop, key, "'team' or 'acme.com/cost-center'")
            if key in RESERVED_LABELS:
                raise ShipformError(self.owner_path, prop, "sets a label shipform sets itself and selects by", key,
                                    "use a label of your own, e.g. 'acme.com/team'")
            if not checks.is_label_value(value):
                raise ShipformError(self.owner_path, f"{prop}.{key}", "must be at most 63 letters, digits, '-', "
                                    "'_' and '.', alphanumeric at both ends", value, "write e.g. 'checkout'")
        self.labels.update(labels)

    def _check_key(self, prop: str, key: object, example: str) -> None:
        """An annotation or label key as the API server takes it."""
        if not checks.is_qualified_name(key):
            raise ShipformError(self.owner_path, prop, "keys must be '[prefix/]name' (a DNS subdomain prefix, a name "
                                "of at most 63 letters, digits, '-', '_' and '.')", key, f"write e.g. {example}")

    @property
    def changed(self) -> bool:
        return bool(self.patches or self.annotations or self.labels)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.namespace or "", self.name
