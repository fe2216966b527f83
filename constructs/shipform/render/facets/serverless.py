"""A Knative service's network (the ServerlessRun facet): Knative's gateway receives every request (the clients'
too) and forwards it, with the activator, to queue-proxy in the pods; the autoscaler reads queue-proxy's metrics.
So those are admitted (each by its namespace and pods), and the clients and the ingress controller are not. The
gateway and the activator serve every Knative service of the cluster: a cluster-local one states, with the reason the
app accepts it, that any pod reaching them reaches it (values/reach_risks.py)."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules
from shipform.render.network_peers import pods_in, tcp

H2C = ("grpc", "kubernetes.io/h2c")


def admitted(w: spec.Workload, run: spec.ServerlessRun) -> NetworkRules:
    serving, knative = run.serving, spec.KnativeServing
    queue = knative.QUEUE_H2C_PORT if w.ports and w.ports[0].app_protocol in H2C else knative.QUEUE_PORT
    return [{"from": [pods_in(serving.gateway_namespace, serving.gateway_pods)], "ports": tcp((queue,))},
            {"from": [pods_in(serving.namespace, knative.ACTIVATOR_PODS)], "ports": tcp((queue,))},
            {"from": [pods_in(serving.namespace, knative.AUTOSCALER_PODS)],
             "ports": tcp((knative.QUEUE_METRICS_PORT,))}]


def stated(w: spec.Workload, run: spec.ServerlessRun) -> dict[str, str]:
    """A cluster-local service is reached through the shared gateway by more than its clients: the policy says so,
    with the reason the app accepts it."""
    return run.shared_gateway_annotation()


CONTRIBUTION = Contribution(spec.ServerlessRun, ingress=admitted, stated=stated, fronts=True)
