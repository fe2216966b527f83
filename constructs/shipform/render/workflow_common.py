"""What every generated workflow shares: jobs and workflows as data, the checkout, Python, the token that
pushes (a GitHub App's when the repository configures one), the images the app builds, and the comments
(pinned versions, each permission's reason) written into the text."""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any

from shipform import spec
from shipform.errors import ShipformError
from shipform.render.actions import ACTIONS, Step, uses
from shipform.render.output import Context
from shipform.values.checks import is_workflow_text

Job = dict[str, Any]
WORKFLOWS_DIR = ".github/workflows"
PYTHON = "3.11"
RUNNER = "ubuntu-24.04"
RELEASE_ENVIRONMENT = "release"
"""The GitHub environment of the jobs that hold a secret other than the workflow's own token (registry
passwords, build secrets, the GitHub App's key): its deployment branch rule can limit them to the default
branch and release tags, and zizmor's auditor persona asks for one (secrets-outside-env)."""

APP_TOKEN_STEP = "app-token"
TOKEN = f"${{{{ steps.{APP_TOKEN_STEP}.outputs.token || github.token }}}}"
"""The GitHub App's installation token when the repository configures the App, else the workflow's own."""


def checkout(ref: str | None = None, history: bool = False) -> Step:
    """No credentials stay in .git/config: jobs that push hand the token to the one command that needs it."""
    inputs: dict[str, Any] = {"persist-credentials": False}
    if ref is not None:
        inputs["ref"] = ref
    if history:
        inputs["fetch-depth"] = 0
    return {"name": "Check out", **uses("checkout", **inputs)}


def setup_python(context: Context, cache: bool = False) -> list[Step]:
    """Python, the tool the repository installs with (:attr:`Context.install`), and its dependencies. ``cache``
    only in CI: a cache a pull request's run can write must not reach the jobs that push images, record digests
    or promote them (zizmor's cache-poisoning audit), so those install without one."""
    install = context.install
    steps: list[Step] = []
    if install.tool_setup:  # poetry: setup-python's poetry cache asks poetry where its cache is
        steps.append({"name": f"Install {install.tool}", "run": "\n".join(install.tool_setup)})
    python: dict[str, Any] = {"python-version": PYTHON}
    if cache and install.cache != "uv" and install.cache_keys:
        python |= {"cache": install.cache, "cache-dependency-path": "\n".join(install.cache_keys)}
    steps.append({"name": "Set up Python", **uses("setup-python", **python)})
    if install.tool == "uv":
        uv: dict[str, Any] = {"enable-cache": cache}  # explicit: 'auto' would cache a branch push's run
        if cache:
            uv["cache-dependency-glob"] = "\n".join(install.cache_keys)
        steps.append({"name": "Set up uv", **uses("setup-uv", **uv)})
    steps.append({"name": "Install the app's dependencies", "run": "\n".join(install.commands)})
    return steps


def app_token() -> Step:
    """A GitHub App's installation token, when ``vars.SHIPFORM_APP_CLIENT_ID`` is set: pushes made with it start
    workflows (the promotion's pull request gets its checks) and the App can be allowed to bypass branch
    protection. The action's README names ``client-id`` (``app-id`` is deprecated there)."""
    return {"name": "GitHub App token (when the repository configures one)", "id": APP_TOKEN_STEP,
            "if": "vars.SHIPFORM_APP_CLIENT_ID != ''", **uses(
                "create-github-app-token", **{"client-id": "${{ vars.SHIPFORM_APP_CLIENT_ID }}",
                                              "private-key": "${{ secrets.SHIPFORM_APP_KEY }}",
                                              "permission-contents": "write",
                                              "permission-pull-requests": "write"})}


def job(name: str, steps: list[Step], permissions: dict[str, str], timeout: int = 15, **extra: Any) -> Job:
    return {"name": name, "runs-on": RUNNER, "timeout-minutes": timeout, "permissions": permissions,
            **extra, "steps": steps}


def workflow(name: str, on: dict[str, Any], jobs: dict[str, Job], group: str) -> dict[str, Any]:
    return {"name": name, "on": on, "permissions": {},
            "concurrency": {"group": group, "cancel-in-progress": False}, "jobs": jobs}


def synth_command(context: Context, *flags: str) -> str:
    return shlex.join(["shipform", "synth", context.app_file, "--outdir", context.outdir, *flags])


def repository_env(context: Context) -> dict[str, str]:
    """Where the app's files are, for the scripts that synthesize and commit (they read these, never
    ``${{ }}``)."""
    return {"APP_FILE": context.app_file, "OUTDIR": context.outdir, "OUTPUT": context.repository_path,
            "LOCK": context.lock_file}


def data(prop: str, value: str) -> str:
    """A path or name written into a workflow: GitHub evaluates ``${{ }}`` anywhere in it (run scripts and
    env values alike), and nothing escapes it, so such a value is refused rather than written."""
    if not is_workflow_text(value):  # the model refuses props that would; this covers folders around them
        raise ShipformError(prop, "path", "would be evaluated by GitHub Actions (it holds '${{' or a control "
                            "character)", value, "rename the folder or file")
    return value


@dataclass(frozen=True)
class BuiltImage:
    """One image the app builds: where its Dockerfile and context are, and its name in the registry."""

    name: str
    repository: str
    dockerfile: str
    context: str


def built_images(app: spec.App, context: Context) -> list[BuiltImage]:
    seen: dict[str, BuiltImage] = {}
    for env in app.environments:
        for w in env.workloads:
            if w.build is not None and w.name not in seen:
                repository = w.image.split("@", 1)[0].rsplit(":", 1)[0]  # without tag or pinned digest
                own = w.build.dockerfile
                dockerfile = context.from_repository(own) if own else \
                    f"{context.repository_path}/docker/{w.name}/Dockerfile"
                seen[w.name] = BuiltImage(w.name, repository, dockerfile, context.from_repository(w.build.context))
    return [seen[n] for n in sorted(seen)]


def runs_built(env: spec.Environment, images: list[BuiltImage]) -> list[str]:
    """The repositories of the built images an Environment runs."""
    names = {w.image.split("@", 1)[0].rsplit(":", 1)[0] for w in env.workloads if w.build is not None}
    return [i.repository for i in images if i.repository in names]


def app_folder(context: Context) -> str:
    return posixpath.dirname(context.app_file) or "."


PERMISSION_REASONS = {
    ("contents", "read"): "check out the repository",
    ("contents", "write"): "push the record commit, the promotion or the patch branch (without a GitHub App)",
    ("id-token", "write"): "OIDC: keyless signing, attestations and cloud logins",
    ("attestations", "write"): "build provenance attestations",
    ("artifact-metadata", "write"): "the attestation's storage record (actions/attest README)",
    ("packages", "write"): "push images to GHCR",
    ("packages", "read"): "read images, their signatures and attestations from GHCR",
    ("pull-requests", "write"): "open the promotion or the patch pull request (without a GitHub App)",
    ("statuses", "write"): "report CI's result on the promotion or the patch commit",
}
_PERMISSION = re.compile(r"^(?P<line>\s+(?P<scope>[a-z-]+): (?P<level>read|write))$", re.MULTILINE)
_USES = re.compile(r"^(?P<lead>\s*(?:- )?uses: )(?P<ref>[\w.-]+/[\w./-]+@[0-9a-f]{40})$", re.MULTILINE)


def with_versions(text: str) -> str:
    """``uses: owner/repo@<sha> # <version>``: the pinned release, for readers and for update tools."""
    versions = {a.uses(): a.version for a in ACTIONS.values()}
    return _USES.sub(lambda m: f"{m['lead']}{m['ref']} # {versions[m['ref']]}", text)


_LOCAL_WORKFLOW = re.compile(r"^(?P<indent>\s*)uses: (?P<path>\./\.github/workflows/\S+)$", re.MULTILINE)
SELF_REPOSITORY = ("GitHub Enterprise Server and act lack the '$/' form zizmor asks for; './' names the same commit "
                   "here")


def with_local_calls(text: str) -> str:
    """A call of a workflow of the same repository keeps the ``./`` form (GitHub Enterprise Server and act do not
    know ``$/``), with zizmor's self-repository audit silenced on that line and the reason right above it."""
    return _LOCAL_WORKFLOW.sub(lambda m: f"{m['indent']}# {SELF_REPOSITORY}\n{m['indent']}uses: {m['path']}  "
                               "# zizmor: ignore[self-repository]", text)


def with_reasons(text: str, own: dict[tuple[str, str], str] | None = None) -> str:
    """Every permission a job holds, with why it needs it (zizmor asks for the reason); ``own``: a workflow's
    reasons where they differ from the shared ones."""
    reasons = {**PERMISSION_REASONS, **(own or {})}
    return _PERMISSION.sub(lambda m: f"{m['line']}  # {reasons[(m['scope'], m['level'])]}"
                           if (m["scope"], m["level"]) in reasons else m["line"], text)
