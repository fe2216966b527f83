"""KEDA objects: a ScaledObject that sets a Worker's replica count by its queue's length, and the
TriggerAuthentication that hands KEDA the queue's credentials by Secret reference."""

from __future__ import annotations

from shipform import spec
from shipform.spec.manifest import Manifest

API = "keda.sh/v1alpha1"


def queue_scaler(w: spec.Workload, scaling: spec.QueueScaling, target: tuple[str, str]) -> list[Manifest]:
    meta = {"name": w.name, "namespace": w.namespace, "labels": w.labels}
    trigger: Manifest = {"type": scaling.trigger, "metadata": dict(scaling.metadata)}
    objects = []
    if scaling.auth:
        trigger["authenticationRef"] = {"name": w.name}
        objects.append({"apiVersion": API, "kind": "TriggerAuthentication", "metadata": meta, "spec": {
            "secretTargetRef": [{"parameter": parameter, "name": ref.name, "key": ref.key}
                                for parameter, ref in scaling.auth]}})
    objects.append({"apiVersion": API, "kind": "ScaledObject", "metadata": meta, "spec": {
        "scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "minReplicaCount": scaling.min,
        "maxReplicaCount": scaling.max,
        "triggers": [trigger],
    }})
    return objects
