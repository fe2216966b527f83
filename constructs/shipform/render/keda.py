"""KEDA objects: a ScaledObject that sets a Worker's replica count by its queue's length, and the
TriggerAuthentication that hands KEDA the queue's credentials by Secret reference."""

from __future__ import annotations

from shipform import spec
from shipform.spec.manifest import Manifest

API = "keda.sh/v1alpha1"


def trigger_authentication(w: spec.Workload, scaling: spec.QueueScaling) -> Manifest:
    return {"apiVersion": API, "kind": "TriggerAuthentication", "metadata": _metadata(w), "spec": {
        "secretTargetRef": [{"parameter": parameter, "name": ref.name, "key": ref.key}
                            for parameter, ref in scaling.auth]}}


def scaled_object(w: spec.Workload, scaling: spec.QueueScaling, target: tuple[str, str],
                  authenticated: bool) -> Manifest:
    """``authenticated`` when the workload's TriggerAuthentication holds the queue's credentials."""
    trigger: Manifest = {"type": scaling.trigger, "metadata": dict(scaling.metadata)}
    if authenticated:
        trigger["authenticationRef"] = {"name": w.name}
    return {"apiVersion": API, "kind": "ScaledObject", "metadata": _metadata(w), "spec": {
        "scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "minReplicaCount": scaling.min,
        "maxReplicaCount": scaling.max,
        "triggers": [trigger],
    }}


def _metadata(w: spec.Workload) -> Manifest:
    return {"name": w.name, "namespace": w.namespace, "labels": w.labels}
