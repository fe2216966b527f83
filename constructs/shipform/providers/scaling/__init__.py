"""Scalers: what owns a workload's replica count. Each is a provider
(:class:`~shipform.providers.scaling.protocol.ScalingProvider`) registered in :data:`SCALERS`, found by the type of
the workload's :class:`~shipform.spec.facets.Scaling` facet."""

from __future__ import annotations

from shipform import spec
from shipform.providers.registry import Registry
from shipform.providers.scaling.hpa import HPA
from shipform.providers.scaling.keda import KEDA
from shipform.providers.scaling.knative import KNATIVE
from shipform.providers.scaling.protocol import ScalingProvider

SCALERS: Registry[ScalingProvider] = Registry("scaling", [HPA, KEDA, KNATIVE])
"""The scalers shipform knows, by name, in the order docs and errors list them."""


def scaler_of(w: spec.Workload) -> ScalingProvider | None:
    """The provider of the workload's Scaling facet, or None when its controller's replicas stand."""
    facet = w.facet(spec.Scaling)
    if facet is None:
        return None
    return next(p for p in SCALERS if p.facet is type(facet))
