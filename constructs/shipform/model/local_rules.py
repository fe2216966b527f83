"""Rules over a whole Environment: one public host name per Ingress (two would fight over it). compose's own
rules for the local Environment are render.compose_rules'."""

from __future__ import annotations

from shipform import spec
from shipform.errors import ShipformError


def environment_errors(env: spec.Environment) -> list[ShipformError]:
    first: dict[str, spec.Workload] = {}
    errors = []
    for w in env.workloads:
        exposure = w.facet(spec.Exposure)
        if exposure is None:
            continue
        other = first.setdefault(exposure.host, w)
        if other is not w:
            errors.append(ShipformError(w.path, "host", f"is also the host of {other.path}: two Ingresses would "
                                        "claim it", exposure.host, "give each public service its own host"))
    return errors
