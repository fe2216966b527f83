"""The service mesh's objects, by the mesh the namespace is enrolled in (render.istio, render.linkerd)."""

from __future__ import annotations

from shipform import spec
from shipform.render import istio, linkerd
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey


def pod_annotations(mesh: spec.Mesh) -> dict[str, str]:
    return linkerd.pod_annotations(mesh) if mesh.kind == "linkerd" else istio.pod_annotations(mesh)


def namespace_metadata(ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) that enroll the namespace."""
    if ns.mesh == "istio":
        return {"istio-injection": "enabled"}, {}
    return {}, dict(linkerd.NAMESPACE_ANNOTATIONS) if ns.mesh == "linkerd" else {}


def namespace_objects(ns: spec.Namespace) -> list[Manifest]:
    return linkerd.namespace_objects(ns) if ns.mesh == "linkerd" else istio.namespace_objects(ns)


def workload_objects(w: spec.Workload, mesh: spec.Mesh) -> list[Manifest]:
    return linkerd.workload_objects(w, mesh) if mesh.kind == "linkerd" else istio.workload_objects(w, mesh)


def service_annotations(w: spec.Workload) -> dict[str, str]:
    """Linkerd reads retries and timeouts from the Service (Istio from a VirtualService)."""
    return linkerd.service_annotations(w, w.mesh) if w.mesh is not None and w.mesh.kind == "linkerd" else {}


# The plan's view of the mesh's objects (render.plan). For now the keys are taken from what the functions above
# render; a mesh provider will plan them without rendering.
def _key(o: Manifest) -> ObjectKey:
    meta = o["metadata"]
    return ObjectKey("mesh", o["apiVersion"], o["kind"], meta["name"], meta.get("namespace") or "")


def workload_plan(w: spec.Workload) -> list[ObjectKey]:
    return [] if w.mesh is None else [_key(o) for o in workload_objects(w, w.mesh)]


def namespace_plan(ns: spec.Namespace) -> list[ObjectKey]:
    return [] if ns.mesh is None else [_key(o) for o in namespace_objects(ns)]


def workload_bodies(w: spec.Workload) -> dict[ObjectKey, Manifest]:
    """The workload's mesh objects by their key (role 'mesh')."""
    return {} if w.mesh is None else {_key(o): o for o in workload_objects(w, w.mesh)}


def namespace_bodies(ns: spec.Namespace) -> dict[ObjectKey, Manifest]:
    return {} if ns.mesh is None else {_key(o): o for o in namespace_objects(ns)}
