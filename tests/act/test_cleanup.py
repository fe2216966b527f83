"""The generated cleanup workflow (``App(keep_images_days=30)``), run under act against the loopback registry
(distribution 2.8, deletes enabled, no referrers API: signatures and attestations sit in the index at the fallback
tag ``sha256-<hex>``). shop's api repository holds sha- tags of commits 90 days old (one named by dev's lock entry,
one by prod's, one by the ``built`` entry, one sharing its digest with the version tag, three unused, two of them
signed and attested), one of a commit a day old, and a signed referenced one; shop's web repository was never
pushed. A run started by hand deletes nothing; the scheduled run deletes exactly the unused old tags and their
referrers, and keeps every referenced tag. The same scheduled run on GHCR deletes through GitHub's packages API
(the gh stand-in serves it over the loopback registry, which stands in for ghcr.io/acme in that world)."""

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


def plant(world: World, repository: str) -> dict[str, tuple[str, str]]:
    """The tags above in shop's api repository, and main's lock naming some of them as ``repository`` (the name
    the App gives it); {name: (tag, digest)}."""
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
    lock = json.loads((world.repo.path / LOCK).read_text()) if (world.repo.path / LOCK).exists() else {}
    lock["built"] = {repository: {"digest": images["built"][1], "inputs": "x", "revision": "y"}}
    lock["environments"] = {env: {f"{repository}:1.0.0": images[env][1]} for env in ("dev", "prod")}
    (world.repo.path / LOCK).write_text(json.dumps(lock, indent=2) + "\n")
    world.repo.commit("Record dev and prod")
    world.repo.push()
    return images


def keep_images(world: World, registry: str | None = None) -> None:
    """shop keeps unused images 30 days (and pushes to ``registry``, when given)."""
    app = world.repo.path / "apps" / "shop" / "app.py"
    text = app.read_text().replace('.git")', '.git", keep_images_days=30)', 1)
    if registry is not None:
        text = text.replace(f'registry="{world.namespace}"', f'registry="{registry}"', 1)
    app.write_text(text)
    world.repo.synth()
    world.repo.commit("shop: delete unused images after 30 days")


@pytest.fixture(scope="module")
def planted(tmp_path_factory, machine):
    """A world whose shop keeps unused images 30 days, with the tags above pushed and the lock on main naming
    some of them; {name: (tag, digest)}."""
    world = World(tmp_path_factory.mktemp("cleanup"), machine)
    keep_images(world)
    return world, plant(world, f"{world.namespace}/shop-api")


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


@pytest.fixture(scope="module")
def on_ghcr(tmp_path_factory, machine):
    """The same, with shop's registry ghcr.io/acme: the loopback namespace stands in for it (skopeo through a
    registries.conf of this world's own, gh's packages API and docker/login-action through ``STANDIN_GHCR``);
    (world, images, the scheduled run)."""
    world = World(tmp_path_factory.mktemp("cleanup-ghcr"), machine)
    keep_images(world, "ghcr.io/acme")
    images = plant(world, "ghcr.io/acme/shop-api")
    conf = world.root / "registries.conf"
    host = world.registry.host
    conf.write_text(f'[[registry]]\nlocation = "{host}"\ninsecure = true\n\n'
                    f'[[registry]]\nprefix = "ghcr.io/acme"\nlocation = "{world.namespace}"\ninsecure = true\n')
    world.extra_env = {"CONTAINERS_REGISTRIES_CONF": str(conf), "STANDIN_GHCR": f"ghcr.io/acme={world.namespace}"}
    run = world.run(world.workflow("shop-cleanup.yaml"), "schedule",
                    events.schedule(world.full_name, SCHEDULE, visibility=world.visibility))
    return world, images, run


def test_on_ghcr_the_packages_api_deletes_the_same(on_ghcr):
    world, images, run = on_ghcr
    assert run.ok, repr(run)
    api = world.image("shop", "api")
    kept = {images[n][0] for n in ("dev", "prod", "built", "released", "young")} | {"1.0.0"}
    assert set(world.tags("shop", "api")) == kept
    assert len(world.registry.referrers(api, images["dev"][1])) == 2
    for name in ("signed", "attested", "plain"):
        assert world.registry.manifest(api, images[name][1]) is None
        assert fallback_tag(images[name][1]) not in world.registry.tags(api)
    out = run.output("cleanup")
    assert f"ghcr.io/acme/shop-api:{images['plain'][0]} deleted: no lock entry names its digest" in out
    assert "ghcr.io/acme/shop-web: nothing pushed yet" in out
