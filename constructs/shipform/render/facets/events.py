"""A service's Knative Eventing subscriptions (the EventSubscription facet): a Trigger per set of CloudEvents
attributes on its Broker, in its namespace. The Broker's filter pods deliver each event: to a Knative service through
Knative's gateway (its pods admit the gateway and the activator already), to any other service on its main port
directly, which its NetworkPolicy then admits from those pods alone."""

from __future__ import annotations

from functools import partial
from typing import Any

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import pods_in, tcp
from shipform.spec.plan import ObjectKey, Planned

API = "eventing.knative.dev/v1"
KNATIVE_SERVICE = "serving.knative.dev/v1"


def _absent(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.EventSubscription) is not None else f"{w.name} receives no events (events=)"


def subscriber(w: spec.Workload) -> dict[str, Any]:
    """The Knative Service by reference; any other service by the URL of its Service's main port (a reference to a
    Kubernetes Service resolves to port 80, which it may not serve)."""
    if w.facet(spec.ServerlessRun) is not None:
        return {"ref": {"apiVersion": KNATIVE_SERVICE, "kind": "Service", "name": w.name}}
    return {"uri": f"http://{w.name}.{w.namespace}.svc.cluster.local:{w.ports[0].number}"}


def _objects(w: spec.Workload) -> list[Planned]:
    found = w.facet(spec.EventSubscription)
    assert found is not None
    return [Planned(ObjectKey("trigger", API, "Trigger", t.name, w.namespace), w.labels, partial(_trigger, w, t))
            for t in found.triggers]


def _trigger(w: spec.Workload, trigger: spec.Trigger) -> dict[str, Any]:
    """Every attribute must equal (an exact filter): the subscriber gets these events and no others."""
    return {"spec": {"broker": trigger.broker, "filter": {"attributes": dict(trigger.attributes)},
                     "subscriber": subscriber(w)}}


def admitted(w: spec.Workload, found: spec.EventSubscription) -> NetworkRules:
    """The broker filter pods, on the main port, where they reach the pods themselves (not through Knative)."""
    if w.facet(spec.ServerlessRun) is not None:
        return []
    return [{"from": [pods_in(found.plane.namespace, found.plane.FILTER_PODS)], "ports": tcp(w.ports[:1])}]


CONTRIBUTION = Contribution(spec.EventSubscription, rules=(Rule("trigger", _absent, objects=_objects),),
                            ingress=admitted)
