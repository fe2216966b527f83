"""The service mesh's objects, by the mesh the namespace is enrolled in (render.istio, render.linkerd)."""

from __future__ import annotations

from shipform import spec
from shipform.render import istio, linkerd
from shipform.spec.manifest import Manifest


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
