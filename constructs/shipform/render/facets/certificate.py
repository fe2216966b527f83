"""A database's certificate (the ServerCertificate facet): a cert-manager Certificate in its namespace that writes
the Secret the server mounts (tls.crt, tls.key, ca.crt), for every name its clients reach it by."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.contributions import Contribution, Rule
from shipform.spec.plan import ObjectKey, Planned

API = "cert-manager.io/v1"
DURATION = "2160h"
"""90 days, cert-manager's own default, stated so a reader sees it."""
RENEW_BEFORE = "720h"
"""30 days before it expires: a failing renewal has weeks to be noticed (cert-manager's default is a third)."""


def _absent(w: spec.Workload, cilium: bool) -> str | None:
    if w.facet(spec.ServerCertificate) is None:
        return f"{w.name} issues no certificate (a database outside a mesh in an Environment that is not local does)"
    return None


def certificate_spec(cert: spec.ServerCertificate) -> dict[str, Any]:
    """A server certificate only (no client auth, no CA, no common name: clients check the DNS names): an ECDSA
    P-256 key in PKCS#8 (which every engine's OpenSSL reads), made anew at each renewal so a leaked key dies with its
    certificate."""
    kind, name, group = cert.issuer
    return {
        "secretName": cert.secret,
        "dnsNames": list(cert.dns_names),
        "usages": ["server auth", "digital signature"],
        "privateKey": {"algorithm": "ECDSA", "size": 256, "encoding": "PKCS8", "rotationPolicy": "Always"},
        "duration": DURATION,
        "renewBefore": RENEW_BEFORE,
        "issuerRef": {"name": name, "kind": kind, "group": group},
    }


def _objects(w: spec.Workload) -> list[Planned]:
    cert = w.facet(spec.ServerCertificate)
    assert cert is not None
    return [Planned(ObjectKey("certificate", API, "Certificate", cert.secret, w.namespace), w.labels,
                    lambda: {"spec": certificate_spec(cert)})]


CONTRIBUTION = Contribution(spec.ServerCertificate, rules=(Rule("certificate", _absent, objects=_objects),))
