"""Migration: a schema migration that must finish before a new version of a WebService serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from shipform.model.external import External
from shipform.model.job import Job
from shipform.model.stateful_db import StatefulDB
from shipform.model.workload import Workload
from shipform.providers.gitops import GITOPS
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.resources import Resources
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class Migration:
    """``WebService(..., migrate=Migration(["python", "-m", "migrate"]))`` runs the command with the
    service's image, env and configuration before the new version serves, and with least privilege: it
    connects to the service's databases only (StatefulDBs) and gets none of the service's own secrets, unless
    ``connects_to`` and ``secrets`` say otherwise:

    - Argo CD (``Environment(gitops="argocd")``, the default): a Job ``<service>-migrate`` with a
      PreSync hook, so Argo CD runs it to completion before it syncs the Deployment.
    - Flux (``gitops="flux"``): an init container of the Deployment, since Flux has no hooks; every new
      pod migrates first, so the command must be idempotent and take its own lock. (It shares the pod, so it
      has the service's secrets and network.)
    - compose: a one-shot service the web service ``depends_on`` with ``service_completed_successfully``.
    """

    command: Sequence[str]
    backoff_limit: int = 1
    """Default: 1. Retries before the migration (and so the rollout) fails."""
    active_deadline_seconds: int = 600
    """Default: 600. The migration is stopped after this long."""
    resources: Resources | None = None
    """Default: the service's resources."""
    connects_to: Sequence[Workload | External] | None = None
    """Default: None, meaning the service's databases (its StatefulDB targets), whenever they are added. What the
    migration connects to, e.g. ``[db, ledger]`` for a managed database outside the cluster too."""
    secrets: Mapping[str, SecretRef] | None = None
    """Default: None, meaning none of the service's own secrets (the databases' credentials come with them)."""
    prop_example: ClassVar[str] = "Migration(['python', '-m', 'migrate'])"

    def attach(self, service: Workload) -> Job | None:
        """The migration Job of ``service`` (a WebService), or None where the service's pods migrate in an init
        container instead."""
        check_fields(service.path, "migrate", self)
        checks.command(service.path, "migrate.command", self.command)
        if not GITOPS[service.environment.gitops].hooks:
            return None
        job_type = Job if self.connects_to is not None else MigrationJob
        job = job_type(service.scope, f"{service.id}-migrate", name=f"{service.name}-migrate", image_of=service,
                  command=list(self.command), env=service.env, secrets=dict(self.secrets or {}),
                  config=service.config, files=service.files,
                  connects_to=list(self.connects_to) if self.connects_to is not None else service.connects_to,
                  resources=self.resources or service.resource_props, backoff_limit=self.backoff_limit,
                  active_deadline_seconds=self.active_deadline_seconds, pre_sync_hook=True,
                  run_as_user=service.run_as_user, run_as_group=service.run_as_group)
        if self.connects_to is None:  # the service's own list, so later additions count
            job.connects_to = service.connects_to
        job.named_after = service  # a name too long for the Job is the service's id or name
        return job


class MigrationJob(Job):
    """A migration that shares its service's connects_to and reaches the databases among them only."""

    def targets(self) -> list[Workload | External]:
        return [t for t in super().targets() if isinstance(t, StatefulDB)]
