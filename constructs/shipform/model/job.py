"""Job: a one-off task, and the migration Job a WebService runs before a new version serves."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from shipform import spec
from shipform.model.base import child_path
from shipform.model.batch import NOT_FOR_BATCH, Batch, BatchProps, refuse_misplaced
from shipform.values.prop_types import check_props


class JobProps(BatchProps, total=False):
    pre_sync_hook: bool
    """Default: False. True makes it (with its ServiceAccount and NetworkPolicy) an Argo CD PreSync hook,
    as WebService migrations are."""


class Job(Batch):
    """A Kubernetes Job run once per apply; in compose a one-shot service under the 'jobs' profile
    (``docker compose --profile jobs run --rm <id>``). Props: :class:`JobProps`. A Job has no
    schedule: use CronJob for that."""

    component = "job"

    def __init__(self, scope: Construct, id: str, **props: Unpack[JobProps]):
        path = child_path(scope, id)
        refuse_misplaced(path, props, {**NOT_FOR_BATCH, "schedule": (
            "is not a Job prop", "use CronJob(..., schedule=...) for scheduled runs")})
        check_props(path, props, JobProps)
        self.pre_sync_hook = props.get("pre_sync_hook", False)
        super().__init__(scope, id, props)
        self.job = self.handle("controller")

    def default_ttl(self) -> int | None:
        """A one-off Job stays once finished, so GitOps does not re-create and re-run it; a migration hook is
        re-created by each sync anyway."""
        return 86400 if self.pre_sync_hook else None

    def run_spec(self) -> spec.ToCompletion:
        return self.job_spec()
