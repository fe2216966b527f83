"""The lock file's ``bases``: synth renders every stage's FROM (and uv's COPY --from) as name:tag@digest from it and
notes the bases without one; `shipform lock` resolves every base the generated Dockerfiles pull, with or without
--env, through App(base_registry=)'s mirror when there is one, and drops the bases no Dockerfile pulls; an explicit
base_digest or runtime_digest wins; a changed base digest changes exactly the Dockerfiles on that base, and so the
inputs the build workflow compares, of exactly their images."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import exec_app, write_sources
from lock.fake_registry import FakeRegistry
from lock.helpers import invoke
from shipform.cli_apps import load_apps as _load_apps
from shipform.delivery.lock import LOCK_FILE, lock_images, read_lock_document, write_lock
from shipform.delivery.lock_bases import base_images
from shipform.delivery.registry import Client, RegistryError
from shipform.model.base_registry import mirrored
from shipform.render.workflow_scripts import _INPUTS_OF

A, B, C, D, E = ("sha256:" + c * 64 for c in "abcde")
PYTHON, GOLANG, NODE = "python:3.12.8-slim-bookworm", "golang:1.23.4-bookworm", "node:22.12.0-bookworm-slim"
UV = "ghcr.io/astral-sh/uv:0.5.11"
DISTROLESS = "gcr.io/distroless/nodejs22-debian12:nonroot"
PG = "postgres:16.6-bookworm"

APP = '''
from shipform import App, Build, Environment, Health, StatefulDB, WebService, Worker

app = App("shop", registry="ghcr.io/acme", version="1.0.0"OPTIONS)
for name, local in (("dev", True), ("prod", False)):
    env = Environment(app, name, local=local, namespace=f"shop-{name}",
                      unpinned_images="a test app: never pushed" if not local else None)
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    Worker(env, "mailer", build=Build.python("py", ["python", "-m", "mailer"]),
           health=Health.none("a test worker that serves nothing"))
    WebService(env, "catalog", build=Build.go("go"), port=8080)
    WebService(env, "web", build=Build.node("node", ["node", "s.js"]NODE_OPTIONS), port=3000)
    WebService(env, "legacy", build=Build.dockerfile("own/Dockerfile"), port=8000, run_as_user=10001,
               run_as_group=10001)
    if local:
        StatefulDB(env, "db", engine="postgres", version="16")
'''


def app_file(folder: Path, options: str = "", node_options: str = "") -> Path:
    write_sources(folder)
    path = folder / "app.py"
    path.write_text(APP.replace("NODE_OPTIONS", node_options).replace("OPTIONS", options))
    return path


def dockerfile(out: Path, service: str) -> str:
    return (out / "shop" / "docker" / service / "Dockerfile").read_text()


def froms(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("FROM ", "COPY --from="))
            and not line.startswith(("COPY --from=build ", "COPY --from=tini "))]


class Answers:
    """A registry that answers from a table (no internet) and remembers what it was asked."""

    def __init__(self, digests: dict[str, str]):
        self.digests, self.asked = digests, []

    def digest(self, image: str) -> str:
        self.asked.append(image)
        if image not in self.digests:
            raise RegistryError("registry-1.docker.io", image, "not found", "check the tag")
        return self.digests[image]


def test_every_stage_is_pinned_from_the_lock_and_a_base_without_an_entry_is_noted(tmp_path):
    path, out = app_file(tmp_path), tmp_path / "out"
    write_lock(tmp_path / LOCK_FILE, {}, None, {PYTHON: A, GOLANG: B})
    result = invoke("synth", str(path), "--outdir", str(out))
    assert result.exit_code == 0, result.output
    assert froms(dockerfile(out, "api")) == [f"FROM {PYTHON}@{A} AS build", f"FROM {PYTHON}@{A}"]
    assert f'org.opencontainers.image.base.digest="{A}"' in dockerfile(out, "api")
    assert froms(dockerfile(out, "catalog")) == [  # the build, the tini stage and the empty runtime
        f"FROM --platform=$BUILDPLATFORM {GOLANG}@{B} AS build", f"FROM {GOLANG}@{B} AS tini", "FROM scratch"]
    assert froms(dockerfile(out, "web")) == [f"FROM {NODE} AS build", f"FROM {NODE}"]  # no entry: by tag
    assert not (out / "shop" / "docker" / "legacy").exists()  # the team's own Dockerfile is theirs
    assert (f"shop: 1 base image has no digest in the Dockerfiles ({NODE}; run `shipform lock`)"
            in result.stdout.splitlines())


def test_lock_resolves_every_base_with_or_without_env_and_drops_what_no_dockerfile_pulls(tmp_path):
    path = app_file(tmp_path)
    write_lock(tmp_path / LOCK_FILE, {"dev": {PG: C}}, None, {"python:3.11.11-slim-bookworm": C, PYTHON: C})
    registry = Answers({PYTHON: A, GOLANG: B, NODE: D, PG: C})
    lines = lock_images(_load_apps(path), "dev", registry)
    assert sorted(registry.asked) == sorted([PG, PYTHON, GOLANG, NODE])  # not scratch, not the team's own FROM
    assert lines[1:] == [f"  + base {GOLANG} {B}", f"  + base {NODE} {D}",
                         f"  - base python:3.11.11-slim-bookworm {C}", f"  ~ base {PYTHON} {C} -> {A}"]
    assert read_lock_document(tmp_path / LOCK_FILE) == ({"dev": {PG: C}}, {}, {PYTHON: A, GOLANG: B, NODE: D})
    assert lock_images(_load_apps(path), None, registry)[0].endswith("up to date, nothing written")

    broken = Answers({PYTHON: A, GOLANG: B, PG: C})  # the node base cannot be resolved: nothing is written
    write_lock(tmp_path / LOCK_FILE, {"dev": {PG: C}}, None, {})
    with pytest.raises(Exception, match=f"cannot resolve {NODE}: not found"):
        lock_images(_load_apps(path), None, broken)
    assert read_lock_document(tmp_path / LOCK_FILE)[2] == {}


def test_uv_and_distroless_bases_are_bases_too(tmp_path):
    path = app_file(tmp_path, node_options=', runtime="distroless"')
    (tmp_path / "py" / "requirements.txt").unlink()
    (tmp_path / "py" / "pyproject.toml").write_text('[project]\nname = "api"\nversion = "1.0.0"\n')
    (tmp_path / "py" / "uv.lock").write_text("version = 1\n")
    assert base_images(exec_app(path.read_text(), tmp_path).to_spec()) == {PYTHON, UV, GOLANG, NODE, DISTROLESS}
    write_lock(tmp_path / LOCK_FILE, {}, None, {PYTHON: A, UV: B, GOLANG: C, NODE: D, DISTROLESS: E})
    out = tmp_path / "out"
    result = invoke("synth", str(path), "--outdir", str(out))
    assert result.exit_code == 0, result.output
    assert froms(dockerfile(out, "api")) == [f"FROM {PYTHON}@{A} AS build",
                                             f"COPY --from={UV}@{B} /uv /usr/local/bin/uv", f"FROM {PYTHON}@{A}"]
    assert froms(dockerfile(out, "web")) == [f"FROM {NODE}@{D} AS build", f"FROM {DISTROLESS}@{E}"]
    assert "base image" not in result.stdout


def test_a_distroless_runtime_without_a_digest_is_refused_naming_both_fixes(tmp_path):
    """distroless publishes no version tags: its ':nonroot' is whatever was pushed last, so synth refuses it until
    the lock (or runtime_digest) pins it, where a versioned tag such as python's is only noted."""
    path = app_file(tmp_path, node_options=', runtime="distroless"')
    write_lock(tmp_path / LOCK_FILE, {}, None, {PYTHON: A, GOLANG: C, NODE: D})
    result = invoke("synth", str(path), "--outdir", str(tmp_path / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "build.runtime_digest" in result.output and DISTROLESS in result.output
    assert "run `shipform lock`" in result.output and "runtime_digest='sha256:<64 hex>'" in result.output
    assert not (tmp_path / "out").exists()


def test_an_explicit_pin_wins_and_takes_no_entry(tmp_path):
    path = app_file(tmp_path, node_options=f', runtime="distroless", runtime_digest="{E}", base_digest="{B}"')
    write_lock(tmp_path / LOCK_FILE, {"dev": {PG: C}}, None, {NODE: A, DISTROLESS: A})
    out = tmp_path / "out"
    assert invoke("synth", str(path), "--outdir", str(out)).exit_code == 0
    # The Build's own digests, whatever the lock says; the distroless digest names no tag (the Build said none).
    assert froms(dockerfile(out, "web")) == [f"FROM {NODE}@{B} AS build",
                                             f"FROM gcr.io/distroless/nodejs22-debian12@{E}"]
    registry = Answers({PYTHON: A, GOLANG: B, PG: C})
    lock_images(_load_apps(path), None, registry)
    assert NODE not in registry.asked and DISTROLESS not in registry.asked
    assert read_lock_document(tmp_path / LOCK_FILE)[2] == {PYTHON: A, GOLANG: B}  # their entries went


def test_a_mirror_pulls_docker_hubs_bases_and_shipform_lock_resolves_them_there(tmp_path):
    with FakeRegistry() as registry:  # a pull-through cache on loopback, served over plain http
        mirror = f"{registry.host}/dockerhub"
        digests = {f"{mirror}/library/{image}": registry.add(f"dockerhub/library/{name}", tag, body)
                   for image, body in ((PYTHON, b'{"a": 1}'), (GOLANG, b'{"b": 2}'), (NODE, b'{"c": 3}'))
                   for name, tag in [image.split(":")]}
        path = app_file(tmp_path, f", base_registry={mirror!r}", ', runtime="distroless"')

        class ThroughTheMirror:
            """The real client for the mirror; the distroless base (gcr.io, not mirrored) and postgres answered."""

            def __init__(self) -> None:
                self.client = Client(timeout=5)

            def digest(self, image: str) -> str:
                return self.client.digest(image) if image.startswith(mirror) else {DISTROLESS: E, PG: C}[image]

        lock_images(_load_apps(path), None, ThroughTheMirror())
        assert read_lock_document(tmp_path / LOCK_FILE)[2] == {**digests, DISTROLESS: E}
    out = tmp_path / "out"
    assert invoke("synth", str(path), "--outdir", str(out)).exit_code == 0
    python = f"{mirror}/library/{PYTHON}"
    assert froms(dockerfile(out, "api")) == [f"FROM {python}@{digests[python]} AS build",
                                             f"FROM {python}@{digests[python]}"]
    assert froms(dockerfile(out, "web"))[1] == f"FROM {DISTROLESS}@{E}"  # another registry's image stays


@pytest.mark.parametrize(("image", "expected"), [
    (PYTHON, f"m.acme.io/hub/library/{PYTHON}"),
    ("bitnami/redis:7.4.1", "m.acme.io/hub/bitnami/redis:7.4.1"),
    (f"docker.io/library/{GOLANG}@{A}", f"m.acme.io/hub/library/{GOLANG}@{A}"),
    (f"index.docker.io/{NODE}", f"m.acme.io/hub/library/{NODE}"),
    (DISTROLESS, DISTROLESS), (UV, UV), ("localhost:5000/tools/x:1", "localhost:5000/tools/x:1"),
    ("scratch", "scratch"),
])
def test_the_mirror_rule_is_dockers_name_rule(image, expected):
    assert mirrored(image, "m.acme.io/hub") == expected
    assert mirrored(image, None) == image


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


def build_inputs(repo: Path, workflow: Path) -> dict[str, str]:
    """{image: its inputs}, computed at HEAD by the build workflow's own inputs_of for each image of its matrix."""
    jobs = yaml.safe_load(workflow.read_text())["jobs"].values()
    matrix = next(job["strategy"]["matrix"]["include"] for job in jobs if "strategy" in job)
    return {row["image"]: subprocess.run(["bash", "-c", f'{_INPUTS_OF}\ninputs_of "$1" "$2"', "-",
                                          row["context"], row["dockerfile"]], cwd=repo, check=True,
                                         capture_output=True, text=True).stdout.strip() for row in matrix}


@pytest.mark.slow
def test_a_changed_base_digest_changes_exactly_the_dockerfiles_on_that_base_and_their_images_inputs(tmp_path):
    repo = tmp_path
    path = app_file(repo, ', repository="https://github.com/acme/shop.git", workflows="output"')
    write_lock(repo / LOCK_FILE, {"dev": {PG: C}}, None, {PYTHON: A, GOLANG: B, NODE: C})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "start")

    def synth_and_commit() -> tuple[dict[str, bytes], dict[str, str]]:
        result = invoke("synth", str(path))
        assert result.exit_code == 0, result.output
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "synth")
        out = repo / "dist" / "shop"
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        return files, build_inputs(repo, out / ".github" / "workflows" / "shop-build.yaml")

    before, inputs_before = synth_and_commit()
    write_lock(repo / LOCK_FILE, {"dev": {PG: C}}, None, {PYTHON: D, GOLANG: B, NODE: C})  # python moved
    after, inputs_after = synth_and_commit()
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"docker/api/Dockerfile", "docker/mailer/Dockerfile"}  # every other file byte for byte
    assert f"FROM {PYTHON}@{D}" in after["docker/api/Dockerfile"].decode()
    assert set(inputs_before) == {"api", "mailer", "catalog", "web", "legacy"}
    assert {image for image in inputs_before if inputs_before[image] != inputs_after[image]} == {"api", "mailer"}
    assert json.loads((repo / LOCK_FILE).read_text())["bases"][PYTHON] == D


def test_record_and_promote_keep_the_bases_section(tmp_path):
    path = app_file(tmp_path)
    write_lock(tmp_path / LOCK_FILE, {"dev": {PG: C}}, None, {PYTHON: A, GOLANG: B})
    services = ("api", "mailer", "catalog", "web", "legacy")
    result = invoke("lock", "record", str(path), "--env", "dev", *(f"ghcr.io/acme/shop-{s}@{D}" for s in services))
    assert result.exit_code == 0, result.output
    result = invoke("promote", str(path), "--from", "dev", "--to", "prod")
    assert result.exit_code == 0, result.output
    lock, _, bases = read_lock_document(tmp_path / LOCK_FILE)
    assert lock["prod"] == {f"ghcr.io/acme/shop-{s}:1.0.0": D for s in services}
    assert bases == {PYTHON: A, GOLANG: B}
