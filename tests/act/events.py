"""GitHub's event payloads (the parts workflows and actions read), written to the file act takes with ``-e``.

act reads ``ref`` and, for pull requests, ``number`` from the payload (GITHUB_REF is then
``refs/pull/<n>/merge``); GITHUB_SHA it takes from the commit checked out where it runs, which the runner makes
the payload's commit (``after``, the merge commit, or the dispatched branch's head).
"""

from __future__ import annotations

from typing import Any

ZERO = "0" * 40


def repository(full_name: str, visibility: str = "private", default_branch: str = "main") -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {"full_name": full_name, "name": name, "owner": {"login": owner}, "default_branch": default_branch,
            "private": visibility != "public", "visibility": visibility,
            "clone_url": f"https://github.com/{full_name}.git", "html_url": f"https://github.com/{full_name}"}


def push(full_name: str, ref: str, before: str, after: str, message: str = "", pusher: str = "developer",
         visibility: str = "private") -> dict[str, Any]:
    return {"ref": ref, "before": before, "after": after, "created": before == ZERO, "deleted": False,
            "forced": False, "base_ref": None, "repository": repository(full_name, visibility),
            "pusher": {"name": pusher}, "sender": {"login": pusher},
            "head_commit": {"id": after, "message": message}}


def pull_request(full_name: str, number: int, head_ref: str, head_sha: str, base_ref: str, base_sha: str,
                 merge_sha: str, action: str = "opened", visibility: str = "private") -> dict[str, Any]:
    repo = repository(full_name, visibility)
    return {"action": action, "number": number, "repository": repo, "sender": {"login": "developer"},
            "pull_request": {"number": number, "state": "open", "merged": False, "merge_commit_sha": merge_sha,
                             "head": {"ref": head_ref, "sha": head_sha, "repo": repo},
                             "base": {"ref": base_ref, "sha": base_sha, "repo": repo}}}


def workflow_dispatch(full_name: str, ref: str, inputs: dict[str, str] | None = None,
                      visibility: str = "private") -> dict[str, Any]:
    return {"ref": ref, "inputs": inputs or {}, "repository": repository(full_name, visibility),
            "sender": {"login": "developer"}, "workflow": ""}


def schedule(full_name: str, cron: str, default_branch: str = "main", visibility: str = "private") -> dict[str, Any]:
    """GitHub's ``schedule`` payload (the cron that fired) runs on the default branch's newest commit; act takes
    the ref from ``ref``, which GitHub's payload lacks (GITHUB_REF is the default branch there)."""
    return {"schedule": cron, "ref": f"refs/heads/{default_branch}",
            "repository": repository(full_name, visibility, default_branch)}
