"""A workload's facets are found by their type, and by their category (Scaling: whatever owns the replica count;
Rollout: whatever replaces the pods); a workload holds one of each, and the replica counts ask them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shipform import spec
from shipform.values.resources import Autoscale
from shipform.values.rollout import Canary
from unit.hand_made import EXPOSURE, make_workload

HPA = spec.Autoscaling(2, 6, Autoscale(min=2, max=6))


def test_a_facet_is_found_by_its_type_and_its_category():
    w = make_workload(facets=(EXPOSURE, HPA))
    assert w.facet(spec.Exposure) is EXPOSURE
    assert w.facet(spec.Autoscaling) is HPA and w.facet(spec.Scaling) is HPA
    assert w.facet(spec.Mesh) is None and w.facet(spec.Rollout) is None


def test_a_replaced_workload_indexes_its_new_facets():
    w = replace(make_workload(facets=(EXPOSURE,)), facets=(HPA,))
    assert w.facet(spec.Exposure) is None and w.facet(spec.Scaling) is HPA


def test_two_facets_of_one_category_are_refused():
    queue = spec.QueueScaling("redis", (), (), 0, 4)
    with pytest.raises(ValueError, match="two facets of kind Scaling"):
        make_workload(facets=(HPA, queue))


def test_replica_counts_ask_the_scaler_and_the_rollout():
    run = spec.Continuous(replicas=3)
    plain = make_workload(run=run)
    assert (spec.min_replicas(run, plain), spec.max_replicas(run, plain), spec.surge_pods(run, plain)) == (3, 3, 1)
    assert not spec.count_owned_elsewhere(plain)
    scaled = make_workload(run=run, facets=(HPA, spec.ArgoRollout(Canary())))
    assert (spec.min_replicas(run, scaled), spec.max_replicas(run, scaled)) == (2, 6)
    assert spec.surge_pods(run, scaled) == 6  # a canary at full weight: as many pods again
    assert spec.count_owned_elsewhere(scaled)
    split = make_workload(run=run, facets=(spec.CanarySplit(10, "img:1", 2),))
    assert spec.surge_pods(run, split) == 1 + 2 + 1  # its own surge, the canary's pods, the canary's surge
