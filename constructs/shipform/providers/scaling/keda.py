"""KEDA: a ScaledObject that sets a Worker's replica count by its queue's length, and the TriggerAuthentication
that hands KEDA the queue's credentials by Secret reference."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.scaling.protocol import Planned, SetsTheReplicaCount
from shipform.spec.plan import ObjectKey

API = "keda.sh/v1alpha1"


class Keda(SetsTheReplicaCount):
    """KEDA scales a Worker by a queue's length, to zero where asked (Queue), reading credentials through a
    TriggerAuthentication."""

    name = "keda"
    facet = spec.QueueScaling
    roles = ("trigger-authentication", "scaled-object")

    def plan(self, w: spec.Workload, target: tuple[str, str]) -> list[Planned]:
        scaling = w.facet(spec.QueueScaling)
        assert scaling is not None
        planned = []
        if scaling.auth:
            planned.append(Planned(ObjectKey("trigger-authentication", API, "TriggerAuthentication", w.name,
                                             w.namespace), w.labels, lambda: {"spec": {"secretTargetRef": [
                                                 {"parameter": parameter, "name": ref.name, "key": ref.key}
                                                 for parameter, ref in scaling.auth]}}))
        planned.append(Planned(ObjectKey("scaled-object", API, "ScaledObject", w.name, w.namespace), w.labels,
                               lambda: {"spec": _scaled_object(w, scaling, target)}))
        return planned

    def missing(self, w: spec.Workload, role: str) -> str:
        if w.facet(spec.QueueScaling) is None:
            return f"{w.name} has no scale_on="
        return f"KEDA needs no credentials for {w.name}'s queue"



def _scaled_object(w: spec.Workload, scaling: spec.QueueScaling, target: tuple[str, str]) -> dict[str, Any]:
    """The trigger names the TriggerAuthentication where the queue needs credentials."""
    trigger: dict[str, Any] = {"type": scaling.trigger, "metadata": dict(scaling.metadata)}
    if scaling.auth:
        trigger["authenticationRef"] = {"name": w.name}
    return {"scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
            "minReplicaCount": scaling.min, "maxReplicaCount": scaling.max, "triggers": [trigger]}


KEDA = Keda()
