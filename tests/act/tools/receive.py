"""The bare remote's pre-receive and post-receive hooks: what GitHub's side of a push decides and records.

Who pushes is known from ``SHIPFORM_PUSHER``, which the runner's git configuration sets for each token GitHub
issued ('github-token', 'app'); pushes by the test itself (a developer) carry none. pre-receive refuses, with
GitHub's messages, a push with GITHUB_TOKEN from a job without ``contents: write``, and a push to a protected
branch (``shipform-settings.json``: ``protected`` branches, ``bypass`` pushers) by anyone not allowed to bypass.
post-receive appends every ref update that happened to ``shipform-pushes.jsonl``, which the tests and the
event router read.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from act.tools.common import has_permission

ZERO = "0" * 40


def settings() -> dict[str, object]:
    path = Path("shipform-settings.json")
    return json.loads(path.read_text()) if path.exists() else {}


def refuse(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def pre_receive(updates: list[tuple[str, str, str]], pusher: str) -> int:
    repository = os.environ.get("GITHUB_REPOSITORY", "the repository")
    if pusher == "github-token" and not has_permission("contents", "write"):
        return refuse(f"Permission to {repository}.git denied to github-actions[bot].\n(the job's GITHUB_TOKEN "
                      "lacks contents: write; GitHub answers 403)")
    config = settings()
    protected = config.get("protected") or []
    bypass = config.get("bypass") or []
    assert isinstance(protected, list) and isinstance(bypass, list)
    for _old, _new, ref in updates:
        branch = ref.removeprefix("refs/heads/")
        if ref.startswith("refs/heads/") and branch in protected and pusher != "developer" and pusher not in bypass:
            return refuse(f"error: GH006: Protected branch update failed for {ref}.\nerror: Changes must be made "
                          "through a pull request.")
    return 0


def post_receive(updates: list[tuple[str, str, str]], pusher: str) -> int:
    with open("shipform-pushes.jsonl", "a") as log:
        for old, new, ref in updates:
            log.write(json.dumps({"ref": ref, "before": old, "after": new, "pusher": pusher,
                                  "job": os.environ.get("GITHUB_JOB"), "time": time.time()}) + "\n")
    return 0


def main() -> int:
    updates = [tuple(line.split()[:3]) for line in sys.stdin if line.strip()]
    pusher = os.environ.get("SHIPFORM_PUSHER", "developer")
    hook = pre_receive if sys.argv[1] == "pre-receive" else post_receive
    return hook(updates, pusher)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
