"""How a restore and a restore drill read the dumps: from the backup claim, or fetched from the bucket first."""

from __future__ import annotations

from dataclasses import replace

from shipform import spec
from shipform.model.cron_job import CronJob
from shipform.model.object_store import AWS_CLI_IMAGE, S3Target, fetch_script
from shipform.model.workload import Workload
from shipform.values.quantity import Memory

RESTORE_DIR = "/backups"
"""Where the restore reads dumps: the backup claim (read-only), or the emptyDir the dump is fetched into."""


def dumps_volume(db_name: str, target: S3Target | None, size: Memory) -> spec.Volume:
    """Where a restore (or a drill) reads dumps: the backup claim, read-only, or with a bucket an emptyDir of
    ``size`` the dump is fetched into first."""
    source: spec.SharedClaim | spec.Scratch = spec.Scratch(size) if target is not None \
        else spec.SharedClaim(f"{db_name}-backups")
    return spec.Volume("backups", RESTORE_DIR, f"{db_name}-backups", source)


def fetch_step(job: Workload, target: S3Target | None, steps: spec.ToCompletion) -> spec.ToCompletion:
    """With a bucket, ``steps`` with an init step that fetches the dump ($RESTORE_FILE, or the newest) with the
    restore's read-only access, its only credential."""
    if target is None:
        return steps
    access = target.reach(job.path, restore=True, skip_containers=(job.name,))
    env = {**target.env(f"{job.app.name}/{job.environment.name}"), **access.env(),
           **{k: job.env[k] for k in ("BACKUP_DIR", "BACKUP_PREFIX")}}
    fetch = spec.Container("fetch", AWS_CLI_IMAGE, ("sh", "-c", fetch_script()),
                           tuple(spec.EnvVar(k, spec.Plain(v)) for k, v in env.items()), "", access.secret_files())
    return replace(steps, before=fetch)


class DumpReaderJob(CronJob):
    """A CronJob that reads a database's dumps (the restore, the restore drill): from the bucket, when there is
    one, by a fetch step with the restore's read-only identity or credentials and egress to the bucket alone; its
    files owned as the database's."""

    db: Workload
    target: S3Target | None

    def job_spec(self) -> spec.ToCompletion:
        return fetch_step(self, self.target, super().job_spec())

    def run_facets(self) -> tuple[spec.Facet, ...]:
        if self.target is None:
            return ()
        identity = self.target.reach(self.path, restore=True, skip_containers=(self.name,)).identity
        return (identity,) if identity is not None else ()

    def referenced_secrets(self) -> set[str]:
        keys = self.target.restore_credentials if self.target is not None else None
        return super().referenced_secrets() | ({keys.name} if keys is not None else set())

    def egress_to_internet(self) -> tuple[spec.EgressToInternet, ...]:
        """The bucket, over HTTPS, and nothing else."""
        return (self.target.egress(),) if self.target is not None else ()

    def data_owner(self) -> tuple[int, int] | None:
        return self.db.data_owner()
