"""The generated CI workflow, run for a pull request the way GitHub runs it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.act, pytest.mark.containers]


def test_ci_passes_on_a_pull_request_whose_output_is_fresh(world):
    world.repo.git("switch", "-q", "-c", "feature")
    world.repo.change_service("shop", "api", "hello again")
    result = world.run("shop-ci.yaml", "pull_request", world.pull_request("feature"))
    assert result.ok, result
    assert result.jobs == {"check": "success", "dockerfiles": "success", "config": "success"}, result
