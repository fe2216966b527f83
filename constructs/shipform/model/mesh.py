"""The service mesh: ``Environment(mesh=Mesh())`` says Istio (or another provider of
``shipform.providers.mesh.MESHES``, by ``kind``) runs in the cluster; ``SecureNamespace(mesh='istio')`` enrolls a
namespace: its pods get a sidecar (mutual TLS required), and
who may call whom is the connects_to graph, enforced a second time by the mesh (authorization by workload
identity) beside the NetworkPolicies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.providers.mesh import MESHES
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.resources import Resources
from shipform.values.value_object import value_object

_TIMEOUT = re.compile(r"[1-9][0-9]*(ms|s|m)")


@value_object
@dataclass(frozen=True)
class Mesh:
    """A service mesh in sidecar mode with its CNI node agent (Pod Security 'restricted' forbids the init
    container's NET_ADMIN) and native sidecars (so Jobs and migrations finish).

    :param kind: Default: 'istio'. The mesh's provider (the list follows).
    :param namespace: Default: the provider's. Where the control plane runs; meshed pods reach it on the
        provider's ports alone.
    :param pods: Default: the provider's. The labels of the control plane's pods.
    :param trust_domain: Default: 'cluster.local'. The SPIFFE trust domain of workload identities.
    :param retries: Default: 2. Retries of a failed call to a WebService (which failures count is the provider's:
        guide: Service mesh).
    :param timeout: Default: '15s'. The longest a call to a WebService may take, retries included.
    :param rate_limit: Default: 100. Requests per second each pod of a public service accepts (local rate limit).
    :param proxy: Default: ``Resources(cpu="100m", memory="128Mi", cpu_limit="500m", memory_limit="256Mi")``. The
        sidecar's requests and limits, counted by the namespace's quota.
    """

    kind: str = "istio"
    namespace: str | None = None
    pods: Mapping[str, str] | None = None
    trust_domain: str = "cluster.local"
    retries: int = 2
    timeout: str = "15s"
    rate_limit: int = 100
    proxy: Resources = field(default_factory=lambda: Resources(cpu="100m", memory="128Mi", cpu_limit="500m",
                                                                memory_limit="256Mi"))
    prop_example: ClassVar[str] = "Mesh(kind='istio')"

    def to_spec(self, path: str) -> spec.Mesh:
        check_fields(path, "mesh", self)
        provider = MESHES.choose(path, "mesh.kind", self.kind)
        namespace = self.namespace or provider.default_namespace
        checks.dns_label(path, "mesh.namespace", namespace)
        default_pods = provider.default_pods(namespace)
        pods = checks.pod_labels(path, "mesh.pods", default_pods if self.pods is None else self.pods,
                                 "{'app': 'istiod'}", " (at least one)")
        checks.dns_name(path, "mesh.trust_domain", self.trust_domain)
        checks.positive_int(path, "mesh.retries", self.retries, minimum=0, maximum=10)
        if not checks.matches(_TIMEOUT, self.timeout):
            raise ShipformError(path, "mesh.timeout", "must be a duration of ms, s or m", self.timeout,
                                "write e.g. '15s'")
        checks.positive_int(path, "mesh.rate_limit", self.rate_limit, maximum=1_000_000)
        return spec.Mesh(self.kind, namespace, pods, self.trust_domain, self.retries, self.timeout,
                         self.rate_limit, self.proxy.parse(path, "mesh.proxy"))


def proxy_metrics(mesh: spec.Mesh | None, monitoring: spec.Monitoring | None,
                  run: spec.Run, serverless: bool) -> spec.ProxyMetrics | None:
    """Prometheus scrapes the sidecars of a meshed namespace where the Environment has monitoring: the mesh's own
    view of every call (requests, latencies, mutual TLS), which the app's metrics do not have. Those of long-running
    pods Kubernetes runs: a Job's pods end before anything scrapes them, and Knative runs its pods itself."""
    if mesh is None or monitoring is None or not isinstance(run, spec.Continuous) or serverless:
        return None
    return spec.ProxyMetrics(mesh.kind, MESHES[mesh.kind].proxy_metrics, monitoring)


def _providers() -> str:
    """The registered providers with their defaults, for the docs: derived from the table, never listed by hand."""
    return "\n".join(f"    - {p.name!r}: control plane in {p.default_namespace!r}, pods "
                     f"{p.default_pods(p.default_namespace)}, reached on {', '.join(map(str, p.control_plane_ports))}"
                     for p in MESHES)


Mesh.__doc__ = f"{(Mesh.__doc__ or '').rstrip()}\n\n    Providers:\n\n{_providers()}\n"
