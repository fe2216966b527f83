"""The generated patch workflow (``<app>-patch.yaml``), run as GitHub runs a ``schedule`` event on the default branch,
against the loopback registry: a third-party image the shop App runs (a tiny image served by that registry,
locked by ``shipform lock``) stays put, moves its tag, or carries a planted critical finding (the trivy stand-in's
marker; see standins/aquasecurity/trivy-action/README.md).

Judged by the final state: the remote's branches and pull requests, the lock file on them, and what the summary
says. The App's credentials are given (the pull request's own CI then runs on GitHub; here nothing starts)."""

from __future__ import annotations

import pytest

from act import events, release
from act.tools.trivy import PLANTED_MARKER
from act.world import World

pytestmark = [pytest.mark.act, pytest.mark.containers]

WORKFLOW = "shop-patch.yaml"
BRANCH = "shipform/patch-shop"


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


def test_nothing_moved_opens_nothing_and_a_planted_critical_fails_the_rescan(world):
    """(a) nothing moved: no branch, no pull request; (c) the image with the planted finding fails its scan, the
    other is still scanned, and the summary names both with their results."""
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


def test_a_moved_tag_gives_one_pull_request_that_the_next_run_updates(world):
    """(b) the vendor moves the tag: one pull request from shipform/patch-shop whose lock differs from main's in
    exactly that image's entries (both Environments run it), with the lines `shipform lock` printed and the
    scan summary; it moves again: the same pull request, updated, and no second one."""
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
