"""The generated patch workflow (``<app>-patch.yaml``), run as GitHub runs a ``schedule`` event on the default branch,
against the loopback registry: a third-party image the shop App runs (a tiny image served by that registry,
locked by ``shipform lock``) stays put, moves its tag, or carries a planted critical finding (the trivy stand-in's
marker; see standins/aquasecurity/trivy-action/README.md).

Judged by the final state: the remote's branches and pull requests, the lock file on them, and what the summary
says. The App's credentials are given (the pull request's own CI then runs on GitHub; here nothing starts)."""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import subprocess
import tarfile

import pytest

from act import events, release
from act.oci import sha256
from act.tools.trivy import PLANTED_MARKER
from act.world import World
from containers.standins import standin_for

pytestmark = [pytest.mark.act, pytest.mark.containers]

WORKFLOW = "shop-patch.yaml"
BRANCH = "shipform/patch-shop"


GO_BASE = "golang:1.23.4-bookworm"  # the Go preset's base, which the container rig stands in for offline


@pytest.fixture(scope="module")
def mirror(machine) -> str:
    """A Docker Hub mirror on the loopback registry (``App(base_registry=...)``), holding the rig's stand-in of the
    Go preset's base: ``shipform lock`` resolves the generated Dockerfiles' bases there (nothing reaches Docker
    Hub here), and the build stand-in pulls them from there."""
    where = f"{machine.registry}/mirror-{secrets.token_hex(2)}"
    env = {**os.environ, **machine.containers_env, "CONTAINERS_REGISTRIES_CONF": str(machine.registries_conf)}
    # skopeo 1.9 reads no CONTAINERS_REGISTRIES_CONF: the loopback registry's plain http is said here
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    f"containers-storage:{standin_for(GO_BASE).reference}", f"docker://{where}/library/{GO_BASE}"],
                   check=True, env=env, timeout=600)
    return where


def use_mirror(world: World, mirror: str, web_version: str | None = None) -> None:
    """The shop App pulls Docker Hub's bases through ``mirror``; its web service, with ``web_version``, builds on
    another tag of the Go base than api. Locked (the bases resolve in the mirror), synthesized, committed."""
    path = world.repo.path / "apps" / "shop" / "app.py"
    text = path.read_text().replace("registry=", f"base_registry={mirror!r}, registry=", 1)
    if web_version:
        web = (f"WebService(env, service, build=Build.go('services/web', version={web_version!r}), port=8080, "
               "health=Health.http('/healthz'))")
        text = text.replace("        go_service(env, service)",
                            f"        go_service(env, service) if service != 'web' else {web}")
        text = text.replace("from shipform import ", "from shipform import Build, Health, WebService, ", 1)
    path.write_text(text)
    world.repo.shipform("lock", "apps/shop/app.py")
    world.repo.synth()
    world.repo.commit("shop: bases through the mirror")


def move_tag(world: World, repository: str, tag: str) -> str:
    """The tag's image rebuilt upstream: one more layer on it, pushed under the same tag; the new digest."""
    registry = world.registry
    found = registry.manifest(repository, tag)
    assert found, f"{repository}:{tag} is not in the mirror"
    raw, media_type = found
    manifest = json.loads(raw)
    config = json.loads(registry.blob(repository, manifest["config"]["digest"]))
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("etc/shipform-act-rebuilt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"new"))
    compressed = gzip.compress(layer.getvalue(), mtime=0)
    config["rootfs"]["diff_ids"].append(sha256(layer.getvalue()))
    if config.get("history"):
        config["history"].append({"created_by": "a rebuild of the tag upstream"})
    config_bytes = json.dumps(config).encode()
    docker = "docker" in media_type
    manifest["config"] = {**manifest["config"], "digest": registry.push_blob(repository, config_bytes),
                          "size": len(config_bytes)}
    manifest["layers"].append({
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker
        else "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": registry.push_blob(repository, compressed), "size": len(compressed)})
    return registry.push_manifest(repository, tag, json.dumps(manifest).encode(), media_type)


def vendor_image(world: World, name: str, content: bytes, path: str = "hello.txt") -> tuple[str, str]:
    """(the image as the app names it, its digest): ``<namespace>/<name>:1.0`` pushed to the loopback registry."""
    repository = f"{world.namespace.split('/', 1)[1]}/{name}"
    digest = release.push_tiny_image(world.registry, repository, "1.0", content, path)
    return f"{world.namespace}/{name}:1.0", digest


def run_patch(world: World):
    variables, secrets = world.app_credentials()
    return world.run(WORKFLOW, "schedule", events.schedule(world.full_name, "23 4 * * 1"), variables=variables,
                     secrets=secrets)


def open_pulls(world: World) -> list[dict]:
    return [p for p in world.remote.pulls() if p["state"] == "OPEN"]


def summary_row(output: str, image: str, digest: str) -> str:
    name = image.rsplit(":", 1)[0]
    rows = [line for line in output.splitlines() if f"| {name}@{digest} |" in line]
    assert rows, f"no summary row for {name}@{digest} in:\n{output}"
    return rows[0]


def test_nothing_moved_opens_nothing_and_a_planted_critical_fails_the_rescan(world, mirror):
    """(a) nothing moved: no branch, no pull request; (c) the image with the planted finding fails its scan, the
    other is still scanned, and the summary names both with their results."""
    use_mirror(world, mirror)
    clean, clean_digest = vendor_image(world, "vendor-tool", b"tool 1")
    planted, planted_digest = vendor_image(world, "vendor-old", b"x", f"usr/share/{PLANTED_MARKER}")
    world.repo.add_image_workload("shop", "tool", clean)
    world.repo.add_image_workload("shop", "old", planted)
    world.repo.push()
    refs = world.remote.refs()

    result = run_patch(world)

    assert result.job("refresh") == "success" and result.job("publish") == "success", repr(result)
    assert result.job("scan") == "failure" and not result.ok, repr(result)
    assert world.remote.refs() == refs  # no branch, nothing pushed
    assert world.remote.pulls() == []
    summary = result.output("publish")
    assert "FAILED" in summary_row(summary, planted, planted_digest)
    assert summary_row(summary, clean, clean_digest).endswith("| dev, prod | none |")
    assert "2 of 2 digest(s) scanned" in summary and "Nothing moved: no pull request" in summary


def test_a_moved_tag_gives_one_pull_request_that_the_next_run_updates(world, mirror):
    """(b) the vendor moves the tag: one pull request from shipform/patch-shop whose lock differs from main's in
    exactly that image's entries (both Environments run it), with the lines `shipform lock` printed and the
    scan summary; it moves again: the same pull request, updated, and no second one."""
    use_mirror(world, mirror)
    image, first = vendor_image(world, "vendor-tool", b"tool 1")
    world.repo.add_image_workload("shop", "tool", image)
    world.repo.push()
    on_main = world.lock("shop")
    assert {env: entries.get(image) for env, entries in on_main.items()} == {"dev": first, "prod": first}
    _, second = vendor_image(world, "vendor-tool", b"tool 2")

    result = run_patch(world)

    assert result.ok, repr(result)
    [pull] = open_pulls(world)
    assert pull["headRefName"] == BRANCH and pull["baseRefName"] == "main"
    patched = world.lock("shop", f"refs/heads/{BRANCH}")
    changed = {(env, name) for env in on_main.keys() | patched.keys()
               for name in on_main.get(env, {}).keys() | patched.get(env, {}).keys()
               if on_main.get(env, {}).get(name) != patched.get(env, {}).get(name)}
    assert changed == {("dev", image), ("prod", image)}
    assert patched["dev"][image] == patched["prod"][image] == second
    files = world.remote.changed(world.remote.head("main"), world.remote.head(BRANCH))
    assert "apps/shop/shipform.lock.json" in files
    # the lock and the output that pins it (manifests, compose); no Dockerfile: merging rebuilds nothing
    assert all(f == "apps/shop/shipform.lock.json" or f.startswith("dist/shop/") for f in files), files
    assert not [f for f in files if f.endswith("Dockerfile")], files
    assert f"~ dev {image} {first} -> {second}" in pull["body"]
    assert f"| {image.rsplit(':', 1)[0]}@{first} | dev, prod | none |" in pull["body"]  # the rescan of main's

    _, third = vendor_image(world, "vendor-tool", b"tool 3")
    again = run_patch(world)

    assert again.ok, repr(again)
    [updated] = open_pulls(world)
    assert updated["number"] == pull["number"] and len(world.remote.pulls()) == 1
    assert updated["headRefOid"] == world.remote.head(BRANCH)
    assert world.lock("shop", f"refs/heads/{BRANCH}")["prod"][image] == third
    assert f"~ prod {image} {first} -> {third}" in updated["body"]


def test_a_moved_base_tag_rebuilds_exactly_the_images_on_it(world, mirror):
    """The issue's scenario: api builds on golang:1.23.4-bookworm, web on golang:1.24.0-bookworm (both through the
    App's base mirror, pinned in the lock's bases section), both built and recorded; upstream moves 1.24.0. The
    patch pull request changes web's Dockerfile and not api's, and the build after merging it pushes a new image
    of web only: dev's web digest changes, api's stays."""
    base = f"{mirror.split('/', 1)[1]}/library/golang"
    raw, media_type = world.registry.manifest(base, GO_BASE.split(":")[1]) or (b"", "")
    world.registry.push_manifest(base, "1.24.0-bookworm", raw, media_type)  # a second tag, the same image at first
    use_mirror(world, mirror, web_version="1.24.0")
    world.repo.push()
    first = world.last_push()
    built = world.run_push("shop-build.yaml", first)
    assert built.ok, repr(built)
    before = world.locked("shop", "dev")
    assert set(before) == {"api", "web"}
    moved = move_tag(world, base, "1.24.0-bookworm")

    result = run_patch(world)

    assert result.ok, repr(result)
    [pull] = open_pulls(world)
    files = world.remote.changed(world.remote.head("main"), world.remote.head(BRANCH))
    dockerfiles = sorted(f for f in files if f.endswith("Dockerfile"))
    assert dockerfiles == ["dist/shop/docker/web/Dockerfile"], files
    web = world.remote.file(f"refs/heads/{BRANCH}", "dist/shop/docker/web/Dockerfile") or ""
    assert f"{mirror}/library/golang:1.24.0-bookworm@{moved}" in web
    assert moved in pull["body"]

    merged = world.merge(BRANCH)
    push = world.last_push()
    assert push.after == merged and "shop-build.yaml" in world.started_by(push)
    rebuilt = world.run_push("shop-build.yaml", push)

    assert rebuilt.ok, repr(rebuilt)
    after = world.locked("shop", "dev")
    assert after["api"] == before["api"] and after["web"] != before["web"], (before, after)
    assert f"sha-{merged}" in world.tags("shop", "web") and f"sha-{merged}" not in world.tags("shop", "api")
    assert world.digest("shop", "web", f"sha-{merged}") == after["web"]
