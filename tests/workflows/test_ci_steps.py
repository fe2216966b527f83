"""The workflows' own commands really work. CI's check job, run in order in a repository laid out like a user's,
passes on fresh output and fails on stale output (the install step is the only one not run: tests never need the
internet, and the test's environment already has what it would install). The build's scripts, run as a runner
runs them against a local bare remote: the tag a build pushes, the reuse of a recorded digest for the same inputs,
a tag never overwritten, the record job's fetch-reset-retry loop under a concurrent push, and the paths filter
that keeps record and docs-only commits from starting a build. Registry and signing tools are small stand-ins
(fake_tool); git, jq and shipform are real."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.synth.pipeline import synth_app
from workflows.steps import VENV_BIN, Ran, fake_tool, git, run_script, starts_build, step, workflow

pytestmark = pytest.mark.slow

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", repository="https://github.com/acme/shop.git")
dev = Environment(app, "dev", local=True)
WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
'''
TEST = "def test_the_team_s_own_test():\n    assert 1 + 1 == 2\n"


def user_repository(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    write_sources(root)
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("shipform\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_smoke.py").write_text(TEST)
    synth_app(exec_app(APP, root), str(root / "dist"))
    return root


def check_steps(root: Path) -> list[str]:
    ci = yaml.safe_load((root / ".github" / "workflows" / "shop-ci.yaml").read_text())
    return [step["run"] for step in ci["jobs"]["check"]["steps"] if "run" in step]


def run_steps(root: Path, commands: list[str]) -> list[int]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    codes = []
    for command in commands:
        result = subprocess.run(["bash", "-e", "-c", command], cwd=root, env=env, capture_output=True, text=True)
        codes.append(result.returncode)
        if result.returncode:
            break
    return codes


def test_the_check_job_passes_on_fresh_output_and_fails_on_stale_output(tmp_path):
    root = user_repository(tmp_path / "repo")
    install, *commands = check_steps(root)
    assert install == "python -m pip install -r requirements.txt"
    assert commands == ["shipform synth app.py --outdir dist --check", "python -m pytest"]
    assert run_steps(root, commands) == [0, 0]
    deployment = root / "dist" / "shop" / "k8s" / "dev" / "deployment-shop-api.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 1", "replicas: 2"))
    assert run_steps(root, commands) == [1]


# --- the build's and the promotion's scripts --------------------------------------------------------------------

RELEASE_APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", version="1.4.2", repository="https://github.com/acme/shop.git",
          workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="a new app: nothing was promoted to prod yet",
                   destination=Destination(name="prod"))
for env in (dev, prod):
    api = WebService(env, "api", build=Build.python("services/api", ["gunicorn", "app:app"]), port=8000)
    WebService(env, "web", build=Build.python("services/web", ["gunicorn", "app:app"]), port=8001, connects_to=[api])
'''
API, WEB = "ghcr.io/acme/shop-api", "ghcr.io/acme/shop-web"
WORKFLOWS = Path("dist/shop/.github/workflows")
A, B = ("sha256:" + c * 64 for c in "ab")


def release_repository(root: Path) -> Path:
    """A repository laid out like a user's (apps/shop/app.py, two services, a requirements.txt that declares
    shipform, dist/ committed), pushed to a local bare remote that stands for GITHUB_SERVER_URL/GITHUB_REPOSITORY
    (acme/shop). A new app: nothing was promoted to prod yet, so prod states why it runs the images by tag."""
    work = root / "work"
    for name in ("api", "web"):
        service = work / "apps" / "shop" / "services" / name
        service.mkdir(parents=True)
        (service / "requirements.txt").write_text("gunicorn==23.0.0\n")
        (service / "app.py").write_text("app = None\n")
    (work / "apps" / "shop" / "app.py").write_text(RELEASE_APP)
    (work / "requirements.txt").write_text("shipform\n")
    (work / "README.md").write_text("# shop\n")
    git(work, "init", "-q", "-b", "main")
    synth(work)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "The shop")
    remote = root / "remote" / "acme" / "shop.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    return work


def synth(work: Path) -> None:
    subprocess.run([str(VENV_BIN / "shipform"), "synth", "apps/shop/app.py", "--outdir", "dist"], cwd=work, check=True,
                   capture_output=True)


def server(root: Path) -> dict[str, str]:
    return {"GITHUB_SERVER_URL": f"file://{root / 'remote'}", "GITHUB_REPOSITORY": "acme/shop", "GH_TOKEN": "t0ken"}


def commit(work: Path, path: str, text: str, message: str) -> str:
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-qm", message)
    return git(work, "rev-parse", "HEAD")


def plan(work: Path, temp: Path, image: str, tag: str = "sha-x") -> Ran:
    doc = workflow(work / WORKFLOWS / "shop-build.yaml")
    script = step(doc, "image", "plan")["run"]
    entry = next(e for e in doc["jobs"]["image"]["strategy"]["matrix"]["include"] if e["image"] == image)
    env = {"REPOSITORY": entry["repository"], "CONTEXT": entry["context"], "DOCKERFILE": entry["dockerfile"],
           "TAG": tag, "LOCK": step(doc, "image", "plan")["env"]["LOCK"]}
    return run_script(script, work, env, temp)


def absent_registry(temp: Path) -> None:
    fake_tool(temp, "skopeo", "exit 1\n")  # no tag exists: `skopeo inspect` fails


def hand_over(work: Path, temp: Path, image: str, digest: str) -> None:
    """What the image job hands the record job for ``image``: its plan's inputs, and ``digest`` as pushed."""
    planned = plan(work, temp / "plan", image)
    assert planned.code == 0, planned.stderr
    doc = workflow(work / WORKFLOWS / "shop-build.yaml")
    entry = next(e for e in doc["jobs"]["image"]["strategy"]["matrix"]["include"] if e["image"] == image)
    env = {"REPOSITORY": entry["repository"], "CONTEXT": entry["context"], "DOCKERFILE": entry["dockerfile"],
           "NAME": image, "DIGEST": digest, "INPUTS": planned.outputs["inputs"],
           "REVISION": planned.outputs["revision"]}
    assert run_script(step(doc, "image", "Hand the digest to the record job")["run"], work, env, temp).code == 0


def record(root: Path, work: Path, temp: Path, source: str, meanwhile=None) -> Ran:
    """The record job's tries as the runner runs them: fetch (with the token), record (without), push (with), and
    again from the fetch while a push says the branch moved. ``meanwhile`` runs once, between the first record
    and its push (a push by someone else landing then)."""
    doc = workflow(work / WORKFLOWS / "shop-build.yaml")
    said, outputs, n = "", {}, 1
    while True:
        fetch = step(doc, "record", f"fetch-{n}")
        fetched = run_script(fetch["run"], work, {**plain(fetch), **server(root)}, temp)
        said += fetched.stdout + fetched.stderr
        if fetched.code:
            return Ran(fetched.code, said, fetched.stderr, {})
        found = step(doc, "record", f"record-{n}")
        ran = run_script(found["run"], work, {**plain(found), **server(root), "SOURCE": source,
                                              "FETCHED": fetched.outputs["repository"]}, temp)
        said += ran.stdout + ran.stderr
        if ran.code or ran.outputs["changed"] != "true":
            return Ran(ran.code, said, ran.stderr, {"commit": ran.outputs.get("commit", "")})
        if meanwhile is not None:
            meanwhile()
            meanwhile = None
        push = step(doc, "record", f"push-{n}")
        pushed = run_script(push["run"], work, {**plain(push), **server(root), "COMMIT": ran.outputs["commit"]},
                            temp)
        said += pushed.stdout + pushed.stderr
        if pushed.code or pushed.outputs.get("moved") != "true":
            outputs = {"commit": pushed.outputs.get("commit", "")}
            return Ran(pushed.code, said, pushed.stderr, outputs)
        n += 1


def plain(found: dict) -> dict[str, str]:
    """A step's env without the values GitHub fills in (the test gives its own)."""
    return {k: v for k, v in found["env"].items() if "${{" not in v}


def clone(root: Path, name: str) -> Path:
    target = root / name
    git(root, "clone", "-q", str(root / "remote" / "acme" / "shop.git"), str(target))
    return target


def test_the_tag_a_build_pushes_is_the_commit_on_a_branch_and_the_version_on_its_release_tag(tmp_path):
    doc = workflow(release_repository(tmp_path) / WORKFLOWS / "shop-build.yaml")
    script = step(doc, "image", "target")["run"]
    base = {"SHA": "c0ffee", "VERSION": "1.4.2", "APP": "shop"}
    for ref_type, ref_name, tag in (("branch", "main", "sha-c0ffee"), ("tag", "v1.4.2", "1.4.2"),
                                    ("tag", "shop/v1.4.2", "1.4.2")):
        ran = run_script(script, tmp_path, {**base, "REF_TYPE": ref_type, "REF_NAME": ref_name}, tmp_path / "t")
        assert (ran.code, ran.outputs) == (0, {"tag": tag}), ran.stderr
    refused = run_script(script, tmp_path, {**base, "REF_TYPE": "tag", "REF_NAME": "v1.4.3"}, tmp_path / "t")
    assert refused.code == 1 and refused.outputs == {}
    assert "::error::The tag v1.4.3 is not shop's version 1.4.2" in refused.stdout


def test_an_image_whose_inputs_are_recorded_is_not_built_again(tmp_path):
    work = release_repository(tmp_path)
    temp = tmp_path / "runner"
    absent_registry(temp)
    first = plan(work, temp, "api")
    assert first.code == 0 and first.outputs["action"] == "build", first.stderr
    tree = git(work, "rev-parse", "HEAD:apps/shop/services/api")
    blob = git(work, "rev-parse", "HEAD:dist/shop/docker/api/Dockerfile")
    ignore = git(work, "rev-parse", "HEAD:dist/shop/docker/api/Dockerfile.dockerignore")
    assert first.outputs["inputs"] == f"{tree}+{blob}+{ignore}"
    built = git(work, "rev-parse", "HEAD")
    assert first.outputs["revision"] == built and first.outputs["epoch"] == git(work, "log", "-1", "--format=%ct")
    # The lock records the digest built from these inputs: a docs-only commit later, nothing is built.
    subprocess.run([str(VENV_BIN / "shipform"), "lock", "record", "apps/shop/app.py", "--env", "dev", f"{API}@{A}",
                    "--inputs", f"{API}={first.outputs['inputs']}"], cwd=work, check=True, capture_output=True)
    commit(work, "README.md", "# shop, documented\n", "Docs")
    again = plan(work, temp, "api")
    assert again.outputs | {"epoch": "", "created": ""} == {
        "action": "recorded", "digest": A, "inputs": first.outputs["inputs"], "revision": built,
        "epoch": "", "created": ""}
    # A change of the build context is a new image; the other service keeps its digest.
    commit(work, "apps/shop/services/api/app.py", "app = 1\n", "Change the api")
    assert plan(work, temp, "api").outputs["action"] == "build"


def test_a_tag_pushed_before_from_the_same_inputs_is_reused_and_never_overwritten(tmp_path):
    work = release_repository(tmp_path)
    temp = tmp_path / "runner"
    inputs = plan(work, temp / "first", "api").outputs["inputs"]
    raw = '{"schemaVersion": 2}\n'
    fake_tool(temp, "skopeo", 'case "$*" in *--raw*) printf %s \'' + raw + '\' ;; '
              '*--format*) printf "%s\\n" "$LABEL" ;; esac\n')
    rerun = run_script_plan(work, temp, {"LABEL": inputs})
    assert rerun.code == 0 and rerun.outputs["action"] == "pushed"
    assert rerun.outputs["digest"] == "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    other = run_script_plan(work, temp, {"LABEL": "0" * 40 + "+" + "1" * 40})
    assert other.code == 1 and "a tag is never overwritten" in other.stdout


def run_script_plan(work: Path, temp: Path, extra: dict[str, str]) -> Ran:
    doc = workflow(work / WORKFLOWS / "shop-build.yaml")
    entry = doc["jobs"]["image"]["strategy"]["matrix"]["include"][0]
    env = {"REPOSITORY": entry["repository"], "CONTEXT": entry["context"], "DOCKERFILE": entry["dockerfile"],
           "TAG": "1.4.2", "LOCK": "apps/shop/shipform.lock.json", **extra}
    return run_script(step(doc, "image", "plan")["run"], work, env, temp)


def test_record_retries_from_the_new_head_when_a_push_lands_meanwhile(tmp_path):
    """The record job of a build of commit S: main has moved on (a web change), and a push lands between its fetch
    and its push. It records api on the newest head (web's inputs changed there: a newer build records web),
    commits exactly the lock and the manifests, and its commit starts no build."""
    work = release_repository(tmp_path)
    source = git(work, "rev-parse", "HEAD")
    temp = tmp_path / "runner"
    absent_registry(temp)
    hand_over(work, temp, "api", A)
    hand_over(work, temp, "web", B)
    other = clone(tmp_path, "other")
    commit(other, "apps/shop/services/web/app.py", "app = 2\n", "Change the web")
    git(other, "push", "-q", "origin", "main")
    job = clone(tmp_path, "job")
    git(job, "checkout", "-q", source)
    # The job's own .git could be changed by the app it ran: the steps that push use a repository of their own.
    hook = job / ".git" / "hooks" / "pre-push"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path}/hooked\n")
    hook.chmod(0o755)

    def docs_pushed_by_someone_else() -> None:
        commit(other, "docs.md", "# docs\n", "Docs")
        git(other, "push", "-q", "origin", "main")

    ran = record(tmp_path, job, temp, source, meanwhile=docs_pushed_by_someone_else)
    assert not (tmp_path / "hooked").exists()
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "main moved on; trying again from its new head (2 of 3)" in ran.stdout
    assert "ghcr.io/acme/shop-web: its inputs changed on main after" in ran.stdout
    head = clone(tmp_path, "after")
    messages = git(head, "log", "--format=%s", "-4").splitlines()
    assert messages == [f"shop: deploy the images built from {source} to dev", "Docs", "Change the web", "The shop"]
    assert ran.outputs["commit"] == git(head, "rev-parse", "HEAD")
    changed = git(head, "diff", "--name-only", "HEAD~1", "HEAD").splitlines()
    assert "apps/shop/shipform.lock.json" in changed and "dist/shop/k8s/dev/deployment-shop-api.yaml" in changed
    assert all(p == "apps/shop/shipform.lock.json" or p.startswith("dist/shop/k8s/dev/") for p in changed), changed
    paths = workflow(head / WORKFLOWS / "shop-build.yaml")["on"]["push"]["paths"]
    assert not starts_build(paths, changed)
    lock = json.loads((head / "apps/shop/shipform.lock.json").read_text())
    assert lock["environments"] == {"dev": {f"{API}:1.4.2": A}} and list(lock["built"]) == [API]
    deployment = (head / "dist/shop/k8s/dev/deployment-shop-api.yaml").read_text()
    assert f"image: {API}:1.4.2@{A}" in deployment
    # The same digests again: nothing to record, a success that pushes nothing.
    again = record(tmp_path, job, temp, source)
    assert again.code == 0 and "Nothing to record" in again.stdout, again.stdout + again.stderr
    assert git(clone(tmp_path, "last"), "rev-parse", "HEAD") == git(head, "rev-parse", "HEAD")


def test_the_record_job_s_commit_is_the_last_try_s(tmp_path):
    """The job's output: the last try's pushed commit, or its head when it had nothing to push."""
    doc = workflow(release_repository(tmp_path) / WORKFLOWS / "shop-build.yaml")
    script = step(doc, "record", "commit")["run"]
    cases = [({"PUSHED1": "", "RECORDED1": "h1"}, "h1"), ({"PUSHED1": "p1", "RECORDED1": "r1"}, "p1"),
             ({"PUSHED1": "", "RECORDED1": "r1", "PUSHED2": "p2", "RECORDED2": "r2"}, "p2"),
             ({"RECORDED1": "r1", "RECORDED2": "h2"}, "h2")]
    for given, commit in cases:
        env = {name: "" for name in step(doc, "record", "commit")["env"]} | given
        assert run_script(script, tmp_path, env, tmp_path / "t").outputs == {"commit": commit}


def test_a_docs_only_commit_starts_no_build_and_the_app_s_sources_do(tmp_path):
    work = release_repository(tmp_path)
    paths = workflow(work / WORKFLOWS / "shop-build.yaml")["on"]["push"]["paths"]
    assert not starts_build(paths, ["README.md", "docs/release.md", "tests/test_x.py"])
    for changed in ("apps/shop/app.py", "apps/shop/services/api/app.py", "dist/shop/docker/api/Dockerfile",
                    "requirements.txt", "dist/shop/compose/compose.yaml"):
        assert starts_build(paths, [changed]), changed


def promotion_steps(work: Path) -> dict:
    return workflow(work / WORKFLOWS / "shop-promote-dev-to-prod.yaml")


def record_dev(work: Path, digests: dict[str, str]) -> None:
    refs = [f"{image}@{digest}" for image, digest in digests.items()]
    subprocess.run([str(VENV_BIN / "shipform"), "lock", "record", "apps/shop/app.py", "--env", "dev", *refs],
                   cwd=work, check=True, capture_output=True)
    synth(work)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "Record dev")
    git(work, "push", "-q", "origin", "main")


def test_promotion_verifies_each_digest_against_the_build_workflow_s_identity(tmp_path):
    work = release_repository(tmp_path)
    record_dev(work, {API: A, WEB: B})
    found = next(s for s in promotion_steps(work)["jobs"]["promote"]["steps"] if s["name"].startswith("Verify"))
    temp = tmp_path / "runner"
    calls = temp / "calls"
    fake_tool(temp, "cosign", f'printf "%s\\n" "$*" >> {calls}\n[ -z "$REFUSE" ] || [ "${{@: -1}}" != "$REFUSE" ]\n')
    public = {**found["env"], "VISIBILITY": "public"}
    ran = run_script(found["run"], work, public, temp)
    assert ran.code == 0, ran.stderr
    lines = calls.read_text().splitlines()
    assert [line.split()[-1] for line in lines] == [f"{API}@{A}", f"{API}@{A}", f"{WEB}@{B}", f"{WEB}@{B}"]
    verify, attestation = lines[0].split(), lines[1].split()
    assert verify[0] == "verify" and attestation[:3] == ["verify-attestation", "--type", "slsaprovenance1"]
    identity = verify[verify.index("--certificate-identity-regexp") + 1]
    assert verify[verify.index("--certificate-oidc-issuer") + 1] == "https://token.actions.githubusercontent.com"
    workflow_ref = "https://github.com/acme/shop/.github/workflows/shop-build.yaml@refs/"
    for ref in ("heads/main", "tags/v1.4.2", "tags/shop/v1.4.2"):
        assert re.match(identity, workflow_ref + ref), ref
    for other in (workflow_ref + "heads/feature", workflow_ref.replace("shop-build", "shop-ci") + "heads/main",
                  "https://github.com/acme/shopx/.github/workflows/shop-build.yaml@refs/heads/main",
                  "https://githubXcom/acme/shop/.github/workflows/shop-build.yaml@refs/heads/main"):
        assert not re.match(identity, other), other
    refused = run_script(found["run"], work, {**public, "REFUSE": f"{WEB}@{B}"}, temp)
    assert refused.code != 0  # a bad signature stops the promotion before anything is written


def test_a_private_repository_s_provenance_is_verified_against_github_s_sigstore_root(tmp_path):
    """actions/attest signs with GitHub's own Sigstore instance unless the repository is public: the attestation
    is verified with GitHub's root alone (its line of ``gh attestation trusted-root``), the signature without."""
    work = release_repository(tmp_path)
    record_dev(work, {API: A, WEB: B})
    found = next(s for s in promotion_steps(work)["jobs"]["promote"]["steps"] if s["name"].startswith("Verify"))
    temp = tmp_path / "runner"
    calls = temp / "calls"
    fake_tool(temp, "cosign", f'printf "%s\\n" "$*" >> {calls}\n')
    roots = ['{"certificateAuthorities":[{"uri":"https://fulcio.sigstore.dev"}]}',
             '{"certificateAuthorities":[{"uri":"fulcio.githubapp.com"}]}']
    fake_tool(temp, "gh", f"printf '%s\\n' '{roots[0]}' '{roots[1]}'\n")
    ran = run_script(found["run"], work, {**found["env"], "VISIBILITY": "private", "RUNNER_TEMP": str(temp)}, temp)
    assert ran.code == 0, ran.stderr
    verify, attestation = (line.split() for line in calls.read_text().splitlines()[:2])
    assert "--trusted-root" not in verify
    assert attestation[:2] == ["verify-attestation", "--trusted-root"]
    assert json.loads(Path(attestation[2]).read_text()) == json.loads(roots[1])


def test_promotion_opens_its_pull_request_once_and_nothing_new_ends_green(tmp_path):
    work = release_repository(tmp_path)
    record_dev(work, {API: A, WEB: B})
    steps = promotion_steps(work)["jobs"]["promote"]["steps"]
    found = next(s for s in steps if s.get("id") == "promote")
    publish = next(s for s in steps if s.get("id") == "publish")
    assert "GH_TOKEN" not in found["env"] and "GH_TOKEN" in publish["env"]
    temp = tmp_path / "runner"
    calls = temp / "calls"
    fake_tool(temp, "gh", f'printf "%s\\n" "$*" >> {calls}\n'
              'case "$*" in "pr list"*) if [ -f "$OPEN" ]; then echo 7; fi ;; "pr create"*) touch "$OPEN" ;; esac\n')
    env = {**plain(found), **plain(publish), **server(tmp_path), "OPEN": str(temp / "open")}

    def promote(work: Path) -> Ran:
        """The promotion's two steps: promote (no token), then publish when it prepared a commit."""
        promoted = run_script(found["run"], work, {k: v for k, v in env.items() if k != "GH_TOKEN"}, temp)
        if promoted.code or "prepared" not in promoted.outputs:
            return promoted
        published = run_script(publish["run"], work, {**env, "COMMIT": promoted.outputs["prepared"]}, temp)
        return Ran(published.code, promoted.stdout + published.stdout, published.stderr, published.outputs)

    first = promote(clone(tmp_path, "one"))
    assert first.code == 0, first.stdout + first.stderr
    branch = clone(tmp_path, "branch")
    git(branch, "checkout", "-q", "promote/dev-to-prod")
    assert first.outputs["commit"] == git(branch, "rev-parse", "HEAD")
    lock = json.loads((branch / "apps/shop/shipform.lock.json").read_text())["environments"]
    assert lock["prod"] == {f"{API}:1.4.2": A, f"{WEB}:1.4.2": B}
    assert git(branch, "log", "-1", "--format=%s") == "shop: promote dev to prod"
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("pr list --repo acme/shop --head promote/dev-to-prod --base main --state open")
    assert lines[1].startswith("pr create --repo acme/shop --base main --head promote/dev-to-prod")
    second = promote(clone(tmp_path, "two"))  # not merged yet: the same PR
    assert second.code == 0 and "Pull request #7 now promotes" in second.stdout
    assert [line.split()[:2] for line in calls.read_text().splitlines()].count(["pr", "create"]) == 1
    git(branch, "push", "-q", "origin", "HEAD:main")  # merged
    merged = promote(clone(tmp_path, "three"))
    assert merged.code == 0 and "prod already runs what dev runs: nothing to promote" in merged.stdout
    assert "commit" not in merged.outputs


def test_ci_s_result_is_reported_on_the_promotion_commit_under_each_check_name(tmp_path):
    work = release_repository(tmp_path)
    report = promotion_steps(work)["jobs"]["report"]["steps"][0]
    temp = tmp_path / "runner"
    calls = temp / "calls"
    fake_tool(temp, "gh", f'printf "%s|%s\\n" "$GH_HOST" "$*" >> {calls}\n')
    env = {"STATE": "failure", "SHA": "c0ffee", "CHECKS": report["env"]["CHECKS"], "GH_TOKEN": "t",
           "GITHUB_SERVER_URL": "https://ghe.example.com"}
    assert run_script(report["run"], tmp_path, env, temp).code == 0
    lines = calls.read_text().splitlines()
    assert len(lines) == 4 and all(line.startswith("ghe.example.com|api --method POST repos/acme/shop/statuses/"
                                                   "c0ffee -f state=failure -f context=shop: ") for line in lines)
    assert "context=shop: synth check and tests " in lines[0]
    assert "context=shop: lock trust " in lines[3]  # branch protection may require it: the promotion reports it too


def test_record_skips_a_service_removed_on_the_branch_and_drops_its_entries(tmp_path):
    """The build of S built api and web; by the time it records, main has removed web (its folder stays). api is
    recorded, web is left out instead of failing the job, and web's old entries leave the lock file."""
    work = release_repository(tmp_path)
    record_dev(work, {WEB: B})  # an earlier build recorded web
    source = git(work, "rev-parse", "HEAD")
    temp = tmp_path / "runner"
    absent_registry(temp)
    hand_over(work, temp, "api", A)
    hand_over(work, temp, "web", A)
    app = work / "apps/shop/app.py"
    app.write_text(app.read_text().replace(
        '    WebService(env, "web", build=Build.python("services/web", ["gunicorn", "app:app"]), port=8001, '
        'connects_to=[api])\n', ""))
    synth(work)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "Remove the web service")
    git(work, "push", "-q", "origin", "main")
    job = clone(tmp_path, "job")
    git(job, "checkout", "-q", source)
    ran = record(tmp_path, job, temp, source)
    assert ran.code == 0, ran.stdout + ran.stderr
    # Its generated Dockerfile left with it: its inputs at the head are gone (a Dockerfile of the team's own would
    # stay, and `lock record --skip-not-built` would skip it).
    assert f"{WEB}: its inputs changed on main after {source}" in ran.stdout
    lock = json.loads((clone(tmp_path, "after") / "apps/shop/shipform.lock.json").read_text())
    assert lock["environments"] == {"dev": {f"{API}:1.4.2": A}} and list(lock["built"]) == [API]
