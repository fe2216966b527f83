"""The harness's own rules, checked without act (these run in the fast suite): GitHub's trigger filters, job
permissions, that every action the generated workflows use has a stand-in that takes every input they pass and
gives every output they read, and the local Sigstore's verification rules."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from act import sigstore
from act.permissions import job_permissions
from act.runner import STANDINS, actions_used
from act.triggers import Event, matches, starts

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted(REPO.glob("dist/*/.github/workflows/*.yaml"))


# --- GitHub's event routing ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("patterns", "name", "expected"), [
    (["docs/**"], "docs/a/b.md", True),
    (["*.md"], "docs/a.md", False),  # '*' stops at '/'
    (["**.md"], "docs/a.md", True),
    (["**/README.md"], "README.md", True),
    (["apps/shop/**", "!apps/shop/shipform.lock.json"], "apps/shop/shipform.lock.json", False),
    (["apps/shop/**", "!apps/shop/shipform.lock.json"], "apps/shop/app.py", True),
    (["dist/shop/**", "!dist/shop/k8s/**", "dist/shop/k8s/keep"], "dist/shop/k8s/keep", True),
    (["v*"], "v1.2.3", True),
    (["release/*"], "release/a/b", False),
])
def test_filter_patterns_follow_githubs_cheat_sheet(patterns, name, expected):
    assert matches(patterns, name) is expected


def workflow(on: object) -> dict[str, object]:
    return {"on": on, "jobs": {}}


def test_a_push_starts_what_its_branch_tags_and_paths_allow():
    paths = ["apps/**", "!apps/*/shipform.lock.json"]
    build = workflow({"push": {"branches": ["main"], "tags": ["v*"], "paths": paths}})
    assert starts(build, Event("push", "refs/heads/main", ("apps/shop/app.py",)))
    assert not starts(build, Event("push", "refs/heads/main", ("docs/README.md",)))
    assert not starts(build, Event("push", "refs/heads/main", ("apps/shop/shipform.lock.json",)))
    assert starts(build, Event("push", "refs/tags/v1.0.0", ("docs/README.md",)))  # no paths for tags
    assert not starts(build, Event("push", "refs/heads/feature", ("apps/shop/app.py",)))
    assert not starts(workflow({"push": {"tags": ["v*"]}}), Event("push", "refs/heads/main"))


def test_a_push_with_the_workflow_token_or_a_skip_instruction_starts_nothing():
    ci = workflow({"push": {}, "workflow_dispatch": {}})
    assert not starts(ci, Event("push", "refs/heads/main", actor="github-token"))
    assert starts(ci, Event("push", "refs/heads/main", actor="app"))
    assert not starts(ci, Event("push", "refs/heads/main", message="Record digests [skip ci]"))
    assert starts(ci, Event("workflow_dispatch", "refs/heads/main", actor="github-token"))


def test_pull_requests_start_on_their_activity_types_and_base_branch():
    ci = workflow({"pull_request": {"branches": ["main"]}})
    assert starts(ci, Event("pull_request", "refs/heads/main", action="synchronize"))
    assert not starts(ci, Event("pull_request", "refs/heads/main", action="closed"))
    assert not starts(ci, Event("pull_request", "refs/heads/release"))


def test_an_unquoted_on_key_is_read():
    assert starts(yaml.safe_load("on: push\njobs: {}\n"), Event("push", "refs/heads/main"))


# --- permissions -----------------------------------------------------------------------------------------------

def test_job_permissions_follow_githubs_defaults_and_ceilings(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yaml").write_text(yaml.safe_dump({"on": {"workflow_call": {}}, "jobs": {
        "check": {"runs-on": "x", "steps": []},
        "greedy": {"runs-on": "x", "permissions": {"contents": "write"}, "steps": []}}}))
    (folder / "build.yaml").write_text(yaml.safe_dump({"on": "push", "permissions": {}, "jobs": {
        "ci": {"uses": "./.github/workflows/ci.yaml", "permissions": {"contents": "read"}},
        "record": {"runs-on": "x", "permissions": {"contents": "write"}, "steps": []},
        "bare": {"runs-on": "x", "steps": []}}}))
    table = job_permissions(folder / "build.yaml")
    assert table["record"]["contents"] == "write"
    assert table["bare"]["contents"] == "none"  # the workflow's `permissions: {}`
    assert table["check"]["contents"] == "read"  # the caller's permissions
    assert table["greedy"]["contents"] == "read"  # never more than the caller's


# --- stand-ins -------------------------------------------------------------------------------------------------

def standin(uses: str) -> dict[str, object]:
    owner_repo = "/".join(uses.split("@")[0].split("/")[:2])
    path = STANDINS / owner_repo / "action.yml"
    assert path.is_file(), f"no stand-in for {uses} (tests/act/standins/{owner_repo}/action.yml)"
    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_every_action_a_generated_workflow_uses_has_a_stand_in_taking_its_inputs(path):
    data = yaml.safe_load(path.read_text())
    for job in data["jobs"].values():
        ids = {}
        for step in job.get("steps", []):
            if "uses" not in step:
                continue
            action = standin(step["uses"])
            assert action["runs"]["using"] == "composite"
            unknown = set(step.get("with", {})) - set(action["inputs"])
            assert not unknown, f"{step['uses']}: the stand-in has no input {unknown}"
            if "id" in step:
                ids[step["id"]] = set(action.get("outputs") or {})
        text = yaml.safe_dump(job)
        for step_id, name in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
            if step_id in ids:
                assert name in ids[step_id], f"the stand-in of step {step_id} has no output {name}"


def test_the_workflows_use_only_pinned_actions():
    for path in WORKFLOWS:
        for uses in actions_used(path):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", uses), uses


# --- the local Sigstore ----------------------------------------------------------------------------------------

IDENTITY = "https://github.com/acme/platform/.github/workflows/shop-build.yaml@refs/heads/main"
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def trust(tmp_path_factory):
    return sigstore.Trust(tmp_path_factory.mktemp("sigstore")).create()


def signed(trust: sigstore.Trust, authority: str = "public-good", identity: str = IDENTITY, digest: str = DIGEST):
    key, cert = sigstore.issue(trust.authority(authority), identity, sigstore.GITHUB_ISSUER)
    return sigstore.bundle(key, cert, sigstore.statement(digest, sigstore.COSIGN_SIGN_PREDICATE, {}))


def policy(trust: sigstore.Trust, identity: str | None = IDENTITY, regexp: str | None = None,
           roots: tuple[str, ...] = ("public-good",)) -> sigstore.Policy:
    return sigstore.Policy(identity, regexp, sigstore.GITHUB_ISSUER, None, trust.roots(roots))


def test_a_signature_verifies_for_its_identity_digest_and_root(trust):
    verified = sigstore.verify(signed(trust), DIGEST, policy(trust))
    assert verified.identity == IDENTITY and verified.issuer == sigstore.GITHUB_ISSUER


@pytest.mark.parametrize(("case", "message"), [
    ("identity", "none of the expected identities matched"),
    ("digest", "the statement's subject is not"),
    ("root", "signed by unknown authority"),
    ("tampered", "invalid signature"),
])
def test_a_signature_is_rejected_for_another_identity_digest_or_root_or_when_tampered(trust, case, message):
    bundle = signed(trust, authority="github" if case == "root" else "public-good")
    if case == "tampered":
        bundle["dsseEnvelope"]["payload"] = base64.b64encode(
            sigstore.statement(DIGEST, "https://example.com/other", {})).decode()
    other = IDENTITY.replace("refs/heads/main", "refs/heads/feature") if case == "identity" else IDENTITY
    digest = "sha256:" + "cd" * 32 if case == "digest" else DIGEST
    with pytest.raises(sigstore.Rejected, match=message):
        sigstore.verify(bundle, digest, policy(trust, identity=other))


def test_an_identity_regexp_matches_anywhere_as_cosigns_does(trust):
    # cosign uses Go's MatchString: unanchored. A pattern meant for main also accepts other refs unless anchored.
    loose = policy(trust, identity=None, regexp=r"shop-build\.yaml@refs/heads/main")
    sigstore.verify(signed(trust, identity=IDENTITY + "-evil"), DIGEST, loose)
    anchored = policy(trust, identity=None, regexp=r"^https://github\.com/acme/platform/.*@refs/heads/main$")
    with pytest.raises(sigstore.Rejected):
        sigstore.verify(signed(trust, identity=IDENTITY + "-evil"), DIGEST, anchored)


# --- the trivy stand-in can fail a build -------------------------------------------------------------------------

def oci_archive(folder: Path, files: dict[str, bytes]) -> Path:
    """An OCI archive of a one-layer image holding ``files``."""
    layout = folder / "layout"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    layer_blob = blob(layer.getvalue(), "application/vnd.oci.image.layer.v1.tar")
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [layer_blob["digest"]]}}).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "config": config, "layers": [layer_blob]}).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    archive = folder / "image.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    return archive


@pytest.mark.containers
@pytest.mark.parametrize(("files", "code"), [({"app/server": b"x"}, 0),
                                             ({"usr/share/shipform-act/planted-critical-vulnerability": b"x"}, 1)])
def test_the_trivy_stand_in_fails_an_image_scan_on_the_planted_marker_only(tmp_path, files, code):
    if shutil.which("skopeo") is None:
        pytest.skip("skopeo not installed (apt-get install skopeo)")
    (tmp_path / "out").touch()
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "INPUT_INPUT": str(oci_archive(tmp_path, files)),
           "INPUT_EXIT_CODE": "1", "INPUT_SEVERITY": "CRITICAL", "GITHUB_OUTPUT": str(tmp_path / "out")}
    proc = subprocess.run([sys.executable, "-m", "act.tools.trivy"], env=env, capture_output=True, text=True)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "NO vulnerability scan was done" in proc.stdout
