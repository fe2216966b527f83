"""Does everything declared in a SecureNamespace fit its ResourceQuota? Checked at synth, not at apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipform import props
from shipform.errors import ShipformError

if TYPE_CHECKING:
    from shipform.secure_namespace import SecureNamespace
    from shipform.workload import Workload


def peak_pods(w: Workload) -> int:
    """Pods a workload can run at once: its maximum replicas plus one surge pod during a rollout."""
    top = getattr(w, "max_replicas", None)
    return top + 1 if top is not None else 1


def quota_errors(ns: SecureNamespace) -> list[ShipformError]:
    members = [w for w in ns.environment.workloads if w.namespace == ns.name]
    totals = {"cpu": 0, "cpu_limit": 0, "memory": 0, "memory_limit": 0, "pods": 0}
    for w in members:
        n = peak_pods(w)
        totals["pods"] += n
        totals["cpu"] += n * props.cpu_millis(w.path, "resources.cpu", w.resources.cpu)
        totals["cpu_limit"] += n * props.cpu_millis(w.path, "resources.cpu_limit", w.resources.cpu_limit)
        totals["memory"] += n * props.memory_bytes(w.path, "resources.memory", w.resources.memory)
        totals["memory_limit"] += n * props.memory_bytes(w.path, "resources.memory_limit", w.resources.memory_limit)
    q = ns.quota
    hard = {"cpu": props.cpu_millis(ns.path, "quota.cpu", q.cpu),
            "cpu_limit": props.cpu_millis(ns.path, "quota.cpu_limit", q.cpu_limit),
            "memory": props.memory_bytes(ns.path, "quota.memory", q.memory),
            "memory_limit": props.memory_bytes(ns.path, "quota.memory_limit", q.memory_limit),
            "pods": q.pods}
    errors = [*_container_range_errors(ns, members)]
    for key, needed in totals.items():
        if needed > hard[key]:
            errors.append(ShipformError(
                ns.path, f"quota.{key}", f"is smaller than the workloads need at peak ({_show(key, needed)}, counting "
                "maximum replicas plus one rollout surge pod each)", getattr(q, key),
                f"raise quota.{key} to at least {_show(key, needed)} or lower the workloads' resources"))
    return errors


def _show(key: str, value: int) -> str:
    if key.startswith("cpu"):
        return f"{value}m"
    if key.startswith("memory"):
        return f"{value // 1024**2}Mi"
    return str(value)


def _container_range_errors(ns: SecureNamespace, members: list[Workload]) -> list[ShipformError]:
    """The LimitRange rejects pods whose containers fall outside [container_min, container_max]."""
    low_cpu, low_memory = ns.container_min
    high_cpu, high_memory = ns.container_max
    errors = []
    for w in members:
        r = w.resources
        if props.cpu_millis(w.path, "", r.cpu) < props.cpu_millis(ns.path, "", low_cpu) or \
                props.memory_bytes(w.path, "", r.memory) < props.memory_bytes(ns.path, "", low_memory):
            errors.append(ShipformError(w.path, "resources", f"requests are below the namespace minimum "
                                        f"{low_cpu}/{low_memory}", f"{r.cpu}/{r.memory}",
                                        "raise the requests or lower container_min of the SecureNamespace"))
        if props.cpu_millis(w.path, "", r.cpu_limit) > props.cpu_millis(ns.path, "", high_cpu) or \
                props.memory_bytes(w.path, "", r.memory_limit) > props.memory_bytes(ns.path, "", high_memory):
            errors.append(ShipformError(w.path, "resources", f"limits exceed the namespace maximum "
                                        f"{high_cpu}/{high_memory}", f"{r.cpu_limit}/{r.memory_limit}",
                                        "lower the limits or raise container_max of the SecureNamespace"))
    return errors
