"""``Environment(keda=Keda())``: KEDA runs in the cluster, so Workers may scale by their queue's length
(shipform.model.queue_scaling)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from shipform import spec
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
    """

    namespace: str = "keda"
    pods: Mapping[str, str] = field(default_factory=lambda: {"app": "keda-operator"})
    prop_example: ClassVar[str] = "Keda(namespace='keda')"

    def to_spec(self, path: str) -> spec.PlatformPeer:
        check_fields(path, "keda", self)
        checks.dns_label(path, "keda.namespace", self.namespace)
        pods = checks.pod_labels(path, "keda.pods", self.pods, "{'app': 'keda-operator'}", " (at least one)")
        return spec.PlatformPeer(self.namespace, pods, ())
