"""Scheduling a workload's pods: the PriorityClass of its tier where the Environment renders them
(``Environment(priority_classes=True)``), and spot capacity (``capacity='spot'``), which only workloads that lose
nothing when a node is reclaimed may ask for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from shipform import spec
from shipform.errors import ShipformError

Capacity = Literal["on-demand", "spot"]

TIER_OF_COMPONENT = {"database": "data", "web-service": "serving", "node-agent": "serving"}
"""The tier of each kind of workload; every other one (workers, cron jobs, jobs, backups, restores) is
'background'."""


def priority_tier(app: str, environment: str, component: str) -> spec.PriorityTier:
    """The Environment's PriorityClass for a workload of ``component``: named after the app and the Environment, so
    two of them (or two apps) in one cluster never share or overwrite one."""
    tier = TIER_OF_COMPONENT.get(component, "background")
    value, preempts, why = spec.TIER_VALUES[tier]
    return spec.PriorityTier(f"{app}-{environment}-{tier}", value, preempts, f"shipform {app}/{environment}: {why}")


SPOT_FIX = "drop capacity='spot' (spot suits replicated stateless services, workers and jobs)"


def spot_error(path: str, capacity: Capacity, component: str, volumes: tuple[spec.Volume, ...],
               serverless: bool) -> ShipformError | None:
    """Why this workload may not run on spot capacity, whose nodes the cloud reclaims at ~30 seconds' notice (two
    minutes on AWS): one replica on a volume of its own stops until its volume attaches elsewhere; a DaemonSet runs
    on whatever nodes there are; Knative accepts no node affinity or tolerations unless its feature flags say so."""
    if capacity != "spot":
        return None
    claims = tuple(v.mount_path for v in volumes if isinstance(v.source, spec.Claim | spec.ClaimTemplate))
    if component == "database":
        return ShipformError(path, "capacity", "is 'spot' on a database: a reclaimed node stops its one replica until "
                             "its volume attaches elsewhere", "spot", SPOT_FIX)
    if claims:
        return ShipformError(path, "capacity", f"is 'spot' on a workload with a volume of its own "
                             f"({', '.join(claims)}): a reclaimed node stops it until the volume attaches elsewhere",
                             "spot", SPOT_FIX + ", or keep its state in a database")
    if component == "node-agent":
        return ShipformError(path, "capacity", "is 'spot' on a NodeAgent, which runs on every node it selects",
                             "spot", "drop capacity; select nodes with node_selector= and tolerations=")
    if serverless:
        return ShipformError(path, "capacity", "is 'spot' on a serverless service: Knative refuses node affinity "
                             "and tolerations unless its feature flags allow them", "spot",
                             "drop capacity, or serverless= to run it as a Deployment")
    return None


def refuse_capacity(path: str, props: Mapping[str, object]) -> None:
    """A StatefulDB has no capacity prop: asking for spot there gets the reason, not only 'unknown prop'."""
    if props.get("capacity") == "spot":
        err = spot_error(path, "spot", "database", (), False)
        assert err is not None
        raise err


class Scheduled(Protocol):
    """What placement reads of an Environment."""

    name: str
    priority_classes: bool


def placement(app: str, environment: Scheduled, component: str, capacity: Capacity,
              serverless: bool) -> spec.Placement | None:
    """The PriorityClass of the workload's tier where the Environment renders them (a Knative Service names none:
    Knative refuses the field unless its feature flag allows it), and spot capacity."""
    named = environment.priority_classes and not serverless
    priority = priority_tier(app, environment.name, component) if named else None
    spot = capacity == "spot"
    return spec.Placement(priority, spot) if priority is not None or spot else None
