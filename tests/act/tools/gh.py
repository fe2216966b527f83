"""``gh`` (GitHub's CLI, preinstalled on GitHub's runners): the part the generated workflows use, against the local
"GitHub": pull requests kept in ``shipform-pulls.json`` in the bare remote's folder, commit statuses in
``shipform-statuses.json`` beside it.

- ``gh pr create --base B --head H --title T --body X``: H must be a branch of the remote with commits B lacks;
  one open pull request per head and base (the second gets gh's "already exists" error). With the workflow's
  GITHUB_TOKEN it needs the job's ``pull-requests: write`` AND the repository setting "Allow GitHub Actions to
  create and approve pull requests" (off by default; ``shipform-settings.json``), else GitHub's error.
- ``--repo``/``-R`` on ``pr create/list/view/edit``: the run's own repository only.
- ``gh pr list`` / ``gh pr view`` (``--head``, ``--base``, ``--state``, ``--json``, ``--jq`` through jq),
  ``gh pr edit N|BRANCH --title/--body``.
- ``gh api [-X POST] repos/OWNER/REPO/statuses/SHA -f state=... -f context=...``: a commit status (needs
  ``statuses: write`` with GITHUB_TOKEN).
- ``gh attestation trusted-root``: the local Sigstore's roots (both instances), for ``cosign --trusted-root``.
- ``gh api [--paginate] [--jq Q] users/NAME`` and ``orgs/ORG/packages/container/PACKAGE/versions[/ID]`` (GET, and
  DELETE of one version): GitHub's packages REST API over the loopback registry (gh_packages.py, with its docs).
Anything else fails saying it is not implemented, so that a new use shows up instead of passing silently.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from act.sigstore import Trust
from act.tools import gh_packages
from act.tools.common import folder, has_permission, token_kind


class GhError(Exception):
    pass


def remote() -> Path:
    return folder("REMOTE")


def load(name: str) -> list[dict[str, Any]]:
    path = remote() / name
    return json.loads(path.read_text()) if path.exists() else []


def save(name: str, records: list[dict[str, Any]]) -> None:
    (remote() / name).write_text(json.dumps(records, indent=2) + "\n")


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "--git-dir", str(remote()), *args], capture_output=True, text=True)


def authenticated(scope: str, level: str = "write") -> str:
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
    if not token:
        raise GhError("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable. "
                      "Example:\n  env:\n    GH_TOKEN: ${{ github.token }}")
    kind = token_kind(token)
    if kind is None:
        raise GhError("HTTP 401: Bad credentials (https://api.github.com/graphql)")
    if kind == "github-token" and not has_permission(scope, level):
        raise GhError("GraphQL: Resource not accessible by integration")
    return kind


def url(number: int) -> str:
    return f"https://github.com/{os.environ.get('GITHUB_REPOSITORY', '')}/pull/{number}"


def pr_create(args: argparse.Namespace) -> None:
    kind = authenticated("pull-requests")
    settings_path = remote() / "shipform-settings.json"
    settings = json.loads(settings_path.read_text()) if settings_path.exists() else {}
    if kind == "github-token" and not settings.get("actions_can_create_pull_requests", False):
        raise GhError("pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve "
                      "pull requests (createPullRequest)")
    base = args.base or "main"
    head = git("rev-parse", "--verify", "-q", f"refs/heads/{args.head}").stdout.strip()
    if not head:
        raise GhError("pull request create failed: GraphQL: Head sha can't be blank, Base sha can't be blank, "
                      "Head ref must be a branch (createPullRequest)")
    if not git("rev-list", f"refs/heads/{base}..{head}").stdout.strip():
        raise GhError(f"pull request create failed: GraphQL: No commits between {base} and {args.head} "
                      "(createPullRequest)")
    pulls = load("shipform-pulls.json")
    for pull in pulls:
        if pull["state"] == "OPEN" and pull["headRefName"] == args.head and pull["baseRefName"] == base:
            raise GhError(f'a pull request for branch "{args.head}" into branch "{base}" already exists:\n'
                          f"{url(pull['number'])}")
    number = max((p["number"] for p in pulls), default=0) + 1
    pulls.append({"number": number, "title": args.title or "", "body": args.body or "", "state": "OPEN",
                  "headRefName": args.head, "baseRefName": base, "headRefOid": head, "url": url(number),
                  "author": kind})
    save("shipform-pulls.json", pulls)
    print(url(number))


def find(pulls: list[dict[str, Any]], selector: str | None) -> dict[str, Any]:
    branch = os.environ.get("GITHUB_HEAD_REF", "")
    for pull in reversed(pulls):
        if selector in (str(pull["number"]), pull["headRefName"], pull["url"]) or (not selector and
                                                                                 pull["headRefName"] == branch):
            return pull
    raise GhError(f"no pull requests found for branch \"{selector or branch}\"")


def emit(data: Any, fields: str | None, jq: str | None) -> None:
    if fields:
        keys = fields.split(",")
        data = [{k: p.get(k) for k in keys} for p in data] if isinstance(data, list) else {k: data.get(k) for k in keys}
    text = json.dumps(data)
    if jq:
        text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=True).stdout
    print(text.rstrip("\n"))


def pr_list(args: argparse.Namespace) -> None:
    authenticated("pull-requests", "read")
    state = (args.state or "open").upper()
    pulls = [p for p in load("shipform-pulls.json")
             if (state == "ALL" or p["state"] == state) and (not args.head or p["headRefName"] == args.head)
             and (not args.base or p["baseRefName"] == args.base)]
    emit(pulls, args.json or "number,title,headRefName,url", args.jq)


def pr_view(args: argparse.Namespace) -> None:
    authenticated("pull-requests", "read")
    emit(find(load("shipform-pulls.json"), args.selector), args.json or "number,title,url", args.jq)


def pr_edit(args: argparse.Namespace) -> None:
    authenticated("pull-requests")
    pulls = load("shipform-pulls.json")
    pull = find(pulls, args.selector)
    if args.title is not None:
        pull["title"] = args.title
    if args.body is not None:
        pull["body"] = args.body
    pull["headRefOid"] = git("rev-parse", f"refs/heads/{pull['headRefName']}").stdout.strip()
    save("shipform-pulls.json", pulls)
    print(pull["url"])


def api(args: argparse.Namespace) -> None:
    parts = args.endpoint.strip("/").split("/")
    if parts[0] in ("users", "orgs"):
        packages_api(args, args.endpoint.split("?", 1)[0].strip("/").split("/"))
        return
    if len(parts) == 5 and parts[0] == "repos" and parts[3] == "statuses":
        authenticated("statuses")
        fields = dict(f.split("=", 1) for f in (args.field or []) + (args.raw_field or []))
        if fields.get("state") not in ("error", "failure", "pending", "success"):
            raise GhError("HTTP 422: Validation Failed (state)")
        statuses = load("shipform-statuses.json")
        statuses.append({"sha": parts[4], **fields})
        save("shipform-statuses.json", statuses)
        print(json.dumps({"state": fields["state"], "context": fields.get("context", "default")}))
        return
    raise GhError(f"gh api {args.endpoint}: not implemented by the stand-in (tests/act/tools/gh.py)")


def packages_api(args: argparse.Namespace, parts: list[str]) -> None:
    method = args.method.upper()
    if "packages" in parts:
        authenticated("packages", "write" if method == "DELETE" else "read")
    try:
        data = gh_packages.call(method, parts)
    except gh_packages.NotFound as error:
        raise GhError(f"gh: {error} (HTTP 404)") from error
    if data is not None:
        emit(data, None, args.jq)


def same_repository(name: str) -> str:
    """``--repo OWNER/REPO``: the local GitHub holds one repository, the run's."""
    if name != os.environ.get("GITHUB_REPOSITORY"):
        raise argparse.ArgumentTypeError(f"GraphQL: Could not resolve to a Repository with the name '{name}'.")
    return name


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="gh")
    groups = root.add_subparsers(dest="group", required=True)
    pr = groups.add_parser("pr").add_subparsers(dest="command", required=True)
    create = pr.add_parser("create")
    create.add_argument("--repo", "-R", type=same_repository)
    create.add_argument("--base", "-B")
    create.add_argument("--head", "-H", required=True)
    create.add_argument("--title", "-t")
    create.add_argument("--body", "-b")
    for name in ("list", "view"):
        command = pr.add_parser(name)
        command.add_argument("--repo", "-R", type=same_repository)
        if name == "view":
            command.add_argument("selector", nargs="?")
        command.add_argument("--head", "-H")
        command.add_argument("--base", "-B")
        command.add_argument("--state", "-s")
        command.add_argument("--json")
        command.add_argument("--jq", "-q")
    edit = pr.add_parser("edit")
    edit.add_argument("--repo", "-R", type=same_repository)
    edit.add_argument("selector", nargs="?")
    edit.add_argument("--title", "-t")
    edit.add_argument("--body", "-b")
    call = groups.add_parser("api")
    call.add_argument("endpoint")
    call.add_argument("-X", "--method", default="GET")
    call.add_argument("-f", "--raw-field", action="append")
    call.add_argument("-F", "--field", action="append")
    call.add_argument("--paginate", action="store_true")
    call.add_argument("--jq", "-q")
    attestation = groups.add_parser("attestation").add_subparsers(dest="command", required=True)
    attestation.add_parser("trusted-root")
    return root


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = {("pr", "create"): pr_create, ("pr", "list"): pr_list, ("pr", "view"): pr_view,
             ("pr", "edit"): pr_edit}
    try:
        args, unknown = parser().parse_known_args(argv)
        if unknown:
            raise GhError(f"gh {' '.join(argv)}: options {unknown} are not implemented by the stand-in")
        if args.group == "api":
            api(args)
        elif args.group == "attestation":
            print(Trust(folder("SIGSTORE")).trusted_root_json(), end="")
        else:
            known[(args.group, args.command)](args)
    except GhError as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
