"""Knative Serving objects: a Knative Service in place of a WebService's Deployment, Service and autoscaler (the
same container, in the subset of the pod spec Knative accepts), and a DomainMapping for a public one."""

from __future__ import annotations

from shipform import spec
from shipform.render import pod
from shipform.spec.manifest import Manifest

API = "serving.knative.dev/v1"
# Pod fields Knative refuses (or accepts only behind feature flags): security settings stay on the container,
# Knative spreads and stops pods itself.
_POD_FIELDS = ("serviceAccountName", "automountServiceAccountToken", "enableServiceLinks", "containers", "volumes")


def knative_service(w: spec.Workload, run: spec.ServerlessRun) -> Manifest:
    template = pod.pod_template(w)
    body = template["spec"]
    container = body["containers"][0]
    container.pop("lifecycle", None)  # Knative drains requests before it stops a pod
    main = w.ports[0]
    container["ports"] = [{"name": "h2c" if main.app_protocol in ("grpc", "kubernetes.io/h2c") else "http1",
                           "containerPort": main.number, "protocol": "TCP"}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):  # Knative probes the one port it routes
        for action in ("httpGet", "tcpSocket"):
            container.get(probe, {}).get(action, {}).pop("port", None)
    proxy = run.serving.queue_proxy
    annotations = {
        "autoscaling.knative.dev/min-scale": str(run.min), "autoscaling.knative.dev/max-scale": str(run.max),
        "autoscaling.knative.dev/target": str(run.concurrency),
        # queue-proxy, the sidecar Knative adds to every pod: the resources the namespace's quota counts for it.
        "queue.sidecar.serving.knative.dev/cpu-resource-request": str(proxy.cpu),
        "queue.sidecar.serving.knative.dev/cpu-resource-limit": str(proxy.cpu_limit),
        "queue.sidecar.serving.knative.dev/memory-resource-request": str(proxy.memory),
        "queue.sidecar.serving.knative.dev/memory-resource-limit": str(proxy.memory_limit),
    }
    revision = {"metadata": {"labels": template["metadata"]["labels"], "annotations": annotations},
                "spec": {**{k: body[k] for k in _POD_FIELDS if k in body}, "timeoutSeconds": run.timeout_seconds}}
    labels = dict(w.labels)
    if w.facet(spec.Exposure) is None:  # reachable inside the cluster only
        labels["networking.knative.dev/visibility"] = "cluster-local"
    return {"apiVersion": API, "kind": "Service",
            "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels},
            "spec": {"template": revision}}


def domain_mapping(w: spec.Workload, exposure: spec.Exposure) -> Manifest:
    """The public host, served by Knative's gateway (its certificate from Knative's external-domain TLS)."""
    return {"apiVersion": "serving.knative.dev/v1beta1", "kind": "DomainMapping",
            "metadata": {"name": exposure.host, "namespace": w.namespace, "labels": w.labels},
            "spec": {"ref": {"apiVersion": API, "kind": "Service", "name": w.name}}}
