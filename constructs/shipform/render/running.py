"""How a workload's pods run, as the plan and the facets' rules ask it: continuously or not, what runs them, and why
a workload has none of the objects a long-running service has."""

from __future__ import annotations

from shipform import spec
from shipform.render import rollouts, scaling


def continuous(w: spec.Workload) -> spec.Continuous | None:
    """How a WebService, Worker or StatefulDB runs; None for Jobs, CronJobs and node agents."""
    return w.run if isinstance(w.run, spec.Continuous) else None


def controller(w: spec.Workload) -> tuple[str, str]:
    """(apiVersion, kind) of what runs the workload's pods: autoscalers and routes point at it. A scaler that runs
    the pods itself (Knative) decides first, then a StatefulSet for state, then the rollout (Argo Rollouts)."""
    run = w.run
    if isinstance(run, spec.Continuous):
        if (own := scaling.controller(w)) is not None:
            return own
        if run.stateful:
            return "apps/v1", "StatefulSet"
        return rollouts.controller(w) or ("apps/v1", "Deployment")
    if isinstance(run, spec.ToCompletion):
        return "batch/v1", "Job"
    return ("apps/v1", "DaemonSet") if isinstance(run, spec.PerNode) else ("batch/v1", "CronJob")


def not_long_running(w: spec.Workload) -> str | None:
    """Why the workload has no Service, budget, route or monitor of its own: it runs to completion or on every node,
    or its scaler runs it (Knative); None for a long-running one."""
    if continuous(w) is None:
        return f"{w.name} runs to completion or on every node"
    return scaling.runs_itself(w)
