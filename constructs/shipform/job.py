"""Job: a one-off task, and the migration Job a WebService runs before a new version serves."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform.batch import Batch
from shipform.errors import ShipformError

ARGO_PRE_SYNC = {
    # Argo CD runs the Job before syncing the rest, waits for it, and re-creates it on the next sync.
    "argocd.argoproj.io/hook": "PreSync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}


class Job(Batch):
    """A Kubernetes Job run once per apply; in compose a one-shot service under the 'jobs' profile
    (``docker compose --profile jobs run --rm <id>``).

    Props are :class:`Batch`'s and :class:`Workload`'s. A Job has no schedule: use CronJob for that.
    """

    component = "job"

    def __init__(self, scope: Construct, id: str, *, schedule: str | None = None, pre_sync_hook: bool = False,
                 **workload: Any):
        if schedule is not None:
            raise ShipformError(f"{getattr(scope, 'path', scope.node.path)}/{id}", "schedule",
                                "is not a Job prop", schedule, "use CronJob(..., schedule=...) for scheduled runs")
        super().__init__(scope, id, **workload)
        self.pre_sync_hook = pre_sync_hook
        self.job = self.add_object("batch/v1", "Job", self._job)

    def _job(self) -> dict[str, Any]:
        annotations = dict(ARGO_PRE_SYNC) if self.pre_sync_hook else {}
        meta = self.metadata(**({"annotations": annotations} if annotations else {}))
        return {"metadata": meta, "spec": self.job_spec()}
