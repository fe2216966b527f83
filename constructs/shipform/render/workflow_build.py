"""``<app>-build.yaml``: on a push to the default branch that changes what the app's images and manifests are
made from, and on release tags. CI first (the same workflow pull requests run), then one job per image: an
image whose inputs are recorded in the lock is not built again; any other is built to an OCI layout, scanned,
pushed exactly as scanned, signed and attested. Then one record job commits the digests for the record
Environment (``App.record_environment``), and when it is a kubectl Environment a job deploys it. Scripts:
:mod:`shipform.render.workflow_scripts`."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.actions import Step, uses
from shipform.render.output import Context
from shipform.render.registries import login_steps, registry_permissions, uses_cloud_identity, uses_secrets
from shipform.render.workflow_common import (
    RELEASE_ENVIRONMENT,
    TOKEN,
    WORKFLOWS_DIR,
    BuiltImage,
    Job,
    app_folder,
    app_token,
    built_images,
    checkout,
    job,
    repository_env,
    setup_python,
    workflow,
)
from shipform.render.workflow_deploy import first_deploy_job
from shipform.render.workflow_lock import ci_permissions, passed_secrets
from shipform.render.workflow_scripts import FETCH, HAND_OVER, PLAN, PUSH, PUSH_RECORD, RECORD, RETAG, TARGET

TRIVY_VERSION = "v0.70.0"
DEPENDENCY_FILES = ("requirements*.txt", "pyproject.toml", "uv.lock", "poetry.lock")
BUILT = "steps.plan.outputs.action == 'build'"
# A re-run whose first attempt pushed (and maybe failed before signing) signs and attests again.
SIGN = "steps.plan.outputs.action != 'recorded'"
DIGEST = "${{ steps.push.outputs.digest || steps.plan.outputs.digest }}"


def build(app: spec.App, context: Context) -> dict[str, Any] | None:
    images = built_images(app, context)
    if not images or app.record_environment is None:
        return None
    first = app.record_environment.name
    default = f"refs/heads/{context.branch}"
    jobs: dict[str, Job] = {
        # A dispatch runs from the default branch only: nothing else is built, pushed or recorded.
        "ci": {"name": "CI", "if": f"github.event_name != 'workflow_dispatch' || github.ref == '{default}'",
               "uses": f"./{WORKFLOWS_DIR}/{app.name}-ci.yaml", "permissions": ci_permissions(app),
               **({"secrets": passed_secrets(app)} if passed_secrets(app) else {})},
        "image": image_job(app, context, images),
        "record": job(f"Record the digests for {first}", record_steps(app, context, first), {"contents": "write"},
                      needs="image", environment=RELEASE_ENVIRONMENT,
                      concurrency={"group": f"{app.name}-record-{context.branch}", "cancel-in-progress": False},
                      outputs={"commit": "${{ steps.commit.outputs.commit }}"}),
    }
    deploy = first_deploy_job(app, context, "${{ needs.record.outputs.commit }}")
    if deploy is not None:
        jobs[f"deploy-{first}"] = deploy
    on = {"push": {"branches": [context.branch], "tags": ["v*", f"{app.name}/v*"],
                   "paths": paths(app.name, context, images)},
          "workflow_dispatch": {}}
    return workflow(f"{app.name} build", on, jobs, "${{ github.workflow }}-${{ github.ref }}")


def paths(app: str, context: Context, images: list[BuiltImage]) -> list[str]:
    """What the app's images and manifests are made from (tags start a build whatever changed): the app's folder,
    its build contexts, its output (the generated Dockerfiles among it), its workflows and the repository's
    dependency files; less what the record commit writes (the lock file, the manifests), so that a record commit
    starts no build even when pushed with a token that starts workflows, and a docs-only commit starts none."""
    folder = app_folder(context)
    found = [f"{folder}/**" if folder != "." else "*.py", f"{context.repository_path}/**"]
    for image in images:
        if not any(_under(image.context, f.removesuffix("/**")) for f in found if f.endswith("/**")):
            found.append(f"{image.context}/**" if image.context != "." else "**")
    found += [f"{WORKFLOWS_DIR}/{app}-ci.yaml", f"{WORKFLOWS_DIR}/{app}-build.yaml"]
    found += DEPENDENCY_FILES
    return [*dict.fromkeys(found), f"!{context.lock_file}", f"!{context.repository_path}/k8s/**"]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def image_job(app: spec.App, context: Context, images: list[BuiltImage]) -> Job:
    matrix = {"include": [{"image": i.name, "repository": i.repository, "dockerfile": i.dockerfile,
                           "context": i.context} for i in images]}
    permissions = {"contents": "read", "id-token": "write", "attestations": "write", "artifact-metadata": "write",
                   **registry_permissions(app.registry)}
    extra: dict[str, Any] = {"needs": "ci", "strategy": {"fail-fast": False, "matrix": matrix}}
    if uses_secrets(app.registry) or uses_cloud_identity(app.registry) or app.build_secrets:
        extra["environment"] = RELEASE_ENVIRONMENT
    return job("Image ${{ matrix.image }}", image_steps(app, context), permissions, timeout=45, **extra)


def image_steps(app: spec.App, context: Context) -> list[Step]:
    repository = {"REPOSITORY": "${{ matrix.repository }}"}
    matrix = {**repository, "CONTEXT": "${{ matrix.context }}", "DOCKERFILE": "${{ matrix.dockerfile }}"}
    tag = "${{ steps.target.outputs.tag }}"
    return [
        checkout(history=True),  # the last commit that changed the image's inputs dates and labels it
        {"name": "The tag this build pushes", "id": "target", "run": TARGET, "env": {
            "REF_TYPE": "${{ github.ref_type }}", "REF_NAME": "${{ github.ref_name }}", "SHA": "${{ github.sha }}",
            "VERSION": app.version, "APP": app.name}},
        *login_steps(app.registry),
        {"name": "Build it, or reuse the digest of the same inputs", "id": "plan", "run": PLAN,
         "env": {**matrix, "TAG": tag, "LOCK": context.lock_file}},
        {"name": "Set up Buildx", "if": BUILT, **uses("setup-buildx")},
        build_step(app, context),
        {"name": "Fail on fixable critical vulnerabilities", "if": BUILT, **uses(
            "trivy", **{"input": "${{ runner.temp }}/image", "exit-code": "1", "severity": "CRITICAL",
                        "ignore-unfixed": True, "version": TRIVY_VERSION})},
        {"name": "Push the scanned image", "id": "push", "if": BUILT, "run": PUSH, "env": {**repository, "TAG": tag}},
        {"name": "Install cosign", "if": SIGN, **uses("cosign-installer")},
        {"name": "Sign (keyless, with the workflow's identity)", "if": SIGN,
         "env": {"IMAGE": f"${{{{ matrix.repository }}}}@{DIGEST}"}, "run": 'cosign sign --yes "$IMAGE"'},
        {"name": "Attest build provenance", "if": SIGN, **uses(
            "attest", **{"subject-name": "${{ matrix.repository }}", "subject-digest": DIGEST,
                         "push-to-registry": True})},
        {"name": "Tag the image built before with the version",
         "if": "steps.plan.outputs.action == 'recorded' && github.ref_type == 'tag'", "run": RETAG,
         "env": {**repository, "TAG": tag, "DIGEST": "${{ steps.plan.outputs.digest }}"}},
        {"name": "Hand the digest to the record job", "run": HAND_OVER, "env": {
            **matrix, "NAME": "${{ matrix.image }}", "DIGEST": DIGEST,
            "INPUTS": "${{ steps.plan.outputs.inputs }}", "REVISION": "${{ steps.plan.outputs.revision }}"}},
        {"name": "Upload the digest", **uses(
            "upload-artifact", name="digest-${{ matrix.image }}", path="${{ runner.temp }}/digests/",
            **{"retention-days": 1, "if-no-files-found": "error"})},
    ]


def build_step(app: spec.App, context: Context) -> Step:
    """BuildKit writes an OCI layout (nothing is pushed before the scan), dated by the commit that last changed
    the inputs (SOURCE_DATE_EPOCH) and labelled with it and with the inputs."""
    return {"name": "Build to an OCI layout", "if": BUILT,
            "env": {"SOURCE_DATE_EPOCH": "${{ steps.plan.outputs.epoch }}"},
            **uses("build-push", context="${{ matrix.context }}", file="${{ matrix.dockerfile }}", push=False,
                   outputs="type=oci,dest=${{ runner.temp }}/image,tar=false",
                   labels="org.opencontainers.image.revision=${{ steps.plan.outputs.revision }}\n"
                          "org.opencontainers.image.created=${{ steps.plan.outputs.created }}\n"
                          "shipform.inputs=${{ steps.plan.outputs.inputs }}\n",
                   # Private package indexes: BuildKit secrets the Dockerfiles mount only while dependencies install.
                   **({"secrets": "".join(f"{i}=${{{{ secrets.{build_secret(i)} }}}}\n" for i in app.build_secrets)}
                      if app.build_secrets else {}),
                   provenance="mode=max", sbom=True, **layer_cache(app, context))}


def layer_cache(app: spec.App, context: Context) -> dict[str, str]:
    """BuildKit's layer cache in the GitHub Actions cache, written only by the default branch's build (GitHub
    lets every other ref of the repository read the default branch's caches, never write them, and a pull
    request's caches stay under its own ref), scoped by app and image (two apps may name an image alike).
    None at all when the app mounts build secrets: whatever the secrets fetched (private packages) sits in the
    layers, ``mode=min`` still exports the final stage's, and every pull request's run, a fork's included, may
    read the default branch's cache."""
    if app.build_secrets:
        return {}
    scope = f"scope={app.name}-${{{{ matrix.image }}}}"
    write = f"github.ref == 'refs/heads/{context.branch}'"
    return {"cache-from": f"type=gha,{scope}",
            "cache-to": f"${{{{ {write} && format('type=gha,mode=max,scope={app.name}-{{0}}', matrix.image) || '' }}}}"}


def build_secret(secret_id: str) -> str:
    """The repository secret behind a BuildKit secret id: 'pip.conf' comes from BUILD_PIP_CONF."""
    return "BUILD_" + secret_id.replace(".", "_").upper()


RECORD_TRIES = 3
"""How often the record job starts again from the branch's new head when a push landed meanwhile."""


def record_steps(app: spec.App, context: Context, first: str) -> list[Step]:
    """Per try: fetch the branch's head (with the token), record on it (runs the app file: without the token),
    push the record commit (with the token, running nothing of the app). A try runs only when the push before
    was refused because the branch moved; the steps are written out per try, since a job cannot loop."""
    steps: list[Step] = [
        checkout(), app_token(), *setup_python(context),
        {"name": "Download the digests", **uses("download-artifact", pattern="digest-*",
                                                path="${{ runner.temp }}/digests", **{"merge-multiple": True})}]
    branch = {"BRANCH": context.branch}
    for n in range(1, RECORD_TRIES + 1):
        again = {} if n == 1 else {"if": f"steps.push-{n - 1}.outputs.moved == 'true'"}
        steps += [
            {"name": f"Fetch {context.branch}'s newest commit (try {n})", "id": f"fetch-{n}", **again,
             "run": FETCH, "env": {**branch, "GH_TOKEN": TOKEN}},
            {"name": f"Record the digests on it (try {n})", "id": f"record-{n}", **again, "run": RECORD, "env": {
                **repository_env(context), **branch,
                "FETCHED": f"${{{{ steps.fetch-{n}.outputs.repository }}}}",
                "APP": app.name, "FIRST": first, "SOURCE": "${{ github.sha }}"}},
            {"name": f"Push the record commit (try {n})", "id": f"push-{n}",
             "if": f"steps.record-{n}.outputs.changed == 'true'", "run": PUSH_RECORD, "env": {
                 **branch, "COMMIT": f"${{{{ steps.record-{n}.outputs.commit }}}}", "TRY": str(n),
                 "TRIES": str(RECORD_TRIES), "GH_TOKEN": TOKEN}}]
    return [*steps, commit_step()]


def commit_step() -> Step:
    """The commit the record job leaves on the branch: the last try's push, or its head when nothing was to
    record (the first that is set, from the last try back)."""
    env = {f"{kind}{n}": f"${{{{ steps.{step}-{n}.outputs.commit }}}}" for n in range(RECORD_TRIES, 0, -1)
           for kind, step in (("PUSHED", "push"), ("RECORDED", "record"))}
    found = " ".join(f'"${name}"' for name in env)
    return {"name": "The commit the branch has now", "id": "commit", "env": env, "run": "\n".join([
        f"for commit in {found}; do",
        '  if [ -n "$commit" ]; then echo "commit=$commit" >> "$GITHUB_OUTPUT"; break; fi',
        "done"])}
