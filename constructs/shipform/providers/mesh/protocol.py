"""What a service mesh provider answers: its defaults (where its control plane runs, how its pods are labelled,
the ports sidecars reach it on), a workload's identity, how a namespace and a pod are enrolled, and the objects it
adds to an enrolled namespace and to each workload there.

A provider lists its objects as :class:`~shipform.spec.plan.Planned` entries: the object's key in the plan and how
its body is built.
"""

from __future__ import annotations

from typing import Protocol

from shipform import spec
from shipform.spec.plan import Planned

__all__ = ["MeshProvider", "Planned"]


class MeshProvider(Protocol):
    """A service mesh shipform can enroll namespaces in; registered in ``shipform.providers.mesh.MESHES``."""

    @property
    def name(self) -> str:
        """What ``Mesh(kind=...)`` and ``SecureNamespace(mesh=...)`` call it ('istio')."""
        ...

    @property
    def default_namespace(self) -> str:
        """Where the control plane runs unless ``Mesh(namespace=...)`` says otherwise."""
        ...

    def default_pods(self, namespace: str) -> dict[str, str]:
        """The labels of the control plane's pods when it runs in ``namespace``, unless ``Mesh(pods=...)`` says."""
        ...

    @property
    def control_plane_ports(self) -> tuple[int, ...]:
        """What a sidecar reaches the control plane on (its configuration, certificates and policies); the
        NetworkPolicies of meshed workloads allow these and nothing else towards it."""
        ...

    @property
    def injected_images(self) -> tuple[str, ...]:
        """The images its injector adds to every enrolled pod (sidecar, init container), as its default install
        names them: an Environment's image policy admits them by repository."""
        ...

    @property
    def proxy_metrics(self) -> spec.SidecarPort:
        """Where its sidecar serves the mesh's own metrics (requests, latencies, TLS between workloads), which
        Prometheus scrapes where the Environment has monitoring."""
        ...

    def principal(self, mesh: spec.Mesh, namespace: str, service_account: str) -> str:
        """A workload's identity in the mesh, as its authorization policies name it."""
        ...

    def namespace_metadata(self, ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
        """(labels, annotations) that enroll the namespace: its pods get the sidecar."""
        ...

    def pod_annotations(self, mesh: spec.Mesh) -> dict[str, str]:
        """What each meshed pod's template carries (the sidecar's resources, which the quota counts)."""
        ...

    def service_annotations(self, w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
        """What the workload's Service carries for the mesh (empty for a mesh that reads none)."""
        ...

    def namespace_plan(self, ns: spec.Namespace) -> list[Planned]:
        """The objects of an enrolled namespace (mutual TLS, default authorization)."""
        ...

    def workload_plan(self, w: spec.Workload, mesh: spec.Mesh) -> list[Planned]:
        """The objects of a workload in an enrolled namespace: who may call it (its ``clients``, by identity),
        which ports take plain text from peers without a sidecar, and its traffic policy."""
        ...

    def request_metrics(self, name: str, namespace: str) -> spec.RequestMetrics | None:
        """Where its sidecars count the requests the service ``name`` of ``namespace`` serves (a service level
        objective's indicator, once Prometheus scrapes them), or None when shipform knows no such metrics of it."""
        ...
