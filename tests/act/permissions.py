"""The GITHUB_TOKEN permissions GitHub grants each job of a workflow, which act does not model: the runner hands
them to the stand-ins (``STANDIN_JOB_PERMISSIONS``) and to the remote's hook, which refuse what GitHub would.

GitHub's rules: a job's ``permissions`` if it has them, else the workflow's, else the repository's default (here
the restricted one GitHub sets for new repositories and organizations: contents and packages read, metadata
read). ``{}`` grants nothing; ``read-all`` / ``write-all`` grant every scope. The jobs of a workflow called with
``uses: ./.github/workflows/x.yaml`` get what they ask for, or the calling job's permissions when they ask for
nothing, never more than the calling job has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SCOPES = ("actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
          "models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses",
          "artifact-metadata")
LEVELS = {"none": 0, "read": 1, "write": 2}
RESTRICTED_DEFAULT = {"contents": "read", "packages": "read", "metadata": "read"}

Permissions = dict[str, str]


def granted(spec: Any) -> Permissions:
    """What a ``permissions:`` value grants (every scope named, 'none' where nothing)."""
    if spec == "read-all":
        return dict.fromkeys(SCOPES, "read")
    if spec == "write-all":
        return dict.fromkeys(SCOPES, "write")
    table = dict.fromkeys(SCOPES, "none")
    table.update({str(k): str(v) for k, v in (spec or {}).items()})
    return table


def ceiling(asked: Permissions, limit: Permissions) -> Permissions:
    scopes = set(asked) | set(limit)
    return {s: min(asked.get(s, "none"), limit.get(s, "none"), key=LEVELS.__getitem__) for s in scopes}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def job_permissions(workflow: Path, limit: Permissions | None = None) -> dict[str, Permissions]:
    """{job id: permissions} for every job of ``workflow`` and of the local workflows it calls."""
    data = load(workflow)
    default = granted(data["permissions"]) if "permissions" in data else dict(RESTRICTED_DEFAULT)
    table: dict[str, Permissions] = {}
    for job_id, job in (data.get("jobs") or {}).items():
        perms = granted(job["permissions"]) if "permissions" in job else default
        if limit is not None:
            perms = ceiling(perms, limit) if "permissions" in job or "permissions" in data else dict(limit)
        _merge(table, job_id, perms)
        uses = str(job.get("uses", ""))
        if uses.startswith("./"):
            called = workflow.parents[2] / uses.removeprefix("./")
            for called_id, called_perms in job_permissions(called, perms).items():
                _merge(table, called_id, called_perms)
    return table


def _merge(table: dict[str, Permissions], job_id: str, perms: Permissions) -> None:
    # Two jobs of the same id (a caller's and a called workflow's): the stand-ins cannot tell them apart, so
    # they get what both have.
    table[job_id] = ceiling(table[job_id], perms) if job_id in table else perms
