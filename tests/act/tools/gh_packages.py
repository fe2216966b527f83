"""``gh api`` for GitHub's packages REST API, the part the cleanup workflow calls, over the loopback registry: the
GHCR packages of one organization (``STANDIN_GHCR``: ``ghcr.io/<org>=<loopback host>/<namespace>``) are the
repositories under that namespace. Followed from GitHub's REST docs:

- "Get a user" (https://docs.github.com/rest/users/users#get-a-user): ``GET users/<name>`` answers for an
  organization too, with ``"type": "Organization"``.
- "List package versions for a package owned by an organization" (https://docs.github.com/rest/packages/packages
  #list-package-versions-for-a-package-owned-by-an-organization): ``GET orgs/<org>/packages/container/<package>
  /versions``, a package's name URL-encoded ('/' as %2F); a token with ``packages: read``. Each version is a
  manifest (``name``: its digest) with ``metadata.container.tags``; untagged manifests (signatures, attestations)
  are versions too. An unknown package is 404 "Package not found.".
- "Delete package version for an organization" (same page, #delete-package-version-for-an-organization):
  ``DELETE orgs/<org>/packages/container/<package>/versions/<id>``, ``packages: write`` (and the repository's admin
  role on the package, which every package here grants); 204, no body. Deleting the manifest removes its tags.

Not modelled: pagination (every version on the one page; ``--paginate`` is accepted), ``users/<user>/packages``
(the owner here is an organization), the 5,000-downloads rule for public packages, ``created_at`` and the other
fields the cleanup does not read."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from typing import Any

from act.oci import ACCEPT, Registry


class NotFound(Exception):
    """GitHub's 404, printed by gh as ``gh: <message> (HTTP 404)``."""


def mapping() -> tuple[str, str, str]:
    """(organization, loopback host, namespace) of ``STANDIN_GHCR``."""
    ghcr, _, loopback = os.environ.get("STANDIN_GHCR", "").partition("=")
    host, _, namespace = loopback.partition("/")
    if not ghcr.startswith("ghcr.io/") or not namespace:
        raise NotFound("Not Found")
    return ghcr.removeprefix("ghcr.io/"), host, namespace


def user(name: str) -> dict[str, Any]:
    org, _, _ = mapping()
    if name != org:
        raise NotFound("Not Found")
    return {"login": name, "type": "Organization"}


def _id(digest: str) -> int:
    return int(digest.removeprefix("sha256:")[:12], 16)


def versions(org: str, package: str) -> list[dict[str, Any]]:
    owner, host, namespace = mapping()
    repository = f"{namespace}/{urllib.parse.unquote(package)}"
    registry = Registry(host)
    tags = registry.tags(repository)
    if org != owner or not tags:
        raise NotFound("Package not found.")
    found: dict[str, list[str]] = {}
    for tag in tags:
        digest = registry.digest(repository, tag)
        if digest is not None:
            found.setdefault(digest, []).append(tag)
    for tag in [t for t in tags if t.startswith("sha256-")]:  # the referrers listed at a fallback tag
        for referrer in registry.referrers(repository, tag.replace("-", ":", 1)):
            found.setdefault(referrer["digest"], [])
    return [{"id": _id(digest), "name": digest, "url": f"https://api.github.com/orgs/{org}/packages/container/"
             f"{package}/versions/{_id(digest)}", "metadata": {"package_type": "container",
                                                             "container": {"tags": sorted(names)}}}
            for digest, names in sorted(found.items())]


def delete(org: str, package: str, version: int) -> None:
    _, host, namespace = mapping()
    repository = f"{namespace}/{urllib.parse.unquote(package)}"
    digest = next((v["name"] for v in versions(org, package) if v["id"] == version), None)
    if digest is None:
        raise NotFound("Not Found")
    request = urllib.request.Request(f"http://{host}/v2/{repository}/manifests/{digest}", method="DELETE",
                                     headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 202, answer.status  # distribution accepts a manifest DELETE with 202


def call(method: str, parts: list[str]) -> Any:
    """The answer to ``gh api`` of an endpoint under users/ or orgs/ (None: no body)."""
    if method == "GET" and len(parts) == 2 and parts[0] == "users":
        return user(parts[1])
    if len(parts) >= 6 and parts[0] == "orgs" and parts[2:4] == ["packages", "container"] and parts[5] == "versions":
        if method == "GET" and len(parts) == 6:
            return versions(parts[1], parts[4])
        if method == "DELETE" and len(parts) == 7 and parts[6].isdigit():
            delete(parts[1], parts[4], int(parts[6]))
            return None
    raise NotFound("Not Found")

