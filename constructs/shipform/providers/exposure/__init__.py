"""Exposure: what publishes a public service. Each is a provider
(:class:`~shipform.providers.exposure.protocol.ExposureProvider`) registered in :data:`EXPOSURES`; an Environment
picks one by ``gateway=`` (the Gateway API) or by its ``ingress_class`` (the provider that claims the class, else a
plain Ingress of it)."""

from __future__ import annotations

from shipform.providers.exposure.gateway import GATEWAY
from shipform.providers.exposure.ingress import INGRESS
from shipform.providers.exposure.nginx import NGINX
from shipform.providers.exposure.protocol import ExposureProvider
from shipform.providers.registry import Registry

EXPOSURES: Registry[ExposureProvider] = Registry("exposure", [INGRESS, NGINX, GATEWAY])
"""The ways shipform publishes a service, by name, in the order docs and errors list them."""


def exposure_for(ingress_class: str, gateway: str | None) -> ExposureProvider:
    """The provider an Environment publishes its public services by: the Gateway API with ``gateway``, else the
    provider that claims ``ingress_class``, else a plain Ingress of that class."""
    if gateway is not None:
        return EXPOSURES[GATEWAY.name]
    return next((p for p in EXPOSURES if p.ingress_class == ingress_class), EXPOSURES[INGRESS.name])
