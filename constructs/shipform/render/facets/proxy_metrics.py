"""The mesh sidecar's metrics (the ProxyMetrics facet): a PodMonitor of the workload's pods on the port its mesh's
sidecar serves them on, and Prometheus' pods admitted there alone. The app's own metrics stay with its Scrape facet:
the sidecar's port carries the mesh's view (requests, latencies and mutual TLS between workloads), never the app's
again."""

from __future__ import annotations

from shipform import spec
from shipform.render import monitoring
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import pods_in, tcp_numbers
from shipform.render.running import not_long_running
from shipform.spec.plan import ObjectKey, Planned

SUFFIX = "-mesh-proxy"


def _scraped(w: spec.Workload, cilium: bool) -> str | None:
    if w.facet(spec.ProxyMetrics) is None:
        return not_long_running(w) or f"{w.name} has no sidecar Prometheus scrapes (a mesh and monitoring= in its " \
            "Environment)"
    return None


def _monitor(w: spec.Workload) -> list[Planned]:
    proxy = w.facet(spec.ProxyMetrics)
    assert proxy is not None
    labels = {**w.labels, **dict(proxy.monitoring.labels)}
    endpoint = {"port": proxy.port.name, "path": proxy.port.path, "interval": proxy.interval, "scheme": "http"}
    return [Planned(ObjectKey("mesh-proxy-monitor", monitoring.API, "PodMonitor", w.name + SUFFIX, w.namespace),
                    labels, lambda: {"spec": {"selector": {"matchLabels": w.selector},
                                              "podMetricsEndpoints": [endpoint]}})]


def admitted(w: spec.Workload, proxy: spec.ProxyMetrics) -> NetworkRules:
    """Prometheus' pods in their namespace, on the sidecar's metrics port alone."""
    return [{"from": [pods_in(proxy.monitoring.namespace, proxy.monitoring.pods)],
             "ports": tcp_numbers((proxy.port.number,))}]


CONTRIBUTION = Contribution(spec.ProxyMetrics, rules=(Rule("mesh-proxy-monitor", _scraped, objects=_monitor),),
                            ingress=admitted)
