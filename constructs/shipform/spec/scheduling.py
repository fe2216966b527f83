"""Where a workload's pods may run and what they yield to: the Environment's PriorityClass of its tier, and spot
(preemptible) capacity."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.facet import Facet


@dataclass(frozen=True)
class PriorityTier:
    """One PriorityClass of an Environment: ``name`` (app and Environment in it, as PriorityClasses are cluster-wide),
    its ``value`` (higher is scheduled first and may preempt lower ones) and whether its pods preempt others."""

    name: str
    value: int
    preempts: bool
    description: str


TIER_VALUES: dict[str, tuple[int, bool, str]] = {
    "data": (100_000, True, "databases: every other workload depends on them, and one replica on its volume comes "
             "back slowest"),
    "serving": (50_000, True, "services that answer requests, their migrations and node agents: a pending pod is a "
                "failed request or a stalled deploy"),
    "background": (10_000, False, "workers, cron jobs and one-off jobs: their work waits in a queue or for the next "
                   "run; they wait for room and never preempt"),
}
"""Each tier's value, whether it preempts, and why. Far below the cluster's own classes (system-cluster-critical
is 2000000000) and above the default 0 of pods without a class; databases and services that answer requests are
above the background, which never preempts (preemptionPolicy Never)."""


SPOT_NODE_LABELS: tuple[tuple[str, str], ...] = (
    ("eks.amazonaws.com/capacityType", "SPOT"),  # EKS managed node groups
    ("karpenter.sh/capacity-type", "spot"),  # Karpenter (and EKS Auto Mode)
    ("cloud.google.com/gke-spot", "true"),  # GKE Spot VMs and Autopilot Spot Pods
    ("kubernetes.azure.com/scalesetpriority", "spot"),  # AKS spot node pools
)
"""The label each cloud puts on its spot nodes: a spot pod requires one of them (node affinity terms are ORed)."""

SPOT_TAINTS: tuple[tuple[str, str], ...] = (
    ("cloud.google.com/gke-spot", "true"),  # GKE taints spot nodes it provisions (Autopilot, node auto-provisioning)
    ("kubernetes.azure.com/scalesetpriority", "spot"),  # AKS taints every spot node pool
)
"""The NoSchedule taints clouds put on spot nodes themselves, which a spot pod tolerates (EKS and Karpenter put
none by default)."""


@dataclass(frozen=True)
class Placement(Facet):
    """The PriorityClass the workload's pods name (None: the Environment renders none) and whether they run on
    spot capacity."""

    priority: PriorityTier | None = None
    spot: bool = False
