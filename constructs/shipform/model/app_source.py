"""What App() says about the repository it is built from: its git URL (no credentials: it lands in every GitOps
controller's objects), its branch, the build secrets its builds read, and the GitHub repository the URL names (the
build workflow's signing identity)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from shipform.errors import ShipformError
from shipform.values import checks

_SOURCE = re.compile(r"(?:(?P<scheme>https?)://(?:[^@/]+@)?(?P<web>[^/]+)|ssh://(?:[^@/]+@)?(?P<ssh>[^/:]+)(?::[0-9]+)?"
                     r"|[^@/]+@(?P<scp>[^:/]+):)/?(?P<name>[^/]+/[^/]+?)(?:\.git)?/?")


def source_repository(url: str) -> tuple[str, str] | None:
    """(server URL, '<owner>/<name>') of a git URL, as GitHub Actions' GITHUB_SERVER_URL and GITHUB_REPOSITORY
    name that repository: an https URL keeps its host and port, ssh and scp-like URLs are served over https by
    the same host. None when the path is not '<owner>/<name>' (not a GitHub repository)."""
    found = _SOURCE.fullmatch(url)
    if found is None:
        return None
    if found["web"]:
        return f"{found['scheme']}://{found['web']}", found["name"]
    return f"https://{found['ssh'] or found['scp']}", found["name"]


def git_url(app: str, url: object) -> str:
    if not isinstance(url, str) or not checks.matches(r"(https://|ssh://|git@)[A-Za-z0-9._~:/@%+-]+", url):
        raise ShipformError(app, "repository", "must be a git URL (https://, ssh:// or git@host:path)", url,
                            "write e.g. 'https://github.com/acme/shop.git'")
    return _without_credentials(app, url)


def _without_credentials(app: str, url: str) -> str:
    """The URL lands in every Argo CD Application and Flux GitRepository: the controller logs in with a Secret."""
    return checks.url_credentials(app, "repository", url, "keep credentials out of the URL and give the GitOps "
                                  "controller a repository credentials Secret (Argo CD: a Secret labelled "
                                  "argocd.argoproj.io/secret-type=repository; Flux: the GitRepository's secretRef)")


BUILD_SECRET_IDS = ("netrc", "pip.conf", "uv.toml", "npmrc")


def build_secrets(app: str, ids: object) -> tuple[str, ...]:
    if isinstance(ids, str) or not isinstance(ids, Sequence) or any(i not in BUILD_SECRET_IDS for i in ids):
        raise ShipformError(app, "build_secrets", f"must list some of {', '.join(BUILD_SECRET_IDS)}", ids,
                            "write e.g. build_secrets=['netrc'] and set the repository secret BUILD_NETRC")
    return tuple(sorted(set(ids), key=BUILD_SECRET_IDS.index))


KEEP_IMAGES_DAYS_MAX = 3650


def keep_images_days(app: str, days: object) -> int | None:
    """How many days an unused ``sha-`` tag stays (None: the cleanup workflow is not generated). At least a day: a
    tag is pushed before the build records its digest in the lock, and the cleanup must never see it in between."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= KEEP_IMAGES_DAYS_MAX:
        raise ShipformError(app, "keep_images_days", f"must be a whole number of days from 1 to "
                            f"{KEEP_IMAGES_DAYS_MAX}", days, "write e.g. keep_images_days=30, or None to keep every "
                            "image")
    return days


def git_branch(app: str, branch: object) -> str:
    """A branch name git accepts (git check-ref-format, the common subset)."""
    if not isinstance(branch, str) or not checks.matches(r"[A-Za-z0-9._/-]+", branch) or ".." in branch \
            or branch.startswith(("/", "-", ".")) or branch.endswith(("/", ".lock", ".")):
        raise ShipformError(app, "branch", "must be a git branch name", branch, "write e.g. 'main'")
    return branch
