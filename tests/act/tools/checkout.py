"""actions/checkout's stand-in: fetch the commit the event names (or ``ref``) from the repository on the local
"GitHub" (``$GITHUB_SERVER_URL/<repository>``, which the runner's git configuration maps to the bare remote for
URLs carrying a token GitHub issued), shallow by default, and check it out the way the real action does:

- a branch ref (``refs/heads/main`` with ``$GITHUB_SHA``): ``git checkout -B main refs/remotes/origin/main``
- a tag: ``git checkout refs/tags/<tag>`` (detached)
- a pull request merge ref or a bare SHA: detached at the commit
- ``fetch-depth: 0``: every branch and tag, full history.

``persist-credentials: true`` (the default) leaves the token in the repository's git configuration, so later
``git fetch``/``git push origin`` work; ``false`` leaves none, and then they fail, as they do on GitHub for a
private repository. Before anything else it runs ``$STANDIN_HOOKS/<job id>`` if the test put one there
(how a test makes something happen while a run is in progress, e.g. a push landing during a build).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from act.tools.common import fail, folder, has_permission, output, run, say, token_kind, value, workspace

SHA = re.compile(r"[0-9a-f]{40}")


def git(*args: str, cwd: Path) -> str:
    return run(["git", "-C", str(cwd), *args], capture=True).stdout.strip()


def run_hook() -> None:
    """The test's hook for this job, once (the first of a matrix's jobs runs it)."""
    hook = folder("HOOKS") / os.environ.get("GITHUB_JOB", "")
    if hook.is_file():
        say(f"running the test's hook {hook} before checking out")
        ran = hook.rename(hook.with_suffix(".ran"))
        subprocess.run(["bash", str(ran)], check=True)


def already_fetched(path: Path, fetch: list[str], commit: str) -> bool:
    """After fetching all history, whether the event's ref is at its commit already: the real action fetches
    the targeted refspec only when it is not (the ref moved since the event), as git refuses to fetch a commit
    and a tag into the same tag."""
    if not commit or len(fetch) != 1 or ":" not in fetch[0]:
        return False
    local = fetch[0].split(":", 1)[1]
    found = subprocess.run(["git", "-C", str(path), "rev-parse", "-q", "--verify", f"{local}^{{commit}}"],
                           capture_output=True, text=True)
    return found.stdout.strip() == commit


def refspecs(ref: str, commit: str, depth: int) -> tuple[list[str], list[str]]:
    """(what to fetch, how to check it out), after the real action's ref-helper."""
    fetch: list[str] = []
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        fetch.append(f"+{commit or ref}:refs/remotes/origin/{branch}")
        return fetch, ["checkout", "--force", "-B", branch, f"refs/remotes/origin/{branch}"]
    if ref.startswith("refs/tags/"):
        fetch.append(f"+{commit or ref}:{ref}")
        return fetch, ["checkout", "--force", ref]
    if ref.startswith("refs/pull/"):
        remote = ref.replace("refs/pull/", "refs/remotes/pull/", 1)
        fetch.append(f"+{commit or ref}:{remote}")
        return fetch, ["checkout", "--force", remote]
    if commit:
        fetch.append(commit)
        return fetch, ["checkout", "--force", commit]
    # A short name: a branch of that name if there is one, else a tag (the real action lists remote refs first).
    fetch += [f"+refs/heads/{ref}*:refs/remotes/origin/{ref}*", f"+refs/tags/{ref}*:refs/tags/{ref}*"]
    return fetch, ["checkout", "--force", "-B", ref, f"refs/remotes/origin/{ref}"]


def rewritten(url: str) -> str:
    """The base the runner's global git configuration rewrites ``url`` to."""
    found = run(["git", "config", "--global", "--get-regexp", r"^url\..*\.insteadof$"], capture=True).stdout
    for line in found.splitlines():
        key, _, prefix = line.rpartition(" ")  # the key (a rewrite target) may hold spaces; the URL not
        if prefix == url:
            return key.removeprefix("url.").removesuffix(".insteadof")
    fail(f"no git rewrite for {url} in the runner's configuration")


def main() -> int:
    run_hook()
    repository = value("repository") or os.environ["GITHUB_REPOSITORY"]
    token = value("token")
    if token_kind(token) is None:
        fail("Input required and not supplied: token" if not token else "fatal: Authentication failed: the token "
             "is not one GitHub issued for this run")
    if token_kind(token) == "github-token" and not has_permission("contents", "read"):
        fail(f"remote: Repository not found.\nfatal: repository '{os.environ['GITHUB_SERVER_URL']}/{repository}/' "
             "not found (the job's permissions do not include contents: read)")
    ref, commit = value("ref"), ""
    if not ref:
        ref, commit = os.environ["GITHUB_REF"], os.environ["GITHUB_SHA"]
    elif SHA.fullmatch(ref):
        ref, commit = "", ref
    depth = int(value("fetch-depth") or "1")
    path = workspace() / value("path")
    path.mkdir(parents=True, exist_ok=True)
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    host = server.removeprefix("https://").removeprefix("http://")
    authenticated = f"https://x-access-token:{token}@{host}/"
    git("init", "-q", cwd=path)
    git("remote", "add", "origin", f"{server}/{repository}", cwd=path)
    fetch, checkout = refspecs(ref, commit, depth)
    depth_args = [] if depth == 0 else [f"--depth={depth}"]
    tags = ["--tags"] if value("fetch-tags") == "true" or depth == 0 else ["--no-tags"]
    url = f"{authenticated}{repository}"
    if depth == 0:  # all history first, then the event's commit exactly (the branch may have moved since)
        run(["git", "-C", str(path), "fetch", "--quiet", "--no-recurse-submodules", "--prune", "--tags", url,
             "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"])
    if depth != 0 or not already_fetched(path, fetch, commit):
        run(["git", "-C", str(path), "fetch", "--quiet", "--no-recurse-submodules", *tags, *depth_args, url,
             *fetch])
    run(["git", "-c", "advice.detachedHead=false", "-C", str(path), *checkout[:1], "--quiet", *checkout[1:]])
    if value("persist-credentials", "true") != "false":
        # The real action stores the token as an extraheader for the server; here the same effect is a rewrite of
        # the server's URLs to where the runner's git configuration sends this token's (git rewrites only once).
        git("config", "--local", f"url.{rewritten(authenticated)}.insteadOf", f"{server}/", cwd=path)
    head = git("rev-parse", "HEAD", cwd=path)
    say(f"checked out {ref or commit} at {head} into {path}")
    output("ref", ref)
    output("commit", head)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
