"""The release loop's steps on the reference apps, for real: every image the apps build is built with buildah from
its generated Dockerfile, pushed to Debian's docker-registry on loopback (tagged ``sha-<commit>``, as a branch build
pushes it), recorded for the first Environment with `shipform lock record` as the build workflow's record job calls
it (the digest the push reported, given as ``<the app's image name>@<digest>``, with the inputs and revision the
image job's plan step computes, run here from the committed workflow), promoted with `shipform promote`, and
synthesized: every Environment then runs every image the app builds by that digest, and the registry serves it;
the build's plan step then reuses each recorded digest instead of building the same inputs again.

The reference apps' committed lock files (``apps/<app>/shipform.lock.json``) come from a run of this test with
``SHIPFORM_RECORD_REFERENCE_DIGESTS=1``, which writes the run's lock files there: their digests are of images built
here from the stand-in base images (tests/containers/README.md), pushed to a registry that is gone afterwards; no
registry serves them under ``ghcr.io/acme``. They show what the loop leaves in a repository: prod runs exactly the
digests recorded in dev, and the reference apps' output is what a team's looks like after its first promotion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from containers import apps
from containers.building import assert_built, built_image
from lock.helpers import invoke
from lock.test_real_registry import registry  # noqa: F401 (the fixture: Debian's registry on a loopback port)
from shipform.delivery.lock import LOCK_FILE, read_lock_document, write_lock
from workflows.steps import fake_tool, run_script, step, workflow

pytestmark = pytest.mark.containers
REPO = apps.REPO
WRITE = os.environ.get("SHIPFORM_RECORD_REFERENCE_DIGESTS") == "1"


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()


def push(rig, image: apps.Image, host: str, tag: str, folder: Path) -> str:
    """Push the built image as ``<registry>/acme/<app>-<service>:<tag>``; the manifest digest the push reported."""
    digest_file = folder / f"{image.app}-{image.service}.digest"
    rig.run("buildah", "push", "--tls-verify=false", "--digestfile", digest_file, image.tag,
            f"docker://{host}/acme/{image.app}-{image.service}:{tag}")
    return digest_file.read_text().strip()


def served_digest(host: str, name: str, tag: str) -> str:
    inspected = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{host}/acme/{name}:{tag}"],
                               check=True, capture_output=True, text=True).stdout
    return str(json.loads(inspected)["Digest"])


def plans(app_name: str, temp: Path, lock: Path) -> dict[str, dict[str, str]]:
    """{repository: outputs} of the build's plan step ("Build it, or reuse the digest of the same inputs") for each
    image of the committed build workflow, run at the repository's HEAD as the image job runs it, with ``lock`` as
    the app's lock file and no tag in the registry yet."""
    doc = workflow(REPO / "dist" / app_name / ".github" / "workflows" / f"{app_name}-build.yaml")
    script = step(doc, "image", "plan")["run"]
    fake_tool(temp, "skopeo", "exit 1\n")  # `skopeo inspect`: the tag this build pushes does not exist
    found = {}
    for entry in doc["jobs"]["image"]["strategy"]["matrix"]["include"]:
        env = {"REPOSITORY": entry["repository"], "CONTEXT": entry["context"], "DOCKERFILE": entry["dockerfile"],
               "TAG": "sha-x", "LOCK": str(lock)}
        ran = run_script(script, REPO, env, temp)
        assert ran.code == 0, ran.stderr
        found[entry["repository"]] = ran.outputs
    return found


def copy_of(app_name: str, folder: Path) -> Path:
    """The app folder in a folder that declares shipform, with a lock file holding only the committed one's
    ``bases`` (what `shipform lock` reads from Docker Hub, unreachable here): the loop starts from no image of the
    app's, and its Dockerfiles are the committed ones (their inputs are HEAD's)."""
    copy = folder / app_name
    shutil.copytree(REPO / "apps" / app_name, copy, ignore=shutil.ignore_patterns(LOCK_FILE, "__pycache__"))
    (copy / "requirements.txt").write_text("shipform\n")
    write_lock(copy / LOCK_FILE, {}, None, read_lock_document(REPO / "apps" / app_name / LOCK_FILE)[2])
    return copy / "app.py"


@pytest.mark.parametrize("app_name", apps.app_names())
def test_built_pushed_recorded_promoted_and_deployed_by_digest(rig, builder, registry, tmp_path,  # noqa: F811
                                                               app_name):
    tag = f"sha-{commit()}"
    if WRITE:  # the inputs recorded are HEAD's: the images must be built from exactly those
        changed = subprocess.run(["git", "status", "--porcelain", "--", f"apps/{app_name}", f"dist/{app_name}/docker"],
                                 cwd=REPO, check=True, capture_output=True, text=True).stdout
        assert not changed, f"commit these first: the lock file records HEAD's inputs\n{changed}"
    app = apps.images(app_name)
    pushed: dict[str, str] = {}
    for service, image in sorted(app.items()):
        image, result = built_image(builder, f"{app_name}/{service}")
        assert_built(result.proc, image.dockerfile)
        digest = push(rig, image, registry, tag, tmp_path)
        assert served_digest(registry, f"{app_name}-{service}", tag) == digest
        pushed[f"ghcr.io/acme/{app_name}-{service}"] = digest
    app_file = copy_of(app_name, tmp_path)
    lock_file = app_file.parent / LOCK_FILE
    built = plans(app_name, tmp_path / "runner", lock_file)
    assert {plan["action"] for plan in built.values()} == {"build"}
    handed_over = [f"{n}@{d}" for n, d in pushed.items()]
    for name in pushed:
        plan = built[name]
        handed_over += ["--inputs", f"{name}={plan['inputs']}", "--revision", f"{name}={plan['revision']}"]
    recorded = invoke("lock", "record", str(app_file), "--env", "dev", "--skip-not-built", *handed_over)
    assert recorded.exit_code == 0, recorded.output
    promoted = invoke("promote", str(app_file), "--from", "dev", "--to", "prod")
    assert promoted.exit_code == 0, promoted.output
    synth = invoke("synth", str(app_file), "--outdir", str(tmp_path / "out"))
    assert synth.exit_code == 0, synth.output

    written = json.loads(lock_file.read_text())
    lock = written["environments"]
    assert lock["dev"] == lock["prod"] and sorted(lock["dev"]) == sorted(
        f"{name}:{image_tag(app_file)}" for name in pushed)
    assert written["built"] == {name: {"digest": digest, "inputs": built[name]["inputs"],
                                       "revision": built[name]["revision"]} for name, digest in pushed.items()}
    # The next build of the same inputs builds nothing: each image job hands on the recorded digest.
    again = plans(app_name, tmp_path / "runner", lock_file)
    assert {name: (plan["action"], plan["digest"]) for name, plan in again.items()} == {
        name: ("recorded", digest) for name, digest in pushed.items()}
    for env in ("dev", "prod"):
        running = {line.split("image: ", 1)[1] for path in (tmp_path / "out" / app_name / "k8s" / env).glob("*.yaml")
                   for line in path.read_text().splitlines() if line.strip().startswith("image: ghcr.io/acme/")}
        assert running == {f"{name}:{image_tag(app_file)}@{digest}" for name, digest in pushed.items()}, env
    if WRITE:
        shutil.copyfile(lock_file, REPO / "apps" / app_name / LOCK_FILE)


def image_tag(app_file: Path) -> str:
    """The app's version, which tags the images it builds."""
    return next(line.split("version=", 1)[1].split('"')[1] for line in app_file.read_text().splitlines()
                if line.startswith("app = App(") and "version=" in line)
