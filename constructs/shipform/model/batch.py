"""What Job and CronJob share: run to completion under the same hardening as every workload, with
bounded retries, a deadline and automatic clean-up."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.workload import Workload, WorkloadProps
from shipform.values import checks


class BatchProps(WorkloadProps, total=False):
    backoff_limit: int
    """Default: 2. Retries before the Job counts as failed."""
    active_deadline_seconds: int
    """Default: 3600. The Job is stopped after this long, retries included."""
    ttl_seconds_after_finished: int | None
    """Default: 86400 (a day) for the Jobs a CronJob or a migration creates: finished Jobs and their pods are
    then deleted. A one-off Job keeps its finished Job (None): Argo CD and Flux would re-create a deleted
    one from git and so run it again."""


def refuse_misplaced(path: str, props: Mapping[str, object], misplaced: Mapping[str, tuple[str, str]]) -> None:
    """Props that belong to another construct get a fix that names it, not only a did-you-mean."""
    for prop, (problem, fix) in misplaced.items():
        if prop in props:
            raise ShipformError(path, prop, problem, props[prop], fix)


NOT_FOR_BATCH = {"health": ("is not used by Jobs and CronJobs (they run to completion)",
                            "drop health; use active_deadline_seconds to bound a run")}


class Batch(Workload):
    """Base of Job and CronJob; not used directly. Props: :class:`BatchProps`."""

    pre_sync_hook = False
    """True for migration Jobs: Argo CD then runs them, and what they need, before syncing the rest."""
    on_demand: str | None = "jobs"
    """The group of runs that start only when asked for, not with the app's services (locally a compose profile
    keeps them from starting with `docker compose up`)."""

    def __init__(self, scope: Construct, id: str, props: BatchProps):
        super().__init__(scope, id, props)
        self.backoff_limit = checks.positive_int(self.path, "backoff_limit", props.get("backoff_limit", 2), minimum=0)
        self.active_deadline_seconds = checks.positive_int(self.path, "active_deadline_seconds",
                                                           props.get("active_deadline_seconds", 3600))
        ttl = props.get("ttl_seconds_after_finished", self.default_ttl())
        self.ttl_seconds_after_finished = None if ttl is None else checks.positive_int(
            self.path, "ttl_seconds_after_finished", ttl, minimum=0)
        self.service_account = self.handle("service-account")
        self.network_policy = self.handle("network-policy")

    def default_ttl(self) -> int | None:
        return 86400

    def job_spec(self) -> spec.ToCompletion:
        return spec.ToCompletion(
            backoff_limit=self.backoff_limit, active_deadline_seconds=self.active_deadline_seconds,
            ttl_seconds_after_finished=self.ttl_seconds_after_finished, pre_sync_hook=self.pre_sync_hook,
            on_demand=None if self.pre_sync_hook else self.on_demand)

    def validate(self) -> list[ShipformError]:
        errors = super().validate()
        if self.build is None and self.command is None and self.image_source is not None:
            errors.append(ShipformError(self.path, "command", "is required with image_of (else it would run the "
                                        "service itself)", None, "pass command=[...]"))
        return errors
