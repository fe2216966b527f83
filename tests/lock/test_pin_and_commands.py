"""Synth pins images to the lock file's digests and says which Environments run images by tag alone;
`shipform lock record`, `shipform promote` and `shipform lock` (against a registry served in process) write it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import yaml

from conftest import exec_app, write_sources
from lock.fake_registry import FakeRegistry
from lock.helpers import invoke
from shipform import spec
from shipform.delivery.lock import LOCK_FILE, built_images, third_party_images
from shipform.delivery.pins import pin

A, B, C, D = ("sha256:" + c * 64 for c in "abcd")
API = "ghcr.io/acme/shop-api:1.4.2"
PG = "postgres:16.6-bookworm"
AWS = "amazon/aws-cli:2.22.12"
PYTHON = "python:3.12.8-slim-bookworm"
BASE_NOTE = "shop: 1 base image has no digest in the Dockerfiles (python:3.12.8-slim-bookworm; run `shipform lock`)"

APP = '''
from shipform import (
    App,
    Backup,
    Build,
    CronJob,
    DataStorage,
    Environment,
    Health,
    Issuer,
    S3Target,
    SecretRef,
    StatefulDB,
    WebService,
)

app = App("shop", registry="ghcr.io/acme", version="1.4.2")
for name, local in (("dev", True), ("prod", False)):
    env = Environment(app, name, local=local, domain=f"{name}.example.com",
                      tls_issuer=None if local else Issuer(name="internal-ca"),
                      data_storage=None if local else DataStorage("ebs.csi.aws.com"))
    offsite = S3Target(bucket="acme-backups", credentials=SecretRef("backup-s3", "credentials"),
                       restore_credentials=SecretRef("restore-s3", "credentials"))
    db = StatefulDB(env, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=offsite))
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                     health=Health.http("/healthz"), connects_to=[db])
    WebService(env, "proxy", image=PROXY, port=8080, connects_to=[api])
    CronJob(env, "report", schedule="0 6 * * *", image_of=api, command=["python", "-m", "report"])
'''


def app_file(folder: Path, proxy: str = "nginx:1.27.3") -> Path:
    write_sources(folder)
    path = folder / "app.py"
    path.write_text(APP.replace("PROXY", repr(proxy)))
    return path


def lock_of(folder: Path) -> dict:
    return json.loads((folder / LOCK_FILE).read_text())["environments"]


def images_in(folder: Path) -> set[str]:
    return {line.split("image: ", 1)[1] for path in folder.rglob("*.yaml")
            for line in path.read_text().splitlines() if line.strip().startswith("image: ")}


def test_pin_pins_every_image_with_an_entry_and_nothing_else(tmp_path):
    write_sources(tmp_path)
    app_spec = exec_app(APP.replace("PROXY", repr(f"nginx:1.27.3@{D}")), tmp_path).to_spec()
    dev, prod = app_spec.environments
    assert third_party_images(prod) == {PG, AWS} and built_images(prod) == {API}  # nginx has its own digest
    pinned = pin(app_spec, {"prod": {API: A, PG: B, AWS: C, "nginx:1.27.3": A}, "qa": {PG: C}})
    assert pinned.environments[0] == dev  # no entries: untouched
    by_name = {w.name: w for w in pinned.environments[1].workloads}
    assert by_name["api"].image == by_name["report"].image == f"{API}@{A}"
    assert by_name["api"].built == next(w for w in prod.workloads if w.name == "api").built
    assert by_name["db"].image == f"{PG}@{B}" and by_name["proxy"].image == f"nginx:1.27.3@{D}"
    backup = by_name["db-backup"]
    assert isinstance(backup.run, spec.Scheduled) and backup.run.job.after is not None
    assert (backup.image, backup.run.job.after.image) == (f"{PG}@{B}", f"{AWS}@{C}")
    assert pin(app_spec, {}) == app_spec
    assert replace(pinned, environments=app_spec.environments) == app_spec


def test_a_recorded_digest_reaches_kubernetes_and_compose_and_the_rest_is_noted(tmp_path):
    path, out = app_file(tmp_path), tmp_path / "out"
    result = invoke("synth", str(path), "--outdir", str(out))
    assert result.exit_code == 1 and f"shop/prod: '{API}' is an image the app builds" in result.stderr
    assert not out.exists()  # prod would run the app's image by tag: refused (tests/lock/test_unpinned.py)

    result = invoke("lock", "record", str(path), "--env", "prod", f"ghcr.io/acme/shop-api@{A}")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{LOCK_FILE}: 1 change(s) written\n  + prod {API} {A}\n".replace(
        LOCK_FILE, str(tmp_path / LOCK_FILE))
    # Third-party digests for dev, as `shipform lock` writes them (its registry test is below).
    lock = json.loads((tmp_path / LOCK_FILE).read_text())
    lock["environments"]["dev"] = {PG: B, AWS: C}
    (tmp_path / LOCK_FILE).write_text(json.dumps(lock))

    result = invoke("synth", str(path), "--outdir", str(out))
    assert result.exit_code == 0, result.output
    kept = (f"shop: the workflows stay in {out}/shop/.github/workflows/ (the output folder is not the project's "
            f"output {tmp_path / 'dist'}); the repository's .github/workflows/ is left as it is")  # a scratch --outdir
    assert result.stdout.splitlines()[1:] == [
        "shop/dev: 2 images have no digest (run `shipform lock`, or let CI record built images)",
        "shop/prod: 3 images have no digest (run `shipform lock`, or let CI record built images)",
        BASE_NOTE,
        "shop/prod: warning: its images are pulled from ghcr.io/acme without credentials: GHCR makes the packages of "
        "a private repository private, and its pods would not start (ImagePullBackOff). Fix: "
        "Environment(pull_secret=PullSecret('<name>')), a kubernetes.io/dockerconfigjson Secret; nothing if the "
        "packages are public", kept]
    assert images_in(out / "shop" / "k8s" / "prod") == {f"{API}@{A}", PG, AWS, "nginx:1.27.3"}
    assert images_in(out / "shop" / "k8s" / "dev") == {API, f"{PG}@{B}", f"{AWS}@{C}", "nginx:1.27.3"}
    services = yaml.safe_load((out / "shop" / "compose" / "compose.yaml").read_text())["services"]
    assert services["db"]["image"] == f"{PG}@{B}" and services["proxy"]["image"] == "nginx:1.27.3"
    assert "image" not in services["api"] and services["api"]["build"]["context"] == "../../../py"
    assert invoke("synth", str(path), "--outdir", str(out), "--check").stdout.splitlines() == [
        "up to date: shop",
        "shop/dev: 2 images have no digest (run `shipform lock`, or let CI record built images)",
        "shop/prod: 3 images have no digest (run `shipform lock`, or let CI record built images)",
        BASE_NOTE,
        "shop/prod: warning: its images are pulled from ghcr.io/acme without credentials: GHCR makes the packages of "
        "a private repository private, and its pods would not start (ImagePullBackOff). Fix: "
        "Environment(pull_secret=PullSecret('<name>')), a kubernetes.io/dockerconfigjson Secret; nothing if the "
        "packages are public", kept]


def test_record_refuses_what_the_app_does_not_build_and_writes_nothing(tmp_path):
    path = app_file(tmp_path)
    cases = {
        f"nginx:1.27.3@{A}": "'IMAGE@DIGEST' is not an image the app builds in prod",
        f"ghcr.io/acme/shop-api:9.9.9@{A}": f"Fix: record one of {API}",
        "ghcr.io/acme/shop-api@sha256:abc": "must be an image name (and tag) with a digest",
        f"ghcr.io/acme/shop-api:1.4.2@{A.upper()}": "must be an image name (and tag) with a digest",
        "ghcr.io/acme/shop-api:1.4.2": "must be an image name (and tag) with a digest",
        f"{API}@{A}\n": "must be an image name (and tag) with a digest",  # '$' took it, and it was written
        f"ghcr.io/acme/shop-api:1.4.2\n@{A}": "must be an image name (and tag) with a digest",
    }
    for ref, message in cases.items():
        result = invoke("lock", "record", str(path), "--env", "prod", ref)
        assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.output
    result = invoke("lock", "record", str(path), "--env", "qa", f"{API}@{A}")
    assert result.exit_code == 1
    assert "'--env' is not an Environment of the app, got 'qa'. Fix: pass --env with one of dev, prod" in result.stderr
    result = invoke("lock", "record", str(path), "--env", "prod", f"{API}@{A}", f"ghcr.io/acme/shop-api@{B}")
    assert result.exit_code == 1 and f"gives {API} two digests" in result.stderr
    assert not (tmp_path / LOCK_FILE).exists()


def test_promote_copies_exactly_the_built_images_digests(tmp_path):
    path = app_file(tmp_path)
    (tmp_path / LOCK_FILE).write_text(json.dumps({"environments": {
        "dev": {API: A, PG: B}, "prod": {PG: C, AWS: D}}}))
    result = invoke("promote", str(path), "--from", "dev", "--to", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / LOCK_FILE}: 1 change(s) written\n  + prod {API} {A}\n"
    assert lock_of(tmp_path) == {"dev": {API: A, PG: B}, "prod": {API: A, PG: C, AWS: D}}
    again = invoke("promote", str(path), "--from", "dev", "--to", "prod")
    assert again.stdout == f"{tmp_path / LOCK_FILE}: up to date, nothing written\n"


def test_promote_refuses_when_the_source_has_no_digest_for_an_image_the_target_runs(tmp_path):
    path = app_file(tmp_path)
    content = json.dumps({"environments": {"dev": {PG: B}, "prod": {API: C}}})
    (tmp_path / LOCK_FILE).write_text(content)
    result = invoke("promote", str(path), "--from", "dev", "--to", "prod")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"error: {tmp_path / LOCK_FILE}: 'environments.dev' has no digest for {API}, which prod "
                             f"runs. Fix: let CI build it and record it in dev (`shipform lock record --env dev "
                             f"{API}@sha256:<digest>`), verify it there, then promote\n")
    assert (tmp_path / LOCK_FILE).read_text() == content
    same = invoke("promote", str(path), "--from", "dev", "--to", "dev")
    assert same.exit_code == 1 and "'--to' must differ from --from" in same.stderr


def test_a_damaged_lock_file_stops_synth_with_one_line(tmp_path):
    path = app_file(tmp_path)
    (tmp_path / LOCK_FILE).write_text('{"environments": {"prod": {"redis:7.4.1": "sha256:abc"}}}')
    result = invoke("synth", str(path), "--outdir", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"error: {tmp_path / LOCK_FILE}: 'environments.prod.redis:7.4.1' must be 'sha256:' "
                             "followed by 64 lowercase hex digits, got 'sha256:abc'. Fix: correct the file, or delete "
                             "it and run `shipform lock` (CI records the images it builds again on its next build)\n")
    assert not (tmp_path / "out").exists()


MANIFEST = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}'


def test_lock_resolves_third_party_images_through_their_registries(tmp_path):
    with FakeRegistry() as registry:
        proxy = f"{registry.host}/tools/proxy:1.0"
        digest = registry.add("tools/proxy", "1.0", MANIFEST, "application/vnd.oci.image.manifest.v1+json")
        path = app_file(tmp_path, proxy)
        # What is used stays (a built image CI recorded); what is not is removed; other Environments stay.
        (tmp_path / LOCK_FILE).write_text(json.dumps({"environments": {
            "dev": {API: A, "redis:7.4.1": B}, "qa": {PG: C}}}))

        class Registry:
            """The fake registry serves the proxy; postgres, the AWS CLI and the Dockerfile's base get fixed digests
            (no internet)."""

            def __init__(self):
                from shipform.delivery.registry import Client

                self.client, self.asked = Client(timeout=5), []

            def digest(self, image: str) -> str:
                self.asked.append(image)
                return self.client.digest(image) if image == proxy else {PG: B, AWS: C, PYTHON: D}[image]

        from shipform.cli_apps import load_apps as _load_apps
        from shipform.delivery.lock import lock_images

        fake = Registry()
        lines = lock_images(_load_apps(path), client=fake)
        assert sorted(fake.asked) == sorted([proxy, PG, AWS, PYTHON])  # each image once, for both Environments
        assert lines == [f"{tmp_path / LOCK_FILE}: 8 change(s) written",
                         f"  + dev {proxy} {digest}", f"  + dev {AWS} {C}", f"  + dev {PG} {B}",
                         f"  - dev redis:7.4.1 {B}",
                         f"  + prod {proxy} {digest}", f"  + prod {AWS} {C}", f"  + prod {PG} {B}",
                         f"  + base {PYTHON} {D}"]
        assert lock_of(tmp_path) == {"dev": {API: A, AWS: C, PG: B, proxy: digest},
                                     "prod": {AWS: C, PG: B, proxy: digest}, "qa": {PG: C}}
        assert json.loads((tmp_path / LOCK_FILE).read_text())["bases"] == {PYTHON: D}  # app-wide, not per Environment
        assert lock_images(_load_apps(path), client=fake) == [
            f"{tmp_path / LOCK_FILE}: up to date, nothing written"]


def test_lock_against_a_registry_that_does_not_answer_writes_nothing(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = app_file(tmp_path, f"127.0.0.1:{port}/tools/proxy:1.0")
    result = invoke("lock", str(path), "--env", "prod")
    assert result.exit_code == 1 and result.stdout == ""
    first, *others, last = result.stderr.splitlines()
    assert first.startswith(f"error: 127.0.0.1:{port}: cannot resolve 127.0.0.1:{port}/tools/proxy:1.0: cannot reach")
    assert len(others) == 3 and all(line.startswith("error: registry-1.docker.io: cannot resolve ") for line in others)
    assert others[-1].startswith(f"error: registry-1.docker.io: cannot resolve {PYTHON}: ")  # the base too
    assert last == "error: no digest written. Fix: the lines above say what to do for each image"
    assert not (tmp_path / LOCK_FILE).exists()
