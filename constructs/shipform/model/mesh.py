"""The service mesh: ``Environment(mesh=Mesh())`` says Istio (or with ``kind='linkerd'`` Linkerd) runs in the
cluster; ``SecureNamespace(mesh='istio')`` enrolls a namespace: its pods get a sidecar (mutual TLS required), and
who may call whom is the connects_to graph, enforced a second time by the mesh (authorization by workload
identity) beside the NetworkPolicies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.resources import Resources

_TIMEOUT = re.compile(r"[1-9][0-9]*(ms|s|m)")


@dataclass(frozen=True)
class Mesh:
    """Istio in sidecar mode or Linkerd, each with its CNI node agent (Pod Security 'restricted' forbids the init
    container's NET_ADMIN) and native sidecars (so Jobs and migrations finish).

    :param kind: Default: 'istio'; or 'linkerd'.
    :param namespace: Default: 'istio-system' ('linkerd' for Linkerd). Where the control plane runs; meshed pods
        reach it on its ports alone (istiod 15012; Linkerd's identity 8080, destination 8086, policy 8090).
    :param pods: Default: ``{"app": "istiod"}`` (``{"linkerd.io/control-plane-ns": "linkerd"}`` for Linkerd). The
        labels of the control plane's pods.
    :param trust_domain: Default: 'cluster.local'. The SPIFFE trust domain of workload identities.
    :param retries: Default: 2. Retries of a failed call to a WebService (Istio: connection failures, resets,
        503; Linkerd: 5xx).
    :param timeout: Default: '15s'. The longest a call to a WebService may take, retries included.
    :param rate_limit: Default: 100. Requests per second each pod of a public service accepts (local rate limit).
    :param proxy: Default: ``Resources(cpu="100m", memory="128Mi", cpu_limit="500m", memory_limit="256Mi")``. The
        sidecar's requests and limits, counted by the namespace's quota.
    """

    kind: Literal["istio", "linkerd"] = "istio"
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
        linkerd = self.kind == "linkerd"
        namespace = self.namespace or ("linkerd" if linkerd else "istio-system")
        checks.dns_label(path, "mesh.namespace", namespace)
        default_pods = {"linkerd.io/control-plane-ns": namespace} if linkerd else {"app": "istiod"}
        pods = checks.pod_labels(path, "mesh.pods", default_pods if self.pods is None else self.pods,
                                 "{'app': 'istiod'}", " (at least one)")
        checks.dns_name(path, "mesh.trust_domain", self.trust_domain)
        checks.positive_int(path, "mesh.retries", self.retries, minimum=0, maximum=10)
        if not _TIMEOUT.fullmatch(self.timeout):
            raise ShipformError(path, "mesh.timeout", "must be a duration of ms, s or m", self.timeout,
                                "write e.g. '15s'")
        checks.positive_int(path, "mesh.rate_limit", self.rate_limit, maximum=1_000_000)
        return spec.Mesh(self.kind, namespace, pods, self.trust_domain, self.retries, self.timeout,
                         self.rate_limit, self.proxy.parse(path, "mesh.proxy"))
