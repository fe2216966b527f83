"""What a local run says about Knative Eventing, which it does not run: no Broker, source or Trigger exists in
compose, so a service receives no events there and has no ``K_SINK``. Its labels say so, and which events it would
send or receive in Kubernetes (one short label each, named after the Trigger), where ``docker compose config`` and
``docker inspect`` show them."""

from __future__ import annotations

from shipform import spec

LABEL = "dev.shipform.events"
NOTE = "Knative Eventing runs in Kubernetes only: compose has no Broker, delivers no event and sets no K_SINK"


def event_labels(w: spec.Workload) -> dict[str, str]:
    """The service's labels about events (none for one that neither sends nor receives any)."""
    brokers = sorted(f"{t.namespace}/{t.name}" for t in w.connects_to if not t.local)
    found = w.facet(spec.EventSubscription)
    triggers = found.triggers if found is not None else ()
    if not brokers and not triggers:
        return {}
    labels = {LABEL: NOTE}
    if brokers:
        labels[f"{LABEL}.sends-to"] = ", ".join(brokers)
    for t in triggers:
        labels[f"{LABEL}.{t.name}"] = f"Broker {t.broker}, {t.described()}"
    return labels
