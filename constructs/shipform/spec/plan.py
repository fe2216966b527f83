"""The plan: which Kubernetes objects a workload or namespace produces, decided once.

Renderers fill the body of each planned object by its role; the handles constructs expose (``api.deployment``)
are looked up in the plan at synth time by role. Nothing else decides whether an object exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shipform.spec.manifest import Manifest


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


@dataclass(frozen=True)
class Planned:
    """One object a provider adds: its key (role, apiVersion, kind, name, namespace), its labels, and the fields
    after its metadata (``spec``, usually), built when the object is rendered. The plan (which objects exist) and
    the bodies come from one list of these, so they cannot disagree, and a body is built only when rendered."""

    key: ObjectKey
    labels: Mapping[str, str]
    fields: Callable[[], dict[str, Any]]
    annotations: Mapping[str, str] | None = None

    def build(self) -> Manifest:
        """The object: apiVersion, kind and metadata from the key, so the plan and the body name the same one."""
        k = self.key
        metadata: dict[str, Any] = {"name": k.name, **({"namespace": k.namespace} if k.namespace else {}),
                                    "labels": dict(self.labels)}  # no namespace: a cluster-scoped object
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        return {"apiVersion": k.api_version, "kind": k.kind, "metadata": metadata, **self.fields()}
