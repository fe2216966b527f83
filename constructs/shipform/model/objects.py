"""Handles on the Kubernetes objects a construct contributes: the escape hatch for what props do not cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class KubeObject:
    """One Kubernetes object a construct contributes, reachable as an attribute (``api.deployment``).

    The object itself is rendered at synth time from the construct's spec, so changes made to the
    construct after creation still reach it; ``add_json_patch`` edits the rendered manifest.
    """

    owner_path: str
    api_version: str
    kind: str
    name: str
    namespace: str | None
    patches: list[dict[str, Any]] = field(default_factory=list)

    def add_json_patch(self, *operations: dict[str, Any]) -> None:
        """Escape hatch: RFC 6902 operations applied to the rendered manifest, in the order added.

        Example: ``api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})``.
        """
        self.patches.extend(operations)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.namespace or "", self.name
