"""No Environment after the first runs an image the app builds by its tag alone: synth refuses one without a digest
there (one error per Environment and image, naming the fix), unless the Environment states why; until a promotion
copies a new version's digest, such an Environment keeps the digest of the image's previous tag."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import exec_app, write_sources
from lock.helpers import invoke
from shipform import spec
from shipform.delivery.lock import LOCK_FILE, lock_images
from shipform.delivery.pins import UNPINNED_CHECK
from shipform.errors import InvalidApp
from shipform.synth.pipeline import render

A, B, C = ("sha256:" + c * 64 for c in "abc")
API, WEB = "ghcr.io/acme/shop-api:1.4.2", "ghcr.io/acme/shop-web:1.4.2"
APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", version=VERSION)
dev = Environment(app, "dev", local=True)
ENVIRONMENTS
for env in app.environments:
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    WebService(env, "web", build=Build.node("node", ["node", "server.js"]), port=3000, connects_to=[api])
    WebService(env, "proxy", image="nginx:1.27.3", port=8080, connects_to=[api])
    CronJob(env, "report", schedule="0 6 * * *", image_of=api, command=["python", "-m", "report"])
'''
PROD = 'prod = Environment(app, "prod")'
PULL_WARNING = ("shop/prod: warning: its images are pulled from ghcr.io/acme without credentials: GHCR makes the "
                "packages of a private repository private, and its pods would not start (ImagePullBackOff). Fix: "
                "Environment(pull_secret=PullSecret('<name>')), a kubernetes.io/dockerconfigjson Secret; nothing if "
                "the packages are public")
REASON = "staging follows main on purpose and holds no customer data"


def source(environments: str = PROD, version: str = "1.4.2") -> str:
    return APP.replace("ENVIRONMENTS", environments).replace("VERSION", repr(version))


def app_folder(tmp_path: Path, environments: str = PROD, lock: dict | None = None, version: str = "1.4.2") -> Path:
    write_sources(tmp_path)
    (tmp_path / "app.py").write_text(source(environments, version))
    if lock is not None:
        # The Dockerfiles' bases pinned too: these tests are about the images the app builds.
        bases = {"node:22.12.0-bookworm-slim": C, "python:3.12.8-slim-bookworm": C}
        (tmp_path / LOCK_FILE).write_text(json.dumps({"environments": lock, "bases": bases}))
    return tmp_path / "app.py"


def rendered(tmp_path: Path, environments: str = PROD, lock: dict | None = None, version: str = "1.4.2"):
    app_folder(tmp_path, environments, lock, version)
    return render(exec_app(source(environments, version), tmp_path), tmp_path / "out")


def annotations(files: dict[str, str], path: str) -> dict[str, str]:
    return yaml.safe_load(files[path].split("\n", 1)[1])["metadata"].get("annotations", {})


def test_the_record_environment_is_the_first_and_promotions_follow_the_order():
    env = [spec.Environment("shop", name, False, "argocd", (), ()) for name in ("dev", "stage", "prod")]
    app = spec.App("shop", "1.0.0", tuple(env))
    assert app.record_environment is env[0]
    assert app.promotions == ((env[0], env[1]), (env[1], env[2]))
    assert spec.App("shop", "1.0.0", ()).record_environment is None


def test_each_image_the_app_builds_without_a_digest_after_the_first_environment_is_refused(tmp_path):
    path = app_folder(tmp_path, lock={"dev": {API: A}})
    result = invoke("synth", str(path), "--outdir", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.stdout == "" and not (tmp_path / "out").exists()
    fix = (f"Fix: promote it from dev once CI has built it and dev has its digest (the promotion workflow, or "
           f"`shipform promote {path} --from dev --to prod`), running it in dev alone until then; or state why prod "
           f"runs it by tag: Environment(app, 'prod', unpinned_images='<why>')")
    assert result.stderr == "".join(
        f"{'error: ' if image == API else ''}shop/prod: '{image}' is an image the app builds, and "
        f"{tmp_path / LOCK_FILE} has no digest for it in prod, which would run whatever was pushed to that tag last. "
        f"{fix}\n" for image in (API, WEB))


def test_the_fix_names_the_environment_an_image_is_promoted_from(tmp_path):
    stage = 'stage = Environment(app, "stage")\nprod = Environment(app, "prod")'
    lock = {"dev": {API: A, WEB: B}, "stage": {API: A, WEB: B}, "prod": {WEB: B}}
    with pytest.raises(InvalidApp) as err:
        rendered(tmp_path, stage, lock)
    assert [(e.path, e.prop) for e in err.value.problems] == [("shop/prod", API)]
    assert "promote it from stage once CI has built it and stage has its digest" in str(err.value)


def test_with_digests_everywhere_nothing_is_refused_and_nothing_is_accepted(tmp_path):
    files = rendered(tmp_path, lock={"prod": {API: A, WEB: B}})
    assert f"image: {API}@{A}" in files["k8s/prod/deployment-shop-api.yaml"]
    assert f"image: {API}@{A}" in files["k8s/prod/cronjob-shop-report.yaml"]
    assert f"image: {API}\n" in files["k8s/dev/deployment-shop-api.yaml"]  # the first Environment may run tags
    assert not any(UNPINNED_CHECK in text for text in files.values())


def test_a_stated_reason_is_written_on_each_workload_that_runs_the_apps_image_by_tag(tmp_path):
    files = rendered(tmp_path, f'prod = Environment(app, "prod", unpinned_images={REASON!r})', {"prod": {WEB: B}})
    accepted = f"{UNPINNED_CHECK}=runs the image the app builds by tag without a digest: {REASON}"
    assert annotations(files, "k8s/prod/deployment-shop-api.yaml") == {"checkov.io/skip1": accepted}
    assert annotations(files, "k8s/prod/cronjob-shop-report.yaml") == {"checkov.io/skip1": accepted}
    assert f"image: {API}\n" in files["k8s/prod/deployment-shop-api.yaml"]
    for pinned_or_third_party in ("k8s/prod/deployment-shop-web.yaml", "k8s/prod/deployment-shop-proxy.yaml",
                                  "k8s/dev/deployment-shop-api.yaml"):
        assert UNPINNED_CHECK not in files[pinned_or_third_party], pinned_or_third_party


def test_a_workloads_own_accepted_risk_for_the_check_wins(tmp_path):
    own = APP.replace('port=8000)', 'port=8000, accepted_risks={"CKV_K8S_43": "the team pins it elsewhere"})')
    write_sources(tmp_path)
    app = exec_app(own.replace("ENVIRONMENTS", f'prod = Environment(app, "prod", unpinned_images={REASON!r})')
                   .replace("VERSION", "'1.4.2'"), tmp_path)
    files = render(app, tmp_path / "out")
    assert annotations(files, "k8s/prod/deployment-shop-api.yaml") == {
        "checkov.io/skip1": "CKV_K8S_43=the team pins it elsewhere"}


@pytest.mark.parametrize(("environments", "message"), [
    ('prod = Environment(app, "prod", unpinned_images="later")',
     "shop/prod: 'unpinned_images' must say why the Environment runs the app's images by tag, in one line without "
     "',', got 'later'. Fix: write e.g. 'staging follows main on purpose and holds no customer data'"),
    ('prod = Environment(app, "prod", unpinned_images="no registry, no digest")', "in one line without ','"),
    ('prod = Environment(app, "prod", unpinned_images="two lines of\\nreasons here")', "in one line without ','"),
])
def test_the_reason_must_be_a_sentence_in_one_line(tmp_path, environments, message):
    with pytest.raises(InvalidApp, match=re.escape(message)):
        app_folder(tmp_path)
        exec_app(source(environments), tmp_path)


def test_the_first_environment_states_no_reason(tmp_path):
    first = source().replace('dev = Environment(app, "dev", local=True)',
                             f'dev = Environment(app, "dev", local=True, unpinned_images={REASON!r})')
    with pytest.raises(InvalidApp) as err:
        exec_app(first, tmp_path)
    assert str(err.value) == (
        f"shop/dev: 'unpinned_images' is for Environments after the first: CI records the images it builds into the "
        f"first one itself, got {REASON!r}. Fix: drop it here; state it on the Environments that get images by "
        "promotion")


def test_a_new_version_keeps_running_the_digest_promoted_for_the_previous_one_until_promoted(tmp_path):
    old_api, old_web = API.replace("1.4.2", "1.4.1"), WEB.replace("1.4.2", "1.4.1")
    lock = {"dev": {API: C, WEB: C, "nginx:1.27.3": C}, "prod": {old_api: A, old_web: B, "nginx:1.27.3": C}}
    path = app_folder(tmp_path, lock=lock)
    result = invoke("synth", str(path), "--outdir", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "the workflows stay in" in result.stdout.splitlines()[-1]  # a scratch --outdir keeps them
    assert result.stdout.splitlines()[1:-1] == [
        "shop/prod: 2 images the app builds still run the digest promoted for the previous tag (promote dev to prod "
        f"to run {API}, {WEB})", PULL_WARNING]
    prod = tmp_path / "out" / "shop" / "k8s" / "prod"
    assert f"image: {old_api}@{A}" in (prod / "deployment-shop-api.yaml").read_text()
    assert f"image: {old_api}@{A}" in (prod / "cronjob-shop-report.yaml").read_text()
    assert f"image: {API}@{C}" in (tmp_path / "out" / "shop" / "k8s" / "dev" / "deployment-shop-api.yaml").read_text()

    result = invoke("promote", str(path), "--from", "dev", "--to", "prod")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / LOCK_FILE).read_text())["environments"]["prod"] == {
        API: C, WEB: C, "nginx:1.27.3": C}  # the previous tags' entries went with the promotion
    result = invoke("synth", str(path), "--outdir", str(tmp_path / "out"))
    # [-1]: the workflows stay in out/
    assert result.exit_code == 0 and result.stdout.splitlines()[1:-1] == [PULL_WARNING]
    assert f"image: {API}@{C}" in (prod / "deployment-shop-api.yaml").read_text()


def test_refreshing_third_party_digests_keeps_the_previous_tag_s_digest_until_a_promotion(tmp_path):
    """`shipform lock` after a version bump: prod's entries of the previous tag stay (prod runs them until the
    promotion); an entry of an image the app no longer runs at all goes."""
    old_api, old_web = API.replace("1.4.2", "1.4.1"), WEB.replace("1.4.2", "1.4.1")
    gone = "ghcr.io/acme/shop-legacy:1.4.1"
    lock = {"dev": {API: C, WEB: C}, "prod": {old_api: A, old_web: B, gone: B, "nginx:1.27.3": A}}
    app_folder(tmp_path, lock=lock)

    class Registry:
        def digest(self, image: str) -> str:
            return C

    lock_images([exec_app(source(), tmp_path)], client=Registry())
    after = json.loads((tmp_path / LOCK_FILE).read_text())["environments"]
    assert after["prod"] == {old_api: A, old_web: B, "nginx:1.27.3": C}
    assert after["dev"] == {API: C, WEB: C, "nginx:1.27.3": C}
    assert invoke("synth", str(tmp_path / "app.py"), "--outdir", str(tmp_path / "out")).exit_code == 0


def test_two_previous_tags_are_for_a_promotion_to_choose_between(tmp_path):
    lock = {"prod": {API.replace("1.4.2", "1.4.0"): A, API.replace("1.4.2", "1.4.1"): B, WEB: C}}
    with pytest.raises(InvalidApp) as err:
        rendered(tmp_path, lock=lock)
    assert [(e.path, e.prop) for e in err.value.problems] == [("shop/prod", API)]
