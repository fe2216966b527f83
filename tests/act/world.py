"""One test's GitHub: the repository (bare remote) with its settings, the GitHub App installed on it, the tokens
GitHub issues, the developer's clone (the user-like repository) and the registry namespace its images go to;
``run`` runs a workflow for an event, ``started_by`` says which workflows GitHub would start for a push."""

from __future__ import annotations

import fnmatch
import itertools
import json
import secrets as random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from act import events
from act.oci import Registry
from act.release import by_service, lock_file, parse_lock
from act.remote import Push, Remote
from act.runner import Machine, RunResult, base_env, run_act
from act.triggers import Event, starts
from act.user_repo import UserRepo

_NAMESPACES = itertools.count(1)


class World:
    def __init__(self, root: Path, machine: Machine, full_name: str = "acme/platform", visibility: str = "private"):
        self.root = root
        self.machine = machine
        self.full_name = full_name
        self.visibility = visibility
        self.github = root / "github"
        self.remote = Remote(self.github, full_name).create()
        self.github_token = f"ghs_workflow_{random.token_hex(8)}"
        self.app = {"app_id": "424242", "client_id": "Iv23liAcmeRelease0", "slug": "acme-release-bot",
                    "installation_id": "7",
                    "token": f"ghs_app_{random.token_hex(8)}", "private_key": _app_key()}
        (self.github / "app.json").write_text(json.dumps(self.app, indent=2))
        self.namespace = f"{machine.registry}/run{next(_NAMESPACES)}-{random.token_hex(2)}"
        self.registry = Registry(machine.registry)
        self.repo = UserRepo(root / "clone", self.remote, self.namespace).create()
        self._runs = itertools.count(1)
        self.extra_env: dict[str, str] = {}
        """Variables every run's steps see besides the runner's (e.g. a registries.conf of this world's own)."""

    # --- what a test configures ----------------------------------------------------------------------------

    def app_credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """(vars, secrets) that configure the release loop's GitHub App (docs/release-loop.md:
        SHIPFORM_APP_CLIENT_ID, SHIPFORM_APP_KEY)."""
        return {"SHIPFORM_APP_CLIENT_ID": self.app["client_id"]}, {"SHIPFORM_APP_KEY": self.app["private_key"]}

    def tokens(self) -> dict[str, str]:
        return {self.github_token: "github-token", self.app["token"]: "app"}

    # --- running -------------------------------------------------------------------------------------------

    def run(self, workflow: str, event_name: str, payload: dict[str, Any], *, secrets: dict[str, str] | None = None,
            variables: dict[str, str] | None = None, inputs: dict[str, str] | None = None,
            hooks: dict[str, str] | None = None) -> RunResult:
        """Run ``.github/workflows/<workflow>`` for the event, at the commit the payload names.

        ``hooks``: {job id: bash script} run by the checkout stand-in before that job checks out (e.g. a push
        that lands while the run is in progress)."""
        number = next(self._runs)
        folder = self.root / "runs" / f"{number:02d}-{workflow.removesuffix('.yaml')}-{event_name}"
        (folder / "hooks").mkdir(parents=True)
        (folder / "artifacts").mkdir()
        for job, script in (hooks or {}).items():
            (folder / "hooks" / job).write_text(script)
        sha, ref = self._commit_and_ref(event_name, payload)
        workdir = folder / "workdir"
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(self.remote.path), str(workdir)], check=True)
        subprocess.run(["git", "-C", str(workdir), "checkout", "-q", "--detach", sha], check=True)
        subprocess.run(["git", "-C", str(workdir), "remote", "set-url", "origin",
                        f"https://github.com/{self.full_name}.git"], check=True)
        home = folder / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(self._gitconfig())
        env = {**base_env(self.machine, home), "STANDIN_ROOT": str(self.github),
               "STANDIN_REMOTE": str(self.remote.path), "STANDIN_HOOKS": str(folder / "hooks"),
               "STANDIN_ARTIFACTS": str(folder / "artifacts"),
               "STANDIN_TOKENS": json.dumps(self.tokens()),
               "GITHUB_WORKFLOW_REF": f"{self.full_name}/.github/workflows/{workflow}@{ref}",
               "GITHUB_WORKFLOW_SHA": sha, "GITHUB_RUN_ID": str(9000 + number), **self.extra_env}
        given_vars = {"REGISTRY_USERNAME": "acme-ci", **(variables or {})}
        given_secrets = {"GITHUB_TOKEN": self.github_token, "REGISTRY_PASSWORD": "loopback-needs-none",
                         **(secrets or {})}
        return run_act(self.machine, workdir, folder, workflow, event_name, payload, env, given_secrets, given_vars,
                       inputs)

    def _commit_and_ref(self, event_name: str, payload: dict[str, Any]) -> tuple[str, str]:
        if event_name == "push":
            return str(payload["after"]), str(payload["ref"])
        if event_name == "pull_request":
            number = payload["number"]
            return str(payload["pull_request"]["merge_commit_sha"]), f"refs/pull/{number}/merge"
        ref = str(payload["ref"])
        return self.remote.git("rev-parse", ref).strip(), ref

    def _gitconfig(self) -> str:
        lines = ["[protocol \"ext\"]", "\tallow = always", "[safe]", "\tdirectory = *"]
        git = self.github / "git"
        # GitHub's side of a push never sees the client's configuration: the client's `git -c ...` (passed on to
        # the programs git starts, here the receiving side too) must not reach the remote's hooks.
        server = "env -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT"
        for token, kind in self.tokens().items():
            lines += [f'[url "ext::{server} SHIPFORM_PUSHER={kind} git-%s {git}/"]',
                      f"\tinsteadOf = https://x-access-token:{token}@github.com/"]
        return "\n".join(lines) + "\n"

    # --- events --------------------------------------------------------------------------------------------

    def push_payload(self, push: Push) -> dict[str, Any]:
        return events.push(self.full_name, push.ref, push.before, push.after, self.remote.message(push.after),
                           push.pusher, self.visibility)

    def run_push(self, workflow: str, push: Push, **kw: Any) -> RunResult:
        return self.run(workflow, "push", self.push_payload(push), **kw)

    def last_push(self, ref: str = "refs/heads/main") -> Push:
        return [p for p in self.remote.pushes() if p.ref == ref][-1]

    def pull_request(self, branch: str, number: int = 1) -> dict[str, Any]:
        """Push ``branch`` and the merge commit GitHub would make of it into main (``refs/pull/<n>/merge``);
        the pull_request event's payload."""
        head = self.repo.push(branch)
        base = self.remote.head("main")
        merge = self.repo.git("commit-tree", f"{head}^{{tree}}", "-p", base, "-p", head, "-m",
                              f"Merge {head} into {base}")
        self.repo.git("push", "-q", "origin", f"{head}:refs/pull/{number}/head", f"{merge}:refs/pull/{number}/merge")
        return events.pull_request(self.full_name, number, branch, head, "main", base, merge,
                                   visibility=self.visibility)

    def workflow(self, pattern: str, ref: str = "refs/heads/main") -> str:
        """The one workflow file on ``ref`` whose name matches ``pattern`` (e.g. 'shop-promote*')."""
        names = [p.removeprefix(".github/workflows/") for p in self.remote.files(ref, ".github/workflows/")]
        found = fnmatch.filter(names, pattern)
        assert len(found) == 1, f"{pattern} matches {found} of {names}"
        return found[0]

    def dispatch_payload(self, ref: str = "refs/heads/main", inputs: dict[str, str] | None = None) -> dict[str, Any]:
        return events.workflow_dispatch(self.full_name, ref, inputs, self.visibility)

    def started_by(self, push: Push, actor: str | None = None) -> list[str]:
        """The workflow files GitHub would start for ``push`` (read at the pushed commit, as GitHub reads them);
        ``actor`` evaluates it as if pushed by someone else (e.g. 'app': with a token that starts workflows)."""
        event = Event("push", push.ref, self.remote.changed(push.before, push.after),
                      self.remote.message(push.after), actor or push.pusher)
        started = []
        for path in self.remote.files(push.after, ".github/workflows/"):
            if path.endswith((".yaml", ".yml")):
                workflow = yaml.safe_load(self.remote.file(push.after, path) or "") or {}
                if starts(workflow, event):
                    started.append(path.removeprefix(".github/workflows/"))
        return sorted(started)

    def run_started(self, push: Push, only: str = "*", **kw: Any) -> dict[str, RunResult]:
        """Run, at the same time as GitHub would, every workflow the push starts (those whose file name matches
        ``only``, to spare the machine runs a scenario does not look at); {workflow: result}."""
        started = [name for name in self.started_by(push) if fnmatch.fnmatch(name, only)]
        results = self.run_together([(name, push) for name in started], **kw)
        return dict(zip(started, results, strict=True))

    def run_together(self, runs: list[tuple[str, Push]], **kw: Any) -> list[RunResult]:
        """Run several (workflow, push) at the same time, as GitHub runs the workflows of different events."""
        with ThreadPoolExecutor(max_workers=max(1, len(runs))) as pool:
            futures = [pool.submit(self.run_push, name, push, **kw) for name, push in runs]
            return [future.result() for future in futures]

    def settle(self, push: Push, rounds: int = 3, only: str = "*", **kw: Any) -> list[dict[str, RunResult]]:
        """Run what ``push`` starts, then what the pushes of those runs start, and so on until nothing starts;
        fails when that has not happened after ``rounds`` rounds (a loop of builds)."""
        history, pending = [], [push]
        for _ in range(rounds):
            seen = len(self.remote.pushes())
            results: dict[str, RunResult] = {}
            for next_push in pending:
                results.update(self.run_started(next_push, only, **kw))
            history.append(results)
            pending = self.remote.pushes()[seen:]
            if not any(fnmatch.filter(self.started_by(p), only) for p in pending):
                return history
        raise AssertionError(f"still starting workflows after {rounds} rounds: {[list(h) for h in history]}")

    def merge(self, branch: str) -> str:
        """Merge ``branch`` into main as a developer would merge its pull request (a merge commit)."""
        self.repo.pull()
        self.repo.git("fetch", "-q", "origin", branch)
        self.repo.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", "FETCH_HEAD")
        return self.repo.push()

    # --- the lock, as committed ----------------------------------------------------------------------------

    def lock(self, app: str, ref: str = "refs/heads/main") -> dict[str, dict[str, str]]:
        return parse_lock(self.remote.file(ref, lock_file(app)))

    def locked(self, app: str, env: str, ref: str = "refs/heads/main") -> dict[str, str]:
        """{service: digest} recorded for ``env`` on ``ref``."""
        return by_service(self.lock(app, ref).get(env, {}), app)

    # --- the registry --------------------------------------------------------------------------------------

    def image(self, app: str, service: str) -> str:
        """The repository (in the loopback registry) of a built image."""
        return f"{self.namespace.split('/', 1)[1]}/{app}-{service}"

    def tags(self, app: str, service: str) -> list[str]:
        return [t for t in self.registry.tags(self.image(app, service)) if not t.startswith("sha256-")]

    def digest(self, app: str, service: str, tag: str) -> str | None:
        return self.registry.digest(self.image(app, service), tag)


def _app_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def run_workflow(world: World, workflow_file: str, event: str, payload: dict[str, Any],
                 secrets: dict[str, str] | None = None, variables: dict[str, str] | None = None) -> RunResult:
    """Run ``.github/workflows/<workflow_file>`` of ``world``'s repository for ``event`` (its exit code, each
    job's result and its log); the same as ``world.run``."""
    return world.run(workflow_file, event, payload, secrets=secrets, variables=variables)
