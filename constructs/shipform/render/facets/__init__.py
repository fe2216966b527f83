"""Each facet's contribution to the outputs, one module per facet type (or category), registered in
render.contributions' table here, in the order NetworkPolicy rules and planned objects follow. A new facet is one
module and one line below; a test may register its own contribution (render.contributions.register)."""

from __future__ import annotations

from shipform.render.contributions import register
from shipform.render.facets import (
    access,
    api_reader,
    certificate,
    cnpg,
    events,
    exposure,
    internet_egress,
    mesh,
    platform_clients,
    proxy_metrics,
    recommendation,
    rollout,
    scaling,
    scrape,
    serverless,
    telemetry,
)

for _facet in (exposure, scrape, platform_clients, serverless, access, telemetry, mesh, proxy_metrics, internet_egress,
               rollout, scaling, recommendation, certificate, api_reader, cnpg, events):
    register(_facet.CONTRIBUTION)
