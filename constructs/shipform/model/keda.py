"""``Environment(keda=Keda())``: KEDA runs in the cluster, so Workers may scale by their queue's length
(shipform.model.queue_scaling)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class Keda:
    """KEDA runs in the cluster (its chart's defaults).

    :param namespace: Default: 'keda'. Where its operator runs.
    :param pods: Default: ``{"app": "keda-operator"}``. The labels of the operator's pods: the only ones a
        queue in the cluster admits besides its clients (the operator reads the queue's length).
    :param in_mesh: Default: False. True: the operator's namespace is enrolled in the Environment's service mesh
        (its pods run the mesh's proxy), so a queue in a meshed namespace admits it by its identity
        (``service_account``) over mutual TLS, like any client. False: such a queue is refused unless
        ``plain_text_reason`` says why its port may take plain text from outside the mesh.
    :param service_account: Default: 'keda-operator'. The operator's service account (its identity in the mesh).
    :param plain_text_reason: Default: None. Why queues in meshed namespaces may take plain text from the operator
        outside the mesh (Istio PERMISSIVE on the queue's port, Linkerd any address; the NetworkPolicy still admits
        only the operator's pods and the clients there); written on the mesh object that allows it.
    """

    namespace: str = "keda"
    pods: Mapping[str, str] = field(default_factory=lambda: {"app": "keda-operator"})
    in_mesh: bool = False
    service_account: str = "keda-operator"
    plain_text_reason: str | None = None
    prop_example: ClassVar[str] = "Keda(namespace='keda')"

    def to_spec(self, path: str) -> spec.PlatformPeer:
        check_fields(path, "keda", self)
        checks.dns_label(path, "keda.namespace", self.namespace)
        pods = checks.pod_labels(path, "keda.pods", self.pods, "{'app': 'keda-operator'}", " (at least one)")
        account = checks.subdomain_name(path, "keda.service_account", self.service_account, "keda-operator")
        reason = self.plain_text_reason
        if reason is not None and not checks.is_stated_reason(reason):
            raise ShipformError(path, "keda.plain_text_reason", "must say why queues in the mesh may take plain text "
                                "from KEDA's operator, in one line", reason,
                                "write e.g. plain_text_reason='KEDA runs outside the mesh until the upgrade', or "
                                "enrol KEDA's namespace in the mesh and pass in_mesh=True")
        if self.in_mesh and reason is not None:
            raise ShipformError(path, "keda.plain_text_reason", "is for an operator outside the mesh, and in_mesh=True "
                                "says it runs in it", reason, "drop plain_text_reason, or in_mesh=True")
        return spec.PlatformPeer(self.namespace, pods, (), account if self.in_mesh else None, reason)
