"""What an Environment's output holds, as a GitOps controller's limits name it: per namespace the kinds of the
objects in it, and each cluster-scoped object by kind and name. Computed from the rendered objects (constructs'
patches, foreign and included objects among them), so the limits follow the output, never a list kept by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shipform import spec
from shipform.spec import kinds
from shipform.spec.manifest import Manifest

GroupKind = tuple[str, str]


@dataclass(frozen=True)
class Scope:
    namespaced: dict[str, frozenset[GroupKind]]
    """{namespace: (API group, kind) of the objects in it}; the namespaces the output puts objects into or
    creates."""
    cluster: frozenset[tuple[str, str, str]]
    """(API group, kind, name) of each cluster-scoped object."""
    default_namespace: str
    """Where an object that names no namespace goes (the Application's destination namespace)."""

    @property
    def namespaced_kinds(self) -> frozenset[GroupKind]:
        return frozenset(k for found in self.namespaced.values() for k in found)


def default_namespace(app: spec.App, env: spec.Environment) -> str:
    """The Environment's first namespace (the one its workloads go to unless placed), else the app's name."""
    return env.namespaces[0].name if env.namespaces else app.name


def scope_of(objects: Sequence[Manifest], default: str) -> Scope:
    namespaced: dict[str, set[GroupKind]] = {}
    cluster: set[tuple[str, str, str]] = set()
    for o in objects:
        group, kind = kinds.group_of(str(o.get("apiVersion", ""))), str(o.get("kind", ""))
        meta = o.get("metadata") or {}
        if kinds.is_cluster_scoped(str(o.get("apiVersion", "")), kind):
            cluster.add((group, kind, str(meta.get("name", ""))))
            if (group, kind) == ("", "Namespace"):
                namespaced.setdefault(str(meta.get("name")), set())
        else:
            namespaced.setdefault(str(meta.get("namespace") or default), set()).add((group, kind))
    return Scope({ns: frozenset(found) for ns, found in sorted(namespaced.items())}, frozenset(cluster), default)


def objects_in(objects: Sequence[Manifest], namespace: str, default: str) -> list[Manifest]:
    """The namespaced objects the output puts into ``namespace``."""
    return [o for o in objects if not kinds.is_cluster_scoped(str(o.get("apiVersion", "")), str(o.get("kind", "")))
            and ((o.get("metadata") or {}).get("namespace") or default) == namespace]
