"""Issue 22's scenarios ("Shown by running it"), each run the way GitHub would run it and judged by the final
state of the remote (commits, files, refs) and of the registry (tags, digests).

Every scenario is written for the release loop of RELEASE_DESIGN.md. Today's workflows fail each of them, so each
is xfail(strict=True) with the reason (issue 22's numbering); when the new workflows land, a scenario that passes
turns the suite red until its mark is removed. Assertions name only what the design fixes (file and job names are
looked up, not assumed), so they hold for the new workflows as written there.
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


@pytest.mark.xfail(strict=True, reason="issue 22, 1: both Apps' record jobs push HEAD:main without fetching; the "
                                       "second is rejected (fetch first)")
def test_one_push_with_two_apps_builds_and_records_both(world):
    push = world.last_push()
    results = world.run_started(push, only=BUILDS)
    assert sorted(results) == ["orders-build.yaml", "shop-build.yaml"]
    assert_all_ok(results)
    assert_recorded(world, "shop", push.after)
    assert_recorded(world, "orders", push.after)


@pytest.mark.xfail(strict=True, reason="issue 22, 1: the tag build's record job pushes its detached HEAD to main, "
                                       "racing the main build's; issue 22, 3: both push the version tag")
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


@pytest.mark.xfail(strict=True, reason="issue 22, 1: the record job commits on github.sha and pushes without "
                                       "fetching: a push that landed during the build rejects it")
def test_a_push_landing_during_a_build(world):
    source = world.last_push()
    docs = world.repo.docs_change()
    hooks = {"record": f"git -C {world.repo.path} push -q origin {docs}:refs/heads/main\n"}
    result = world.run_push("shop-build.yaml", source, hooks=hooks)
    assert result.ok, repr(result)
    history = [c.sha for c in world.remote.commits()]
    assert docs in history[1:], "the docs commit is not below the record commit"
    assert_recorded(world, "shop", source.after)


@pytest.mark.xfail(strict=True, reason="issue 22, 2: `git add -A` committed digests/web; after web is removed the "
                                       "stale file makes `shipform lock record` fail")
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


@pytest.mark.xfail(strict=True, reason="issue 22, 5: with nothing new to promote the job fails (nothing to commit)")
def test_a_promotion_with_nothing_new(world):
    seed_dev(world, release.workflow_identity(world.full_name, world.workflow("shop-build*")), promote=True)
    head = world.remote.head()
    result = promote(world)
    assert result.ok, repr(result)
    assert world.remote.head() == head
    assert not world.remote.refs("refs/heads/promote") and not world.remote.pulls()


@pytest.mark.xfail(strict=True, reason="issue 22, 5: the promotion verifies nothing before writing dev's digests "
                                       "into prod")
def test_a_promotion_whose_digest_has_a_bad_signature_is_refused(world):
    world.remote.settings(actions_can_create_pull_requests=True)
    # Signed by the build workflow, but of a branch that is not main: not an identity the promotion may accept.
    seed_dev(world, release.workflow_identity(world.full_name, world.workflow("shop-build*"), "refs/heads/feature"))
    head = world.remote.head()
    result = promote(world)
    assert not result.ok, "the promotion accepted a digest signed by another identity"
    assert world.remote.head() == head and not world.locked("shop", "prod")
    assert not world.remote.refs("refs/heads/promote") and not world.remote.pulls()


@pytest.mark.xfail(strict=True, reason="issue 22, 4: the build does not wait for CI: a commit whose tests fail is "
                                       "built, pushed and recorded")
def test_a_failing_ci_builds_nothing(world):
    world.repo.break_tests()
    world.repo.push()
    push = world.last_push()
    results = world.run_started(push, only="shop-build.yaml")  # the design runs CI inside the build
    assert results and not all(r.ok for r in results.values())
    for service in ("api", "web"):
        assert not any(push.after in tag for tag in world.tags("shop", service))
    assert world.remote.head() == push.after  # nothing recorded


@pytest.mark.xfail(strict=True, reason="issue 22, 8: no paths filter: a docs-only commit starts every build (and "
                                       "the revision label would change every digest)")
def test_a_docs_only_commit_starts_no_build(world):
    world.repo.docs_change()
    world.repo.push()
    assert [w for w in world.started_by(world.last_push()) if w.endswith("-build.yaml")] == []
