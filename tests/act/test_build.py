"""The generated build workflow, run for a push to main the way GitHub runs it: one build of the shop App,
looked at from every side (the run, the registry, the signatures, the record commit, what that commit starts).

It builds after the CI workflow it calls passes, pushes ``sha-<commit>`` only, and records on main a commit
holding only the lock and the App's output, which starts no workflow (issue 22, 1-3)."""

from __future__ import annotations

import pytest

from act import release
from act.world import World

pytestmark = [pytest.mark.act, pytest.mark.containers]

IMAGES = ("api", "web")


@pytest.fixture(scope="module")
def built(tmp_path_factory, machine):
    """A world whose first push to main (both Apps and their output) was built by shop-build.yaml."""
    world = World(tmp_path_factory.mktemp("built"), machine)
    source = world.last_push()
    return world, source, world.run_push("shop-build.yaml", source)


def identity(world: World, ref: str = "refs/heads/main") -> str:
    return release.workflow_identity(world.full_name, "shop-build.yaml", ref)


def test_the_build_succeeds(built):
    _, _, result = built
    assert result.ok, repr(result)
    assert result.job("image") == "success" and result.job("record") == "success", repr(result)


def test_each_image_is_pushed_tagged_with_its_commit(built):
    world, source, _ = built
    for image in IMAGES:
        assert f"sha-{source.after}" in world.tags("shop", image)


def test_the_record_commit_pins_dev_to_the_pushed_digests(built):
    world, source, _ = built
    record = world.remote.commits(since=source.after)
    assert len(record) == 1 and source.after in record[0].subject, record
    pushed = {image: world.digest("shop", image, f"sha-{source.after}") for image in IMAGES}
    assert world.locked("shop", "dev") == pushed
    deployment = world.remote.file("refs/heads/main", "dist/shop/k8s/dev/deployment-shop-api.yaml") or ""
    assert f"@{pushed['api']}" in deployment
    assert world.last_push().pusher == "github-token"


def test_each_pushed_digest_is_signed_by_the_build_workflow(built):
    world, source, result = built
    for image in IMAGES:
        digest = world.digest("shop", image, f"sha-{source.after}")
        reference = f"{world.namespace}/shop-{image}@{digest}"
        verified = release.cosign(world.machine.sigstore, "verify", "--certificate-identity", identity(world),
                                  "--certificate-oidc-issuer", release.ISSUER, reference)
        # On failure, what the registry holds for the digest and what the image jobs printed say which side lost it.
        held = world.registry.referrers(world.image("shop", image), str(digest))
        assert verified.returncode == 0, (verified.stderr, held, result.output("image")[-4000:])
        other = release.cosign(world.machine.sigstore, "verify", "--certificate-identity",
                               identity(world, "refs/heads/feature"), "--certificate-oidc-issuer", release.ISSUER,
                               reference)
        assert other.returncode == 1 and "none of the expected identities matched" in other.stderr


def test_provenance_of_a_private_repository_verifies_against_githubs_sigstore_root(built, tmp_path):
    """actions/attest signs with GitHub's own Sigstore instance in a private repository: cosign verifies the
    provenance only with GitHub's trusted root (``gh attestation trusted-root``), and actions/attest writes SLSA
    v1, which is cosign's type 'slsaprovenance1' ('slsaprovenance' means v0.2)."""
    world, source, _ = built
    reference = f"{world.namespace}/shop-api@{world.digest('shop', 'api', f'sha-{source.after}')}"
    root = tmp_path / "trusted_root.jsonl"
    root.write_text(release.sigstore.Trust(world.machine.sigstore).trusted_root_json())
    policy = ["--certificate-identity", identity(world), "--certificate-oidc-issuer", release.ISSUER]

    def verify(*args: str):
        return release.cosign(world.machine.sigstore, "verify-attestation", *policy, *args, reference)

    assert verify("--type", "slsaprovenance1", "--trusted-root", str(root)).returncode == 0
    assert "certificate signed by unknown authority" in verify("--type", "slsaprovenance1").stderr
    assert "none of the attestations matched the predicate type" in verify(
        "--type", "slsaprovenance", "--trusted-root", str(root)).stderr


def test_the_record_commit_changes_only_the_lock_and_the_apps_output(built):
    world, source, _ = built
    record = world.remote.commits(since=source.after)[0]
    assert record.files and all(f == "apps/shop/shipform.lock.json" or f.startswith("dist/shop/")
                                for f in record.files), record.files


def test_a_branch_build_pushes_the_commit_tag_only(built):
    world, source, _ = built
    for image in IMAGES:
        assert world.tags("shop", image) == [f"sha-{source.after}"]


def test_the_record_commit_starts_no_workflow_even_with_a_token_that_starts_them(built):
    world, _, _ = built
    record = world.last_push()
    assert world.started_by(record) == []  # pushed with GITHUB_TOKEN: GitHub starts nothing
    assert world.started_by(record, actor="app") == []
