"""The Ingress every Ingress flavour publishes a service by: the host, its TLS Secret, one rule to the workload's
Service on its main port. Shared by the Ingress providers of the family, which import it and their protocol, never
each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipform import spec
from shipform.spec.plan import ObjectKey, Planned

API = "networking.k8s.io/v1"


def planned_ingress(w: spec.Workload, exposure: spec.Exposure, role: str = "ingress",
                    annotations: Mapping[str, str] | None = None) -> Planned:
    """``w``'s Ingress for ``exposure.host``; ``annotations`` default to the cert-manager issuer's, if any."""
    if annotations is None and exposure.cluster_issuer:
        annotations = {"cert-manager.io/cluster-issuer": exposure.cluster_issuer}
    return Planned(ObjectKey(role, API, "Ingress", w.name, w.namespace), w.labels,
                   lambda: {"spec": _spec(w, exposure)}, annotations)


def elsewhere(w: spec.Workload, canary: bool = False) -> str:
    """Why the public ``w`` has no Ingress (or, with ``canary``, no canary Ingress): what publishes it instead."""
    exposure = w.facet(spec.Exposure)
    assert exposure is not None
    if canary and w.facet(spec.CanarySplit) is None:
        return f"{w.name} has no RoutedCanary"
    if exposure.gateway:
        what = f"the Gateway's HTTPRoute weighs {w.name}'s canary" if canary else \
            "the Environment's gateway= publishes it (an HTTPRoute)"
        return what
    return f"the {exposure.provider!r} provider publishes it" + (" and weighs its canary" if canary else "")


def _spec(w: spec.Workload, exposure: spec.Exposure) -> dict[str, Any]:
    backend = {"service": {"name": w.name, "port": {"name": w.ports[0].name}}}
    return {
        "ingressClassName": exposure.ingress_class,
        "tls": [{"hosts": [exposure.host], "secretName": exposure.tls_secret}],
        "rules": [{"host": exposure.host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": backend}]}}],
    }
