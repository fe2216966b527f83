"""The service mesh's part of the output, from the provider the spec names (``shipform.providers.mesh.MESHES``):
the rest of render calls these and never asks which mesh it is."""

from __future__ import annotations

from shipform import spec
from shipform.providers.mesh import MESHES
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey, Planned


def pod_annotations(mesh: spec.Mesh) -> dict[str, str]:
    return MESHES[mesh.kind].pod_annotations(mesh)


def namespace_metadata(ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) that enroll the namespace."""
    return MESHES[ns.mesh].namespace_metadata(ns) if ns.mesh is not None else ({}, {})


def control_plane_ports(mesh: spec.Mesh) -> tuple[int, ...]:
    """What a meshed pod's sidecar reaches the control plane on."""
    return MESHES[mesh.kind].control_plane_ports


def service_annotations(w: spec.Workload) -> dict[str, str]:
    """What the workload's Service carries for its mesh (Linkerd reads retries and timeouts there)."""
    enrolled = w.facet(spec.Mesh)
    return MESHES[enrolled.kind].service_annotations(w, enrolled) if enrolled is not None else {}


def namespace_plan(ns: spec.Namespace) -> list[ObjectKey]:
    """The mesh's objects in the namespace (none unless it is enrolled)."""
    return [p.key for p in _namespace_planned(ns)]


def workload_plan(w: spec.Workload) -> list[ObjectKey]:
    """The mesh's objects of the workload (none unless its namespace is enrolled)."""
    return [p.key for p in _workload_planned(w, w.facet(spec.Mesh))]






def namespace_objects(ns: spec.Namespace) -> list[Manifest]:
    return [p.build() for p in _namespace_planned(ns)]


def workload_objects(w: spec.Workload, mesh: spec.Mesh) -> list[Manifest]:
    return [p.build() for p in _workload_planned(w, mesh)]


def _namespace_planned(ns: spec.Namespace) -> list[Planned]:
    return MESHES[ns.mesh].namespace_plan(ns) if ns.mesh is not None else []


def _workload_planned(w: spec.Workload, mesh: spec.Mesh | None) -> list[Planned]:
    return MESHES[mesh.kind].workload_plan(w, mesh) if mesh is not None else []




def planned(w: spec.Workload) -> list[Planned]:
    """The mesh's objects of the workload with their bodies (none unless its namespace is enrolled)."""
    return _workload_planned(w, w.facet(spec.Mesh))




def namespace_bodies(ns: spec.Namespace) -> dict[ObjectKey, Manifest]:
    """Every mesh object of the namespace by its key."""
    return {p.key: p.build() for p in _namespace_planned(ns)}
