"""What Job and CronJob share: run to completion under the same hardening as every workload, with
bounded retries, a deadline and automatic clean-up."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform import props
from shipform.base import child_path
from shipform.errors import ShipformError
from shipform.outputs import network, pod
from shipform.workload import Workload

ARGO_PRE_SYNC = {
    # Argo CD runs PreSync hooks to completion before it syncs the rest, and re-creates them next sync.
    "argocd.argoproj.io/hook": "PreSync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}


class Batch(Workload):
    """Base of Job and CronJob; not used directly.

    :param backoff_limit: Default: 2. Retries before the Job counts as failed.
    :param active_deadline_seconds: Default: 3600. The Job is stopped after this long, retries included.
    :param ttl_seconds_after_finished: Default: 86400. Finished Jobs (and their pods) are deleted after a day.
    """

    def __init__(self, scope: Construct, id: str, *, backoff_limit: int = 2, active_deadline_seconds: int = 3600,
                 ttl_seconds_after_finished: int = 86400, **workload: Any):
        if workload.get("health") is not None:
            raise ShipformError(child_path(scope, id), "health",
                                "is not used by Jobs and CronJobs (they run to completion)", workload["health"],
                                "drop health; use active_deadline_seconds to bound a run")
        super().__init__(scope, id, **workload)
        self.backoff_limit = props.positive_int(self.path, "backoff_limit", backoff_limit, minimum=0)
        self.active_deadline_seconds = props.positive_int(self.path, "active_deadline_seconds",
                                                          active_deadline_seconds)
        self.ttl_seconds_after_finished = props.positive_int(self.path, "ttl_seconds_after_finished",
                                                             ttl_seconds_after_finished, minimum=0)
        self.service_account = self.add_object("v1", "ServiceAccount", self._service_account)
        self.network_policy = self.add_object("networking.k8s.io/v1", "NetworkPolicy",
                                              lambda: {**network.network_policy(self),
                                                       "metadata": self.hook_metadata(-1)})

    pre_sync_hook = False
    """True for migration Jobs: Argo CD then runs them, and what they need, before syncing the rest."""

    def hook_metadata(self, wave: int) -> dict[str, Any]:
        if not self.pre_sync_hook:
            return self.metadata()
        # Hooks run before ordinary resources exist, so the Job's own ServiceAccount and NetworkPolicy
        # are hooks too, in an earlier wave.
        return self.metadata(annotations={**ARGO_PRE_SYNC, "argocd.argoproj.io/sync-wave": str(wave)})

    def _service_account(self) -> dict[str, Any]:
        return {**super()._service_account(), "metadata": self.hook_metadata(-1)}

    def job_spec(self) -> dict[str, Any]:
        return {
            "backoffLimit": self.backoff_limit,
            "activeDeadlineSeconds": self.active_deadline_seconds,
            "ttlSecondsAfterFinished": self.ttl_seconds_after_finished,
            "template": pod.pod_template(self, [], batch=True),
        }

    def validate(self) -> list[ShipformError]:
        errors = super().validate()
        if self.build is None and self.command is None and self.image_source is not None:
            errors.append(ShipformError(self.path, "command", "is required with image_of (else it would run the "
                                        "service itself)", None, "pass command=[...]"))
        return errors
