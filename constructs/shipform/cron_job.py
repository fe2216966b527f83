"""CronJob: a scheduled task with no overlap, bounded retries and kept history."""

from __future__ import annotations

import zoneinfo
from typing import Any

from constructs import Construct
from croniter import croniter

from shipform import props
from shipform.base import child_path
from shipform.batch import Batch
from shipform.errors import ShipformError

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
"""The macros Kubernetes accepts (it has no @reboot)."""


def validate_schedule(path: str, schedule: object) -> str:
    fix = "use five fields 'minute hour day-of-month month day-of-week' (e.g. '0 6 * * *') or @daily-style macros"
    if not isinstance(schedule, str):
        raise ShipformError(path, "schedule", "must be a cron string", schedule, fix)
    if schedule.startswith("@"):
        if schedule not in MACROS:
            raise ShipformError(path, "schedule", f"macro must be one of {', '.join(MACROS)}", schedule, fix)
        return schedule
    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise ShipformError(path, "schedule", "is not a valid 5-field cron expression", schedule, fix)
    return schedule


class CronJob(Batch):
    """A Kubernetes CronJob; in compose a one-shot service under the 'jobs' profile, run on demand with
    ``docker compose --profile jobs run --rm <id>`` (compose has no scheduler, and none is faked).

    Props beyond :class:`Batch`'s and :class:`Workload`'s:

    :param schedule: cron schedule, five fields or a macro like '@daily' (required).
    :param time_zone: Default: None (the controller's time zone, usually UTC). An IANA name like 'Europe/Berlin'.
    :param concurrency_policy: Default: 'Forbid'. A run is skipped while the previous one is still going.
    :param starting_deadline_seconds: Default: 300. A run that could not start within this is skipped.
    :param successful_jobs_history_limit: Default: 3. Finished Jobs kept for inspection.
    :param failed_jobs_history_limit: Default: 1. Failed Jobs kept for inspection.
    """

    component = "cron-job"

    def __init__(self, scope: Construct, id: str, *, schedule: str, time_zone: str | None = None,
                 concurrency_policy: str = "Forbid", starting_deadline_seconds: int = 300,
                 successful_jobs_history_limit: int = 3, failed_jobs_history_limit: int = 1, **workload: Any):
        path = child_path(scope, id)
        self.schedule = validate_schedule(path, schedule)
        self.time_zone = _time_zone(path, time_zone)
        self.concurrency_policy = props.one_of(path, "concurrency_policy", concurrency_policy,
                                               ("Forbid", "Replace", "Allow"))
        self.starting_deadline_seconds = props.positive_int(path, "starting_deadline_seconds",
                                                            starting_deadline_seconds)
        self.successful_jobs_history_limit = props.positive_int(path, "successful_jobs_history_limit",
                                                                successful_jobs_history_limit, minimum=0)
        self.failed_jobs_history_limit = props.positive_int(path, "failed_jobs_history_limit",
                                                            failed_jobs_history_limit, minimum=0)
        super().__init__(scope, id, **workload)
        self.cron_job = self.add_object("batch/v1", "CronJob", self._cron_job)

    def _cron_job(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"schedule": self.schedule}
        if self.time_zone:
            spec["timeZone"] = self.time_zone
        spec.update({
            "concurrencyPolicy": self.concurrency_policy,
            "startingDeadlineSeconds": self.starting_deadline_seconds,
            "successfulJobsHistoryLimit": self.successful_jobs_history_limit,
            "failedJobsHistoryLimit": self.failed_jobs_history_limit,
            "jobTemplate": {"metadata": {"labels": self.labels}, "spec": self.job_spec()},
        })
        return {"metadata": self.metadata(), "spec": spec}


def _time_zone(path: str, time_zone: str | None) -> str | None:
    if time_zone is None:
        return None
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ShipformError(path, "time_zone", "is not an IANA time zone", time_zone,
                            "use a name like 'Europe/Berlin' or 'UTC'") from None
    return time_zone
