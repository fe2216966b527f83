"""The generated CI workflow, run for a pull request the way GitHub runs it (the merge commit of the branch into
main, checked out by the checkout stand-in from refs/pull/1/merge)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.act, pytest.mark.containers]


def test_ci_passes_on_a_pull_request_whose_output_is_fresh(world):
    world.repo.git("switch", "-q", "-c", "feature")
    world.repo.change_service("shop", "api", "hello again")
    result = world.run("shop-ci.yaml", "pull_request", world.pull_request("feature"))
    assert result.ok, repr(result)
    assert result.jobs == {"check": "success", "dockerfiles": "success", "config": "success",
                           "lock-trust": "success"}, repr(result)
    assert "1 passed" in result.output("check")  # the project's own tests ran


def test_ci_fails_on_a_pull_request_whose_output_is_stale(world):
    world.repo.git("switch", "-q", "-c", "feature")
    world.repo.make_stale()
    result = world.run("shop-ci.yaml", "pull_request", world.pull_request("feature"))
    assert result.job("check") == "failure", repr(result)
    assert "service-shop-api.yaml" in result.output("check"), repr(result)
