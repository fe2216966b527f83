"""The generated cleanup workflow (``App(keep_images_days=30)``), run under act against the loopback registry
(distribution 2.8, deletes enabled, no referrers API: signatures and attestations sit in the index at the fallback
tag ``sha256-<hex>``). shop's api repository holds sha- tags of commits 90 days old (one named by dev's lock entry,
one by prod's, one by the ``built`` entry, one sharing its digest with the version tag, three unused, two of them
signed and attested), one of a commit a day old, and a signed referenced one; shop's web repository was never
pushed. A run started by hand deletes nothing; the scheduled run deletes exactly the unused old tags and their
referrers, and keeps every referenced tag."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from act import events, release
from act.oci import fallback_tag
from act.user_repo import DEVELOPER
from act.world import World
from shipform.render.workflow_cleanup import SCHEDULE

pytestmark = [pytest.mark.act, pytest.mark.containers]

OLD = {"dev": "dev", "prod": "prod", "built": "built", "released": None, "signed": None, "attested": None,
       "plain": None}
"""Commits 90 days old: the lock section that names the image built from each (None: no entry)."""
LOCK = "apps/shop/shipform.lock.json"


def commit_at(world: World, name: str, days: int) -> str:
    """An empty commit on the developer's main, committed ``days`` ago."""
    stamp = f"@{int(time.time()) - days * 86400} +0000"
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", f"build {name}"], cwd=world.repo.path, check=True,
                   env={**os.environ, **DEVELOPER, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
    return world.repo.head()


@pytest.fixture(scope="module")
def planted(tmp_path_factory, machine):
    """A world whose shop keeps unused images 30 days, with the tags above pushed and the lock on main naming
    some of them; {name: (tag, digest)}."""
    world = World(tmp_path_factory.mktemp("cleanup"), machine)
    app = world.repo.path / "apps" / "shop" / "app.py"
    app.write_text(app.read_text().replace('.git")', '.git", keep_images_days=30)', 1))
    world.repo.synth()
    world.repo.commit("shop: delete unused images after 30 days")
    api = world.image("shop", "api")
    images: dict[str, tuple[str, str]] = {}
    for name, days in [*((n, 90) for n in OLD), ("young", 1)]:
        tag = f"sha-{commit_at(world, name, days)}"
        images[name] = tag, release.push_tiny_image(world.registry, api, tag, f"image {name}".encode())
    raw, media_type = world.registry.manifest(api, images["released"][1]) or (b"", "")
    world.registry.push_manifest(api, "1.0.0", raw, media_type)  # the release of the same digest
    identity = release.workflow_identity(world.full_name, "shop-build.yaml")
    for name in ("signed", "attested", "dev"):
        release.sign(world.machine.sigstore, world.registry, api, images[name][1], identity)
        release.attest(world.machine.sigstore, world.registry, api, images[name][1], identity, "github")
    repository = f"{world.namespace}/shop-api"
    lock = json.loads((world.repo.path / LOCK).read_text()) if (world.repo.path / LOCK).exists() else {}
    lock["built"] = {repository: {"digest": images["built"][1], "inputs": "x", "revision": "y"}}
    lock["environments"] = {env: {f"{repository}:1.0.0": images[env][1]} for env in ("dev", "prod")}
    (world.repo.path / LOCK).write_text(json.dumps(lock, indent=2) + "\n")
    world.repo.commit("Record dev and prod")
    world.repo.push()
    return world, images


@pytest.fixture(scope="module")
def runs(planted):
    """A run started by hand (a dry run), then the scheduled one; what the registry held before and after each."""
    world, images = planted
    api = world.image("shop", "api")
    workflow = world.workflow("shop-cleanup.yaml")
    referrers = {n: [r["digest"] for r in world.registry.referrers(api, d)] for n, (_, d) in images.items()}
    before = world.registry.tags(api)
    dry = world.run(workflow, "workflow_dispatch", world.dispatch_payload())
    after_dry = world.registry.tags(api)
    scheduled = world.run(workflow, "schedule", events.schedule(world.full_name, SCHEDULE,
                                                                 visibility=world.visibility))
    return before, dry, after_dry, scheduled, referrers


def test_a_run_started_by_hand_deletes_nothing(planted, runs):
    _, images = planted
    before, dry, after_dry, _, _ = runs
    assert dry.ok, repr(dry)
    assert after_dry == before
    assert f":{images['plain'][0]} would be deleted: no lock entry names its digest" in dry.output("cleanup")


def test_the_schedule_deletes_exactly_the_unused_old_tags(planted, runs):
    world, images = planted
    _, _, _, scheduled, _ = runs
    assert scheduled.ok, repr(scheduled)
    kept = {images[n][0] for n in ("dev", "prod", "built", "released", "young")} | {"1.0.0"}
    assert set(world.tags("shop", "api")) == kept
    for name in ("signed", "attested", "plain"):
        assert world.registry.manifest(world.image("shop", "api"), images[name][1]) is None


def test_every_referenced_tag_and_its_signatures_stay(planted, runs):
    world, images = planted
    *_, referrers = runs
    api = world.image("shop", "api")
    for name in ("dev", "prod", "built", "released", "young"):
        tag, digest = images[name]
        assert world.digest("shop", "api", tag) == digest
    assert len(referrers["dev"]) == 2
    assert [r["digest"] for r in world.registry.referrers(api, images["dev"][1])] == referrers["dev"]


def test_the_deleted_digests_signatures_and_attestations_go_too(planted, runs):
    world, images = planted
    *_, referrers = runs
    api = world.image("shop", "api")
    for name in ("signed", "attested"):
        assert len(referrers[name]) == 2
        assert all(world.registry.manifest(api, r) is None for r in referrers[name])
        assert fallback_tag(images[name][1]) not in world.registry.tags(api)


def test_each_tag_gets_a_line_with_its_reason(planted, runs):
    world, images = planted
    *_, scheduled, _ = runs
    out = scheduled.output("cleanup")
    repository = f"{world.namespace}/shop-api"
    assert f"{repository}:{images['dev'][0]} kept: the lock names its digest" in out
    assert f"{repository}:{images['young'][0]} kept: committed 1 days ago, less than 30" in out
    assert f"{repository}:{images['released'][0]} kept: no lock entry names its digest, committed 90 days ago, " \
           "but a kept tag names the same digest" in out
    assert f"{repository}:1.0.0 kept: not a sha- tag (a version tag is never deleted)" in out
    assert f"{repository}:{images['plain'][0]} deleted: no lock entry names its digest, committed 90 days ago" in out
