"""What a local run says about Knative Eventing, which it does not run: no Broker, source or Trigger exists in
compose, so a service receives no events there and has no ``K_SINK``. Its labels say which events it would send or
receive in Kubernetes, so the gap is written where ``docker compose config`` and ``docker inspect`` show it."""

from __future__ import annotations

from shipform import spec

SENDS = "dev.shipform.events.sends"
RECEIVES = "dev.shipform.events.receives"


def event_labels(w: spec.Workload) -> dict[str, str]:
    """The service's labels about events (none for one that neither sends nor receives any)."""
    labels: dict[str, str] = {}
    brokers = sorted(f"{t.namespace}/{t.name}" for t in w.connects_to if not t.local)
    if brokers:
        labels[SENDS] = (f"in Kubernetes only, to Broker {', '.join(brokers)} at K_SINK; compose runs no broker and "
                         "sets no K_SINK")
    found = w.facet(spec.EventSubscription)
    if found is not None:
        each = "; ".join(f"Broker {t.broker} " + " ".join(f"{k}={v}" for k, v in t.attributes) for t in found.triggers)
        labels[RECEIVES] = f"in Kubernetes only (Knative Eventing Triggers): {each}; none arrive in compose"
    return labels
