"""The generated build workflow, run for a push to main the way GitHub runs it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.act, pytest.mark.containers]


def test_build_pushes_images_and_records_their_digests(world):
    push = world.last_push()
    result = world.run_push("shop-build.yaml", push)
    assert result.ok, repr(result)
