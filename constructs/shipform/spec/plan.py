"""The plan: which Kubernetes objects a workload or namespace produces, decided once.

Renderers fill the body of each planned object by its role; the handles constructs expose (``api.deployment``)
are looked up in the plan at synth time by role. Nothing else decides whether an object exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectKey:
    """One planned object: what it is for (``role``, e.g. 'controller', 'disruption-budget', 'mesh:policy'),
    and the object itself (apiVersion, kind, namespace, name)."""

    role: str
    api_version: str
    kind: str
    name: str
    namespace: str

    @property
    def key(self) -> tuple[str, str, str]:
        """(kind, namespace, name): what identifies the object in the cluster."""
        return self.kind, self.namespace, self.name
