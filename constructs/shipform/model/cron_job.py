"""CronJob: a scheduled task with no overlap, bounded retries and kept history."""

from __future__ import annotations

import zoneinfo
from typing import Literal, Required, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.batch import NOT_FOR_BATCH, Batch, BatchProps, refuse_misplaced
from shipform.values import checks
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_props

ConcurrencyPolicy = Literal["Forbid", "Replace", "Allow"]


class CronJobProps(BatchProps, total=False):
    schedule: Required[str]
    """Cron schedule, five fields or a macro like '@daily' (required)."""
    time_zone: str | None
    """Default: None (the controller's time zone, usually UTC). An IANA name like 'Europe/Berlin'."""
    concurrency_policy: ConcurrencyPolicy
    """Default: 'Forbid'. A run is skipped while the previous one is still going."""
    starting_deadline_seconds: int
    """Default: 300. A run that could not start within this is skipped."""
    successful_jobs_history_limit: int
    """Default: 3. Finished Jobs kept for inspection."""
    failed_jobs_history_limit: int
    """Default: 1. Failed Jobs kept for inspection."""


class CronJob(Batch):
    """A Kubernetes CronJob; in compose a one-shot service under the 'jobs' profile, run on demand with
    ``docker compose --profile jobs run --rm <id>`` (compose has no scheduler, and none is faked).
    Props: :class:`CronJobProps`."""

    component = "cron-job"
    name_limit = 52  # the Jobs it creates add 11 characters to its name

    def __init__(self, scope: Construct, id: str, **props: Unpack[CronJobProps]):
        path = child_path(scope, id)
        refuse_misplaced(path, props, NOT_FOR_BATCH)
        check_props(path, props, CronJobProps)
        self.schedule = validate_schedule(path, "schedule", props["schedule"])
        self.time_zone = time_zone_of(path, props.get("time_zone"))
        self.concurrency_policy: ConcurrencyPolicy = props.get("concurrency_policy", "Forbid")
        self.starting_deadline_seconds = checks.positive_int(path, "starting_deadline_seconds",
                                                             props.get("starting_deadline_seconds", 300))
        self.successful_jobs_history_limit = checks.positive_int(
            path, "successful_jobs_history_limit", props.get("successful_jobs_history_limit", 3), minimum=0)
        self.failed_jobs_history_limit = checks.positive_int(
            path, "failed_jobs_history_limit", props.get("failed_jobs_history_limit", 1), minimum=0)
        super().__init__(scope, id, props)
        self.cron_job = self.handle("controller")

    def run_spec(self) -> spec.Scheduled:
        return spec.Scheduled(
            schedule=self.schedule, time_zone=self.time_zone, concurrency_policy=self.concurrency_policy,
            starting_deadline_seconds=self.starting_deadline_seconds,
            successful_jobs_history_limit=self.successful_jobs_history_limit,
            failed_jobs_history_limit=self.failed_jobs_history_limit, job=self.job_spec())


def time_zone_of(path: str, time_zone: str | None) -> str | None:
    if time_zone is None:
        return None
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ShipformError(path, "time_zone", "is not an IANA time zone", time_zone,
                            "use a name like 'Europe/Berlin' or 'UTC'") from None
    return time_zone
