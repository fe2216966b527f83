"""GitHub Actions workflows, as data: CI on every push and pull request, build (scan, sign, attest, push,
record the digests) on main and on tags, and promotion of verified digests from one Environment to the
next as a pull request. Hardened: every action pinned by commit SHA, ``permissions: {}`` at the top and
least privilege per job, no credentials persisted where nothing is pushed, concurrency groups, timeouts,
and no expression of the event's data inside a ``run:`` script (it reaches scripts through ``env:``)."""

from __future__ import annotations

import itertools
import re
import shlex
from typing import Any

from shipform import spec
from shipform.errors import ShipformError
from shipform.providers.gitops.protocol import JOBS_FOLDER, is_one_off_job
from shipform.render.actions import ACTIONS, Step, uses
from shipform.render.output import Context
from shipform.render.registries import cluster_login, login_steps, registry_permissions
from shipform.values.checks import is_workflow_text
from shipform.write.yaml_dump import dump

Job = dict[str, Any]
WORKFLOWS_DIR = ".github/workflows"
PYTHON = "3.11"
TRIVY_VERSION = "v0.70.0"
BOT = ("github-actions[bot]", "41898828+github-actions[bot]@users.noreply.github.com")


def checkout() -> Step:
    """No credentials stay in .git/config: jobs that push hand the token to that one `git push`."""
    return {"name": "Check out", **uses("checkout", **{"persist-credentials": False})}


PUSH = 'git push "https://x-access-token:${GH_TOKEN}@github.com/${GITHUB_REPOSITORY}.git"'
"""Push with the job's token for this one command (GH_TOKEN from env), never stored in the checkout."""


def setup_python(context: Context) -> list[Step]:
    return [{"name": "Set up Python", **uses("setup-python", **{"python-version": PYTHON})},
            {"name": "Install the app's dependencies", "run": "\n".join(context.setup)}]


def job(name: str, steps: list[Step], permissions: dict[str, str], timeout: int = 15, **extra: Any) -> Job:
    return {"name": name, "runs-on": "ubuntu-24.04", "timeout-minutes": timeout, "permissions": permissions,
            **extra, "steps": steps}


def workflow(name: str, on: dict[str, Any], jobs: dict[str, Job], group: str) -> dict[str, Any]:
    return {"name": name, "on": on, "permissions": {},
            "concurrency": {"group": group, "cancel-in-progress": False}, "jobs": jobs}


def synth_command(context: Context, *flags: str) -> str:
    return shlex.join(["shipform", "synth", context.app_file, "--outdir", context.outdir, *flags])


def data(prop: str, value: str) -> str:
    """A path or name written into a workflow: GitHub evaluates ``${{ }}`` anywhere in it (run scripts and
    env values alike), and nothing escapes it, so such a value is refused rather than written."""
    if not is_workflow_text(value):  # the model refuses props that would; this covers folders around them
        raise ShipformError(prop, "path", "would be evaluated by GitHub Actions (it holds '${{' or a control "
                            "character)", value, "rename the folder or file")
    return value


def ci(app: spec.App, context: Context) -> dict[str, Any]:
    out = context.repository_path
    check = [checkout(), *setup_python(context),
             {"name": "The committed output is what the app synthesizes", "run": synth_command(context, "--check")}]
    if context.tests:
        check.append({"name": "Tests", "run": "python -m pytest"})
    lint = [checkout(), *({"name": f"hadolint {b.dockerfile}", **uses("hadolint", dockerfile=b.dockerfile)}
                          for b in built_images(app, context))]
    scan = [checkout(), {"name": "trivy config on the output", **uses(
        "trivy", **{"scan-type": "config", "scan-ref": out, "exit-code": "1", "version": TRIVY_VERSION,
                    "trivyignores": f"{out}/.trivyignore.yaml"})}]
    jobs = {"check": job("Synth check and tests", check, {"contents": "read"})}
    if len(lint) > 1:
        jobs["dockerfiles"] = job("hadolint", lint, {"contents": "read"})
    jobs["config"] = job("trivy config", scan, {"contents": "read"})
    return workflow(f"{app.name} CI", {"push": {"branches": [context.branch]}, "pull_request": {}}, jobs,
                    "${{ github.workflow }}-${{ github.ref }}")


class BuiltImage:
    """One image the app builds: where its Dockerfile and context are, and its name in the registry."""

    def __init__(self, name: str, repository: str, dockerfile: str, context: str):
        self.name, self.repository, self.dockerfile, self.context = name, repository, dockerfile, context


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


def build_secret(secret_id: str) -> str:
    """The repository secret behind a BuildKit secret id: 'pip.conf' comes from BUILD_PIP_CONF."""
    return "BUILD_" + secret_id.replace(".", "_").upper()


def build(app: spec.App, context: Context) -> dict[str, Any] | None:
    images = built_images(app, context)
    if not images:
        return None
    registry = app.registry
    matrix = {"include": [{"image": i.name, "repository": i.repository, "dockerfile": i.dockerfile,
                           "context": i.context} for i in images]}
    build_steps = [
        checkout(),
        *login_steps(registry),
        {"name": "Set up Buildx", **uses("setup-buildx")},
        # The commit's time, not the clock's, dates the image and every file in it: the same commit gives the
        # same layers (SOURCE_DATE_EPOCH, read by BuildKit) and the same created label.
        {"name": "Read the commit time", "id": "commit", "run": "\n".join([
            'echo "epoch=$(git log -1 --format=%ct)" >> "$GITHUB_OUTPUT"',
            'echo "created=$(git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"']),
         "env": {"TZ": "UTC"}},
        {"name": "Build and push, tagged with the commit", "id": "push",
         "env": {"SOURCE_DATE_EPOCH": "${{ steps.commit.outputs.epoch }}"}, **uses(
            "build-push", context="${{ matrix.context }}", file="${{ matrix.dockerfile }}", push=True,
            tags=f"${{{{ matrix.repository }}}}:sha-${{{{ github.sha }}}},${{{{ matrix.repository }}}}:{app.version}",
            labels="org.opencontainers.image.revision=${{ github.sha }}\n"
                   "org.opencontainers.image.created=${{ steps.commit.outputs.created }}\n",
            # Private package indexes: BuildKit secrets the Dockerfiles mount only while dependencies install.
            **({"secrets": "".join(f"{i}=${{{{ secrets.{build_secret(i)} }}}}\n" for i in app.build_secrets)}
               if app.build_secrets else {}),
            provenance="mode=max", sbom=True,
            **{"cache-from": "type=gha,scope=${{ matrix.image }}",
               "cache-to": "type=gha,mode=max,scope=${{ matrix.image }}"})},
        {"name": "Fail on fixable critical vulnerabilities", **uses(
            "trivy", **{"image-ref": "${{ matrix.repository }}@${{ steps.push.outputs.digest }}", "exit-code": "1",
                        "severity": "CRITICAL", "ignore-unfixed": True, "version": TRIVY_VERSION})},
        {"name": "Install cosign", **uses("cosign-installer")},
        {"name": "Sign (keyless, with the workflow's identity)", "env": {
            "IMAGE": "${{ matrix.repository }}@${{ steps.push.outputs.digest }}"},
         "run": 'cosign sign --yes "$IMAGE"'},
        {"name": "Attest build provenance", **uses(
            "attest", **{"subject-name": "${{ matrix.repository }}",
                         "subject-digest": "${{ steps.push.outputs.digest }}", "push-to-registry": True})},
        {"name": "Hand the digest to the record job", "env": {
            "IMAGE": "${{ matrix.repository }}", "DIGEST": "${{ steps.push.outputs.digest }}",
            "NAME": "${{ matrix.image }}"},
         "run": 'mkdir -p digests && printf "%s@%s\\n" "$IMAGE" "$DIGEST" > "digests/$NAME"'},
        {"name": "Upload the digest", **uses(
            "upload-artifact", name="digest-${{ matrix.image }}", path="digests/", **{"retention-days": 1})},
    ]
    permissions = {"contents": "read", "id-token": "write", "attestations": "write", **registry_permissions(registry)}
    first = app.environments[0].name
    record_steps = [
        checkout(), *setup_python(context),
        {"name": "Download the digests", **uses("download-artifact", pattern="digest-*", path="digests",
                                                **{"merge-multiple": True})},
        {"name": "Record the digests and synthesize", "run": "\n".join([
            # One image@digest per file, each name a plain word: read them into the arguments.
            'set --',
            'for file in digests/*; do set -- "$@" "$(cat "$file")"; done',
            f'shipform lock record {shlex.quote(context.app_file)} --env {first} "$@"',
            synth_command(context)])},
        {"name": "Commit the rendered manifests",
         "env": {"SHA": "${{ github.sha }}", "GH_TOKEN": "${{ github.token }}"}, "run": "\n".join([
            f'git config user.name "{BOT[0]}"', f'git config user.email "{BOT[1]}"',
            "git add -A", 'git diff --cached --quiet || git commit -m "Deploy images of $SHA to ' + first + '"',
            f"{PUSH} HEAD:{context.branch}"])},
    ]
    jobs = {
        "image": job("Build ${{ matrix.image }}", build_steps, permissions, timeout=45,
                     strategy={"fail-fast": True, "matrix": matrix}),
        "record": job(f"Record digests for {first}", record_steps, {"contents": "write"}, needs="image"),
    }
    return workflow(f"{app.name} build", {"push": {"branches": [context.branch], "tags": ["v*"]}}, jobs,
                    "${{ github.workflow }}-${{ github.ref }}")


def promotions(app: spec.App, context: Context) -> dict[str, dict[str, Any]]:
    """One workflow per step of the Environments' order (dev -> staging -> prod), started by hand: it copies
    the digests verified in one Environment to the next and opens a pull request for review. No inputs:
    nothing typed at dispatch time reaches the build (SLSA: checkov CKV_GHA_7)."""
    names = [e.name for e in app.environments]
    return {f"promote-{source}-to-{target}": promote(app, context, source, target)
            for source, target in itertools.pairwise(names)}


def promote(app: spec.App, context: Context, source: str, target: str) -> dict[str, Any]:
    branch = f"promote/{source}-to-{target}-${{GITHUB_RUN_ID}}"
    steps = [
        checkout(), *setup_python(context),
        {"name": f"Copy the digests verified in {source} to {target} and open a pull request",
         "env": {"GH_TOKEN": "${{ github.token }}"},
         "run": "\n".join([
             f"shipform promote {shlex.quote(context.app_file)} --from {source} --to {target}",
             synth_command(context),
             f'git config user.name "{BOT[0]}"', f'git config user.email "{BOT[1]}"',
             f'git switch -c "{branch}"', "git add -A", f'git commit -m "Promote {source} to {target}"',
             f'{PUSH} "{branch}"',
             f'gh pr create --base "$GITHUB_REF_NAME" --head "{branch}" --title "Promote {source} to {target}" '
             f'--body "Digests verified in {source}, copied to {target} by shipform promote."'])},
    ]
    jobs = {"promote": job(f"Promote {source} to {target}", steps,
                           {"contents": "write", "pull-requests": "write"})}
    return workflow(f"{app.name} promote {source} to {target}", {"workflow_dispatch": {}}, jobs,
                    "${{ github.workflow }}")


PERMISSION_REASONS = {
    ("contents", "read"): "check out the repository",
    ("contents", "write"): "commit the rendered manifests or the promotion branch",
    ("id-token", "write"): "OIDC: keyless signing, attestations and cloud logins",
    ("attestations", "write"): "build provenance attestations",
    ("packages", "write"): "push images to GHCR",
    ("pull-requests", "write"): "open the promotion pull request",
}
_PERMISSION = re.compile(r"^(?P<line>\s+(?P<scope>[a-z-]+): (?P<level>read|write))$", re.MULTILINE)
def deploys(app: spec.App, context: Context) -> dict[str, dict[str, Any]]:
    """For Environments without a GitOps controller (gitops='kubectl'): apply the committed folder when it
    changes on the main branch, through the GitHub environment of the same name (its protection rules and
    reviewers gate the deploy) and the cloud's OIDC login."""
    return {f"deploy-{env.name}": deploy(app, context, env) for env in app.environments if env.cluster is not None}


def deploy(app: spec.App, context: Context, env: spec.Environment) -> dict[str, Any]:
    assert env.cluster is not None
    folder = f"{context.repository_path}/k8s/{env.name}"
    apply = "kubectl apply --server-side --field-manager=shipform"
    script = [
        f"{apply} -k {shlex.quote(folder)}",
        # Everything but the one-off Jobs is up and healthy before those run (as Flux's dependsOn does).
        f"kubectl wait --for=jsonpath='{{.status.readyReplicas}}'=1 statefulset --all-namespaces "
        f"-l app.kubernetes.io/part-of={app.name} --timeout=15m",
        f"kubectl wait --for=condition=Available deployment --all-namespaces "
        f"-l app.kubernetes.io/part-of={app.name} --timeout=15m",
    ]
    if any(is_one_off_job(m) for m in context.manifests[env.name]):
        later = shlex.quote(f"{folder}/{JOBS_FOLDER}")
        # A Job's pod template is immutable: a changed one-off Job is replaced; an unchanged one stays (and so
        # does not run again).
        script.append(f"{apply} -k {later} || kubectl replace --force -k {later}")
    steps = [checkout(), *cluster_login(env.cluster),
             {"name": "Install kubectl", **uses("setup-kubectl", version=env.cluster.kubectl_version)},
             {"name": f"Apply {folder}", "run": "\n".join(script)}]
    on: dict[str, Any] = {"push": {"branches": [context.branch], "paths": [f"{folder}/**"]}, "workflow_dispatch": {}}
    jobs = {"deploy": job(f"Deploy {env.name}", steps, {"contents": "read", "id-token": "write"}, timeout=30,
                          environment=env.name)}
    return workflow(f"{app.name} deploy {env.name}", on, jobs, f"{app.name}-deploy-{env.name}")


_USES = re.compile(r"^(?P<lead>\s*(?:- )?uses: )(?P<ref>[\w.-]+/[\w./-]+@[0-9a-f]{40})$", re.MULTILINE)


def with_versions(text: str) -> str:
    """``uses: owner/repo@<sha> # <version>``: the pinned release, for readers and for update tools."""
    versions = {a.uses(): a.version for a in ACTIONS.values()}
    return _USES.sub(lambda m: f"{m['lead']}{m['ref']} # {versions[m['ref']]}", text)


def with_reasons(text: str) -> str:
    """Every permission a job holds, with why it needs it (zizmor asks for the reason)."""
    return _PERMISSION.sub(lambda m: f"{m['line']}  # {PERMISSION_REASONS[(m['scope'], m['level'])]}"
                           if (m["scope"], m["level"]) in PERMISSION_REASONS else m["line"], text)


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``.github/workflows/<app>-<name>.yaml`` under the app's output; the pipeline moves them to the
    repository's own .github/workflows/ unless the App keeps them in its output."""
    data(f"{app.name}: the app file", context.app_file)
    data(f"{app.name}: the output folder", context.repository_path)
    for image in built_images(app, context):
        data(f"{app.name}: the build context of {image.name}", image.context)
        data(f"{app.name}: the Dockerfile of {image.name}", image.dockerfile)
    result: dict[str, str] = {}
    docs = {"ci": ci(app, context), "build": build(app, context), **promotions(app, context),
            **deploys(app, context)}
    for name, doc in docs.items():
        if doc is not None:
            result[f"{WORKFLOWS_DIR}/{app.name}-{name}.yaml"] = context.marker + with_reasons(with_versions(dump(doc)))
    return result
