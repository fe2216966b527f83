"""The repository on the local "GitHub": a bare git repository with ``main`` as its default branch, hooks that
apply GitHub's push rules and log every push (act/tools/receive.py), and readers of its final state for the
tests' assertions: refs, commits, files, pushes, pull requests and commit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from act.tools.receive import ZERO

TESTS = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Push:
    ref: str
    before: str
    after: str
    pusher: str  # 'developer', 'github-token' or 'app'
    job: str | None


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    author: str
    files: tuple[str, ...]


class Remote:
    """``owner/name`` on the local GitHub, stored at ``<github>/git/owner/name.git``."""

    def __init__(self, github: Path, full_name: str):
        self.full_name = full_name
        self.path = github / "git" / f"{full_name}.git"

    def create(self, default_branch: str = "main") -> Remote:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "--bare", f"--initial-branch={default_branch}", str(self.path), bare=False)
        # GitHub serves any reachable commit by its SHA (actions/checkout fetches exactly github.sha).
        self.git("config", "uploadpack.allowAnySHA1InWant", "true")
        for hook in ("pre-receive", "post-receive"):
            script = self.path / "hooks" / hook
            script.write_text(f'#!/bin/sh\nPYTHONPATH="{TESTS}" exec "{sys.executable}" -m act.tools.receive {hook}\n')
            script.chmod(0o755)
        return self

    def git(self, *args: str, bare: bool = True) -> str:
        command = ["git", *(["--git-dir", str(self.path)] if bare else []), *args]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"`{' '.join(command)}` exited {proc.returncode}: {proc.stderr}")
        return proc.stdout

    def settings(self, **values: object) -> None:
        """GitHub's repository settings the hooks and gh read: protected=['main'], bypass=['app'],
        actions_can_create_pull_requests=True."""
        path = self.path / "shipform-settings.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**current, **values}, indent=2))

    # --- state ---------------------------------------------------------------------------------------------

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        found = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return dict(line.split() for line in found.splitlines())

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}").strip()

    def commits(self, ref: str = "refs/heads/main", since: str | None = None) -> list[Commit]:
        """Newest first; only those after ``since`` when given."""
        span = f"{since}..{ref}" if since else ref
        out = self.git("log", "--format=%x00%H%x01%s%x01%an", "--name-only", span)
        commits = []
        for block in out.split("\x00")[1:]:
            head, _, names = block.partition("\n")
            sha, subject, author = head.split("\x01")
            commits.append(Commit(sha, subject, author, tuple(n for n in names.split("\n") if n)))
        return commits

    def file(self, ref: str, path: str) -> str | None:
        proc = subprocess.run(["git", "--git-dir", str(self.path), "show", f"{ref}:{path}"], capture_output=True,
                              text=True)
        return proc.stdout if proc.returncode == 0 else None

    def files(self, ref: str, prefix: str = "") -> list[str]:
        return [p for p in self.git("ls-tree", "-r", "--name-only", ref).splitlines() if p.startswith(prefix)]

    def changed(self, before: str, after: str) -> tuple[str, ...]:
        """Files a push changed (for a new ref: those of its newest commit, as GitHub compares with nothing)."""
        if before == ZERO:
            return tuple(self.git("show", "--format=", "--name-only", after).split())
        return tuple(self.git("diff", "--name-only", before, after).split())

    def message(self, sha: str) -> str:
        return self.git("log", "-1", "--format=%B", sha)

    def pushes(self) -> list[Push]:
        path = self.path / "shipform-pushes.jsonl"
        if not path.exists():
            return []
        return [Push(r["ref"], r["before"], r["after"], r["pusher"], r.get("job"))
                for r in map(json.loads, path.read_text().splitlines())]

    def pulls(self) -> list[dict[str, object]]:
        path = self.path / "shipform-pulls.json"
        return json.loads(path.read_text()) if path.exists() else []

    def statuses(self) -> list[dict[str, str]]:
        path = self.path / "shipform-statuses.json"
        return json.loads(path.read_text()) if path.exists() else []
