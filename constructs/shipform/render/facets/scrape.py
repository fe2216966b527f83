"""Scraping by Prometheus (the Scrape facet): a ServiceMonitor (or, without a Service, a PodMonitor) and a Grafana
dashboard, and Prometheus' pods admitted on the metrics port alone."""

from __future__ import annotations

from shipform import spec
from shipform.render import monitoring
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import pods_in, tcp
from shipform.render.running import not_long_running
from shipform.spec.plan import ObjectKey, Planned


def _scraped(w: spec.Workload) -> str | None:
    if w.facet(spec.Scrape) is None:
        return f"{w.name} is not scraped (metrics= in an Environment with monitoring=)"
    return not_long_running(w)


def _by_service(w: spec.Workload, cilium: bool) -> str | None:
    return _scraped(w) or (None if w.ports else f"{w.name} has no Service: a PodMonitor scrapes its pods")


def _by_pods(w: spec.Workload, cilium: bool) -> str | None:
    return _scraped(w) or (f"{w.name} has a Service: a ServiceMonitor scrapes it" if w.ports else None)


def _monitor(kind: str, role: str) -> Rule:
    def objects(w: spec.Workload) -> list[Planned]:
        scrape = w.facet(spec.Scrape)
        assert scrape is not None
        return [Planned(ObjectKey(role, monitoring.API, kind, w.name, w.namespace), monitoring.monitor_labels(
            w, scrape), lambda: {"spec": monitoring.monitor_spec(w, scrape, kind)})]
    return Rule(role, _by_pods if kind == "PodMonitor" else _by_service, objects=objects)


def _dashboard(w: spec.Workload) -> list[Planned]:
    """The service's Grafana dashboard, as a ConfigMap the Grafana sidecar loads."""
    scrape = w.facet(spec.Scrape)
    assert scrape is not None
    return [Planned(ObjectKey("dashboard", "v1", "ConfigMap", f"{w.name}-dashboard", w.namespace),
                    {**w.labels, **monitoring.DASHBOARD_LABEL}, lambda: {"data": monitoring.dashboard(w, scrape)})]


def admitted(w: spec.Workload, scrape: spec.Scrape) -> NetworkRules:
    """Prometheus' pods in their namespace, on the metrics port alone."""
    return [{"from": [pods_in(scrape.monitoring.namespace, scrape.monitoring.pods)], "ports": tcp((scrape.port,))}]


CONTRIBUTION = Contribution(
    spec.Scrape,
    rules=(_monitor("PodMonitor", "pod-monitor"), _monitor("ServiceMonitor", "service-monitor"),
           Rule("dashboard", _by_service, objects=_dashboard)),
    ingress=admitted)
