"""Knative Serving: a Knative Service in place of a WebService's Deployment, Service and autoscaler (the same
container, in the subset of the pod spec Knative accepts), and a DomainMapping for a public one. Knative runs the
service itself: its own Services, routes and autoscaler."""

from __future__ import annotations

from shipform import spec
from shipform.providers.scaling.protocol import Planned
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

API = "serving.knative.dev/v1"
APPARMOR = "container.apparmor.security.beta.kubernetes.io"
# Pod fields Knative refuses (or accepts only behind feature flags): security settings stay on the container,
QUEUE_PROXY = "gcr.io/knative-releases/knative.dev/serving/cmd/queue"
"""The image of queue-proxy, the container Knative Serving adds to every pod of a Knative Service (its default
install's ``queue-sidecar-image``)."""

# Knative spreads and stops pods itself.
_POD_FIELDS = ("serviceAccountName", "automountServiceAccountToken", "enableServiceLinks", "containers", "volumes")


class Knative:
    """Knative Serving runs a WebService as a Knative Service scaled by requests in flight, to zero where asked
    (Serverless)."""

    name = "knative"
    facet = spec.ServerlessRun
    roles = ("domain-mapping",)

    def plan(self, w: spec.Workload, target: tuple[str, str]) -> list[Planned]:
        """The public host, served by Knative's gateway (its certificate from Knative's external-domain TLS)."""
        exposure = w.facet(spec.Exposure)
        if exposure is None:
            return []
        return [Planned(ObjectKey("domain-mapping", "serving.knative.dev/v1beta1", "DomainMapping", exposure.host,
                                  w.namespace), w.labels,
                        lambda: {"spec": {"ref": {"apiVersion": API, "kind": "Service", "name": w.name}}})]

    def missing(self, w: spec.Workload, role: str) -> str:
        if w.facet(spec.ServerlessRun) is None:
            return f"{w.name} is not serverless (serverless=)"
        return f"{w.name} is not public"

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        return API, "Service"

    def controller_object(self, w: spec.Workload, template: Manifest) -> Manifest:
        run = w.facet(spec.ServerlessRun)
        assert run is not None
        body = template["spec"]
        container = body["containers"][0]
        container.pop("lifecycle", None)  # Knative drains requests before it stops a pod
        # Knative refuses the appArmorProfile field; the API server reads the annotation into it (Kubernetes 1.30+).
        apparmor = {f"{APPARMOR}/{container['name']}": "runtime/default"} \
            if container.get("securityContext", {}).pop("appArmorProfile", None) else {}
        main = w.ports[0]
        container["ports"] = [{"name": "h2c" if main.app_protocol in ("grpc", "kubernetes.io/h2c") else "http1",
                               "containerPort": main.number, "protocol": "TCP"}]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):  # Knative probes the one port it routes
            for action in ("httpGet", "tcpSocket"):
                container.get(probe, {}).get(action, {}).pop("port", None)
        revision = {"metadata": {"labels": template["metadata"]["labels"],
                                 "annotations": {**_annotations(run), **apparmor}},
                    "spec": {**{k: body[k] for k in _POD_FIELDS if k in body}, "timeoutSeconds": run.timeout_seconds}}
        labels = dict(w.labels)
        if w.facet(spec.Exposure) is None:  # reachable inside the cluster only
            labels["networking.knative.dev/visibility"] = "cluster-local"
        stated = run.shared_gateway_annotation()  # who else reaches it, and why the app accepts that
        return {"apiVersion": API, "kind": "Service",
                "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels,
                             **({"annotations": stated} if stated else {})},
                "spec": {"template": revision}}

    def runs_itself(self, w: spec.Workload) -> str | None:
        return f"Knative runs {w.name} (serverless=)"


def _annotations(run: spec.ServerlessRun) -> dict[str, str]:
    proxy = run.serving.queue_proxy
    return {
        "autoscaling.knative.dev/min-scale": str(run.min), "autoscaling.knative.dev/max-scale": str(run.max),
        "autoscaling.knative.dev/target": str(run.concurrency),
        # queue-proxy, the sidecar Knative adds to every pod: the resources the namespace's quota counts for it.
        "queue.sidecar.serving.knative.dev/cpu-resource-request": str(proxy.cpu),
        "queue.sidecar.serving.knative.dev/cpu-resource-limit": str(proxy.cpu_limit),
        "queue.sidecar.serving.knative.dev/memory-resource-request": str(proxy.memory),
        "queue.sidecar.serving.knative.dev/memory-resource-limit": str(proxy.memory_limit),
    }


KNATIVE = Knative()
