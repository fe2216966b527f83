"""Issue 22's scenarios ("Shown by running it"), each run the way GitHub would run it and judged by the final
state of the remote (commits, files, refs) and of the registry (tags, digests).

Each scenario was first written, xfail(strict=True), against the workflows issue 22 describes, and failed there
for the reason issue 22 gives (its numbering is in the comments and docstrings); the release loop of
docs/release-loop.md passes all of them. Assertions name only what the design fixes (file and job names are
looked up, not assumed).
"""

from __future__ import annotations

import pytest

from act import release
from act.world import World

pytestmark = [pytest.mark.act, pytest.mark.containers]

BUILDS = "*-build.yaml"


def assert_recorded(world: World, app: str, source: str, env: str = "dev") -> None:
    """main's lock pins ``env`` to digests the registry has for ``source``'s images, and the record commit
    names the source commit."""
    locked = world.locked(app, env)
    assert locked, f"nothing recorded for {app}/{env} on main"
    for service, digest in locked.items():
        assert digest in {world.digest(app, service, tag) for tag in world.tags(app, service)}, (service, digest)
    assert any(source in c.subject or source in world.remote.message(c.sha)
               for c in world.remote.commits()[:5]), "no record commit names the source commit"


def assert_all_ok(results: dict) -> None:
    failed = {name: result for name, result in results.items() if not result.ok}
    assert not failed, "\n\n".join(repr(r) for r in failed.values())


def test_one_push_with_two_apps_builds_and_records_both(world):
    push = world.last_push()
    results = world.run_started(push, only=BUILDS)
    assert sorted(results) == ["orders-build.yaml", "shop-build.yaml"]
    assert_all_ok(results)
    assert_recorded(world, "shop", push.after)
    assert_recorded(world, "orders", push.after)


def test_a_tag_build_and_a_main_build_of_the_same_commit(world):
    world.repo.tag("v1.0.0")
    world.repo.push("v1.0.0")
    main, tag = world.last_push(), world.last_push("refs/tags/v1.0.0")
    assert "shop-build.yaml" in world.started_by(tag)
    for_tag, for_main = world.run_together([("shop-build.yaml", tag), ("shop-build.yaml", main)])
    assert_all_ok({"for the tag": for_tag, "for main": for_main})
    assert_recorded(world, "shop", main.after)
    for service in ("api", "web"):
        tags = world.tags("shop", service)
        assert "1.0.0" in tags and f"sha-{main.after}" in tags, tags


def test_a_push_landing_during_a_build(world):
    source = world.last_push()
    docs = world.repo.docs_change()
    hooks = {"record": f"git -C {world.repo.path} push -q origin {docs}:refs/heads/main\n"}
    result = world.run_push("shop-build.yaml", source, hooks=hooks)
    assert result.ok, repr(result)
    history = [c.sha for c in world.remote.commits()]
    assert docs in history[1:], "the docs commit is not below the record commit"
    assert_recorded(world, "shop", source.after)


def test_a_removed_service(world):
    first = world.last_push()
    assert_all_ok(world.run_started(first, only="shop-build.yaml"))
    world.repo.pull()
    world.repo.remove_service("shop", "web")
    world.repo.push()
    second = world.last_push()
    assert_all_ok(world.run_started(second, only="shop-build.yaml"))
    assert set(world.locked("shop", "dev")) == {"api"}
    assert not [f for f in world.remote.files("refs/heads/main", "dist/shop/") if "shop-web" in f]


def seed_dev(world: World, identity: str, promote: bool = False) -> dict[str, str]:
    """Record in dev (and in prod too when ``promote``) digests of tiny images signed and attested by
    ``identity``, as a developer committing the lock would; {service: digest}."""
    digests = {}
    authority = "public-good" if world.visibility == "public" else "github"
    for service in ("api", "web"):
        repository = world.image("shop", service)
        digest = release.push_tiny_image(world.registry, repository, "seed", f"{service} {identity}".encode())
        release.sign(world.machine.sigstore, world.registry, repository, digest, identity)
        release.attest(world.machine.sigstore, world.registry, repository, digest, identity, authority)
        digests[service] = digest
    images = [f"{world.namespace}/shop-{s}:1.0.0@{d}" for s, d in digests.items()]
    world.repo.shipform("lock", "record", "apps/shop/app.py", "--env", "dev", *images)
    if promote:
        world.repo.shipform("promote", "apps/shop/app.py", "--from", "dev", "--to", "prod")
    world.repo.synth()
    world.repo.commit("Record images for dev" + (" and prod" if promote else ""))
    world.repo.push()
    return digests


def promote(world: World):
    workflow = world.workflow("shop-promote*")
    variables, secrets = world.app_credentials()
    return world.run(workflow, "workflow_dispatch", world.dispatch_payload(), variables=variables, secrets=secrets)


def test_a_promotion_with_nothing_new(world):
    seed_dev(world, release.workflow_identity(world.full_name, world.workflow("shop-build*")), promote=True)
    head = world.remote.head()
    result = promote(world)
    assert result.ok, repr(result)
    assert world.remote.head() == head
    assert not world.remote.refs("refs/heads/promote") and not world.remote.pulls()


def test_a_promotion_whose_digest_has_a_bad_signature_is_refused(world):
    world.remote.settings(actions_can_create_pull_requests=True)
    # Signed by the build workflow, but of a branch that is not main: not an identity the promotion may accept.
    seed_dev(world, release.workflow_identity(world.full_name, world.workflow("shop-build*"), "refs/heads/feature"))
    head = world.remote.head()
    result = promote(world)
    assert not result.ok, "the promotion accepted a digest signed by another identity"
    assert "none of the expected identities matched" in result.output("promote"), repr(result)
    assert world.remote.head() == head and not world.locked("shop", "prod")
    assert not world.remote.refs("refs/heads/promote") and not world.remote.pulls()


def test_a_failing_ci_builds_nothing(world):
    world.repo.break_tests()
    world.repo.change_service("shop", "api", "never shipped")  # an input of the build: its paths start it
    world.repo.push()
    push = world.last_push()
    results = world.run_started(push, only="shop-build.yaml")  # the design runs CI inside the build
    assert results and not all(r.ok for r in results.values())
    for service in ("api", "web"):
        assert not any(push.after in tag for tag in world.tags("shop", service))
    assert world.remote.head() == push.after  # nothing recorded


def test_a_docs_only_commit_starts_no_build(world):
    world.repo.docs_change()
    world.repo.push()
    assert [w for w in world.started_by(world.last_push()) if w.endswith("-build.yaml")] == []


def test_a_commit_that_leaves_the_images_inputs_alone_rebuilds_nothing(world):
    """Issue 22, 8: a commit in the App's folder that changes no image's inputs starts the build (its paths
    match), which pushes nothing and changes no digest: each image is found in the lock with the same inputs."""
    first = world.last_push()
    assert_all_ok(world.run_started(first, only="shop-build.yaml"))
    recorded, head = world.locked("shop", "dev"), world.remote.head()
    tags = {service: world.tags("shop", service) for service in ("api", "web")}
    world.repo.pull()
    with (world.repo.path / "apps" / "shop" / "app.py").open("a") as app:
        app.write("# the shop App\n")
    world.repo.commit("shop: a comment")
    world.repo.push()
    second = world.last_push()
    results = world.run_started(second, only="shop-build.yaml")
    assert list(results) == ["shop-build.yaml"]
    assert_all_ok(results)
    assert world.locked("shop", "dev") == recorded
    assert {service: world.tags("shop", service) for service in ("api", "web")} == tags  # nothing pushed
    assert world.remote.head() == second.after != head  # nothing to record


def test_a_record_commit_starts_no_build(world):
    """Issue 22, 1: with a token that starts workflows (the App's, which a protected main needs), the record
    commit of each build must not start another build: settling the push runs one round of builds only."""
    world.remote.settings(protected=["main"], bypass=["app"])
    variables, secrets = world.app_credentials()
    source = world.last_push()
    history = world.settle(source, only=BUILDS, variables=variables, secrets=secrets)
    assert len(history) == 1 and sorted(history[0]) == ["orders-build.yaml", "shop-build.yaml"], history
    assert_all_ok(history[0])
    records = [p for p in world.remote.pushes() if p.ref == "refs/heads/main" and p.pusher == "app"]
    assert len(records) == 2, world.remote.pushes()
    for record in records:
        assert world.started_by(record) == [], record
    assert_recorded(world, "shop", source.after)
    assert_recorded(world, "orders", source.after)
