"""Where pods run and what they yield to: the PriorityClass each pod names (and the Environment's PriorityClass
objects), spot capacity, and what the cluster autoscaler may evict when it removes a node."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.spec.manifest import Manifest

API = "scheduling.k8s.io/v1"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"


def place(pod: dict[str, Any], w: spec.Workload) -> None:
    """The pod's PriorityClass, and for spot capacity node affinity to any cloud's spot label (terms are ORed) and
    tolerations for the taints clouds put on spot nodes."""
    placement = w.facet(spec.Placement)
    if placement is None:
        return
    if placement.priority is not None:
        pod["priorityClassName"] = placement.priority.name
    if placement.spot:
        terms = [{"matchExpressions": [{"key": key, "operator": "In", "values": [value]}]}
                 for key, value in spec.SPOT_NODE_LABELS]
        pod["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": terms}}}
        pod["tolerations"] = [{"key": key, "operator": "Equal", "value": value, "effect": "NoSchedule"}
                              for key, value in spec.SPOT_TAINTS]


def eviction(w: spec.Workload, volumes: list[dict[str, Any]]) -> dict[str, str]:
    """What the cluster autoscaler may do with the pod when it removes an underused node. By default it keeps every
    node that runs a pod with an emptyDir (skip-nodes-with-local-storage), and every shipform pod has one (the
    writable folders of its read-only root). So:

    - a run to completion (a Job, a CronJob's run): "false": evicted, it starts over (a dump, a migration);
    - a database, or a pod on a volume of its own that attaches to one node: "false": its one replica stops until
      the volume attaches elsewhere, which a scale-down should not cause;
    - a node agent: nothing (the autoscaler never evicts DaemonSet pods to remove a node);
    - any other long-running pod: its emptyDirs, which hold scratch by contract (lost with the pod anyway), are
      named safe to lose; everything else the autoscaler checks (PodDisruptionBudgets among them) still applies.
    """
    run = w.run
    if isinstance(run, spec.PerNode):
        return {}
    single_attach = any(isinstance(v.source, spec.ClaimTemplate) or (
        isinstance(v.source, spec.Claim) and v.source.access_mode != "ReadWriteMany") for v in w.volumes)
    stateful = isinstance(run, spec.Continuous) and run.stateful
    if not isinstance(run, spec.Continuous) or stateful or single_attach:
        return {SAFE_TO_EVICT: "false"}
    scratch = [v["name"] for v in volumes if "emptyDir" in v]
    return {SAFE_TO_EVICT_LOCAL_VOLUMES: ",".join(scratch)} if scratch else {}


def priority_tiers(env: spec.Environment) -> list[spec.PriorityTier]:
    """The PriorityClasses the Environment's pods name, by name."""
    found = {p.priority.name: p.priority for w in env.workloads
             if (p := w.facet(spec.Placement)) is not None and p.priority is not None}
    return [found[name] for name in sorted(found)]


def priority_class(app: str, tier: spec.PriorityTier) -> Manifest:
    """Never the cluster's default (pods of others keep theirs); a tier that does not preempt waits for room."""
    return {"apiVersion": API, "kind": "PriorityClass",
            "metadata": {"name": tier.name, "labels": spec.shipform_labels(app)},
            "value": tier.value, "globalDefault": False,
            "preemptionPolicy": "PreemptLowerPriority" if tier.preempts else "Never",
            "description": tier.description}
