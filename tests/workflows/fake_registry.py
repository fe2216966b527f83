"""A registry in a JSON file, behind fake ``skopeo`` and ``gh`` commands, for running the cleanup script without a
network: ``skopeo list-tags``, ``inspect --raw`` and ``delete`` (a manifest DELETE removes every tag on it, as
distribution does), and the two GitHub packages API endpoints the script calls (list a container package's versions:
each a digest with its tags; delete one) plus ``GET users/<owner>`` (the owner's ``type``). The state:
``{repository: {"manifests": {digest: text}, "tags": {tag: digest}}}``; every call is logged in ``calls``."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ORGANIZATIONS = {"acme"}


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def version_id(digest: str) -> int:
    return int(digest.removeprefix("sha256:")[:8], 16)


class State:
    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text())

    def repository(self, name: str) -> dict[str, Any] | None:
        found = self.data["repositories"].get(name)
        return found if isinstance(found, dict) else None

    def log(self, *call: str) -> None:
        self.data.setdefault("calls", []).append(list(call))

    def save(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=1))


def _split(reference: str) -> tuple[str, str]:
    name = reference.removeprefix("docker://")
    if "@" in name:
        repository, _, at = name.partition("@")
        return repository, at
    repository, _, tag = name.rpartition(":")
    return repository, tag


def skopeo(state: State, args: list[str]) -> int:
    command, reference = args[0], args[-1]
    state.log("skopeo", *args)
    repository, at = _split(reference) if command != "list-tags" else (reference.removeprefix("docker://"), "")
    repo = state.repository(repository)
    if repo is None:
        print("FATA[0000] Error listing repository tags: fetching tags list: repository name not known to "
              "registry", file=sys.stderr)
        return 1
    if command == "list-tags":
        print(json.dumps({"Repository": repository, "Tags": sorted(repo["tags"])}))
        return 0
    digest = at if at.startswith("sha256:") else repo["tags"].get(at)
    if digest not in repo["manifests"]:
        print(f"FATA[0000] Error: reading manifest {at} in {repository}: manifest unknown", file=sys.stderr)
        return 1
    if command == "inspect":
        sys.stdout.write(repo["manifests"][digest])
        return 0
    if command == "delete":
        del repo["manifests"][digest]
        repo["tags"] = {t: d for t, d in repo["tags"].items() if d != digest}
        return 0
    print(f"fake skopeo: {command} is not faked", file=sys.stderr)
    return 2


def gh(state: State, args: list[str]) -> int:
    state.log("gh", *args)
    method = "GET"
    if "--method" in args:
        method = args[args.index("--method") + 1]
    endpoint = next(a for a in args[1:] if "/" in a and not a.startswith("-"))
    parts = endpoint.split("?", 1)[0].split("/")
    if parts[0] == "users" and len(parts) == 2:
        print("Organization" if parts[1] in ORGANIZATIONS else "User")
        return 0
    scope, owner, _, kind, package, _ = parts[:6]
    if scope != ("orgs" if owner in ORGANIZATIONS else "users") or kind != "container":
        print("gh: Not Found (HTTP 404)", file=sys.stderr)
        return 1
    repo = state.repository(f"ghcr.io/{owner}/{package.replace('%2F', '/')}")
    if repo is None:
        print("gh: Package not found. (HTTP 404)", file=sys.stderr)
        return 1
    if method == "DELETE":
        digest = next(d for d in repo["manifests"] if version_id(d) == int(parts[6]))
        del repo["manifests"][digest]
        repo["tags"] = {t: d for t, d in repo["tags"].items() if d != digest}
        return 0
    versions = [{"id": version_id(d), "name": d, "metadata": {"package_type": "container", "container": {
        "tags": sorted(t for t, at in repo["tags"].items() if at == d)}}} for d in repo["manifests"]]
    print(json.dumps(versions))
    return 0


def main() -> int:
    state = State(Path(sys.argv[1]))
    try:
        return {"skopeo": skopeo, "gh": gh}[sys.argv[2]](state, sys.argv[3:])
    finally:
        state.save()


if __name__ == "__main__":
    raise SystemExit(main())
