"""Job: a one-off task, and the migration Job a WebService runs before a new version serves."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform.base import child_path
from shipform.batch import Batch
from shipform.errors import ShipformError


class Job(Batch):
    """A Kubernetes Job run once per apply; in compose a one-shot service under the 'jobs' profile
    (``docker compose --profile jobs run --rm <id>``).

    Props are :class:`Batch`'s and :class:`Workload`'s. A Job has no schedule: use CronJob for that.

    :param pre_sync_hook: Default: False. True makes it (with its ServiceAccount and NetworkPolicy) an
        Argo CD PreSync hook, as WebService migrations are.
    """

    component = "job"

    def __init__(self, scope: Construct, id: str, *, schedule: str | None = None, pre_sync_hook: bool = False,
                 **workload: Any):
        if schedule is not None:
            raise ShipformError(child_path(scope, id), "schedule",
                                "is not a Job prop", schedule, "use CronJob(..., schedule=...) for scheduled runs")
        self.pre_sync_hook = bool(pre_sync_hook)
        super().__init__(scope, id, **workload)
        self.job = self.add_object("batch/v1", "Job", self._job)

    def _job(self) -> dict[str, Any]:
        return {"metadata": self.hook_metadata(0), "spec": self.job_spec()}
