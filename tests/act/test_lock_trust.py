"""CI's lock trust job (``shop: lock trust`` in ``shop-ci.yaml``), run for pull requests after a build recorded
real signed digests in dev: a lock whose digests are the build's passes; a lock with one digest changed by one hex
character, and another replaced by a digest that exists in the registry but was signed by another identity, fails
naming both images, in one run, although the pull request re-synthesized its output (the output check passes).

Three runs: the build (which records the digests; its call of CI checks the lock it starts from), the untouched
pull request and the tampered one."""

from __future__ import annotations

import json

import pytest

from act import release
from act.world import World

pytestmark = [pytest.mark.act, pytest.mark.containers]

LOCK = release.lock_file("shop")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, machine) -> World:
    """A world whose main holds the digests shop-build.yaml pushed, signed and recorded in dev."""
    world = World(tmp_path_factory.mktemp("lock-trust"), machine)
    build = world.run_push("shop-build.yaml", world.last_push())
    assert build.ok, repr(build)
    assert build.job("lock-trust") == "success", repr(build)  # the build's own CI checks the lock too
    world.repo.pull()
    assert set(world.locked("shop", "dev")) == {"api", "web"}
    return world


def one_character_off(digest: str) -> str:
    return digest[:-1] + ("0" if digest[-1] != "0" else "1")


def edit_dev(world: World, edits: dict[str, str]) -> dict[str, str]:
    """Replace dev's digest of each service in ``edits`` ({service: new digest}) in the clone's lock file, as a
    hand edit would; {service: the image reference as the lock names it}."""
    path = world.repo.path / LOCK
    lock = json.loads(path.read_text())
    named = {}
    for image in lock["environments"]["dev"]:
        service = image.rsplit("/", 1)[-1].split(":")[0].removeprefix("shop-")
        if service in edits:
            lock["environments"]["dev"][image] = edits[service]
            named[service] = image
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return named


def reported(result, text: str) -> bool:
    """Whether the lock trust job printed ``text`` (act may take ``::error::`` lines as commands: the full log
    too)."""
    return text in result.output("lock-trust") or text in result.log


def test_a_lock_of_the_builds_digests_passes(recorded):
    world = recorded
    world.repo.git("switch", "-q", "-c", "docs", "main")
    world.repo.docs_change()
    result = world.run("shop-ci.yaml", "pull_request", world.pull_request("docs", 1))
    assert result.ok, repr(result)
    assert result.job("lock-trust") == "success", repr(result)
    for service, digest in world.locked("shop", "dev").items():
        assert reported(result, f"shop-{service}"), result.output("lock-trust")
        assert reported(result, f"@{digest} (Environment dev): exists, signed by .github/workflows/shop-build.yaml")


@pytest.fixture(scope="module")
def tampered(recorded):
    """A pull request whose lock has api's dev digest one character off and web's replaced by an image in web's
    repository signed by another workflow, re-synthesized; (its CI run, {service: image}, {service: digest})."""
    world = recorded
    world.repo.git("switch", "-q", "-c", "tamper", "main")
    repository = world.image("shop", "web")
    planted = release.push_tiny_image(world.registry, repository, "planted", b"not built here")
    release.sign(world.machine.sigstore, world.registry, repository, planted,
                 release.workflow_identity(world.full_name, "other.yaml"))
    digests = {"api": one_character_off(world.locked("shop", "dev")["api"]), "web": planted}
    images = edit_dev(world, digests)
    world.repo.synth()  # the output pins the new digests: synth --check passes
    world.repo.commit("Deploy other digests to dev")
    return world.run("shop-ci.yaml", "pull_request", world.pull_request("tamper", 2)), images, digests


def test_the_output_check_passes_on_the_tampered_lock(tampered):
    result, _, _ = tampered
    assert result.job("check") == "success", repr(result)  # only the lock trust job stands in the way


def test_a_digest_one_character_off_fails_naming_its_image(tampered):
    result, images, digests = tampered
    assert result.job("lock-trust") == "failure", repr(result)
    assert reported(result, f"{images['api']}@{digests['api']} (Environment dev of {LOCK}) does not exist in its "
                    "registry"), result.output("lock-trust")
    assert reported(result, "Fix: restore the digest shop's build recorded")


def test_a_digest_signed_by_another_identity_fails_in_the_same_run(tampered):
    result, images, digests = tampered
    assert reported(result, f"{images['web']}@{digests['web']} (Environment dev of {LOCK}) is not signed by "
                    ".github/workflows/shop-build.yaml"), result.output("lock-trust")
    # dev's two entries and the built section's two (the build's own digests) were all read: two are bad
    assert reported(result, "2 of 4 digest(s)"), result.output("lock-trust")
