"""A Knative service's network (the ServerlessRun facet): Knative's gateway receives every request (the clients'
too) and forwards it, with the activator, to queue-proxy in the pods; the autoscaler reads queue-proxy's metrics.
So those are admitted, and the clients and the ingress controller are not."""

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


CONTRIBUTION = Contribution(spec.ServerlessRun, ingress=admitted, fronts=True)
