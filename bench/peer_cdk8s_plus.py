"""The peer: cdk8s-plus-33 driven from Python, building N web services in one chart (one Environment),
Kubernetes YAML only. Per service a Deployment (HTTP readiness and liveness probes, CPU and memory requests
and limits), a Service, an Ingress and a HorizontalPodAutoscaler on CPU (3 to 10 replicas): 4 objects, where
shipform writes a dozen files per web service per Environment plus Dockerfiles, compose and workflows.

    .venv/bin/python bench/peer_cdk8s_plus.py N OUTDIR     # prints {"build_s", "synth_s", "files"} as JSON

cdk8s-plus-33 comes with the ``bench`` extra (``pip install -e '.[bench]'``; scripts/setup.sh installs it)."""

import json
import sys
import time

from shipform._node import configure_node  # the same Node as shipform (the wheel's), without its banner

configure_node()

import cdk8s  # noqa: E402
import cdk8s_plus_33 as kplus  # noqa: E402


def build(n: int, outdir: str) -> cdk8s.App:
    app = cdk8s.App(outdir=outdir)
    chart = cdk8s.Chart(app, "bench", namespace="bench")
    resources = kplus.ContainerResources(
        cpu=kplus.CpuResources(request=kplus.Cpu.millis(100), limit=kplus.Cpu.millis(500)),
        memory=kplus.MemoryResources(request=cdk8s.Size.mebibytes(128), limit=cdk8s.Size.mebibytes(256)))
    for i in range(n):
        probe = kplus.Probe.from_http_get("/healthz", port=8000)
        deployment = kplus.Deployment(chart, f"web-{i:04d}", containers=[kplus.ContainerProps(
            image=f"ghcr.io/acme/bench-web-{i:04d}:1.0.0", port_number=8000, readiness=probe, liveness=probe,
            resources=resources)])
        service = deployment.expose_via_service(ports=[kplus.ServicePort(port=80, target_port=8000)])
        kplus.Ingress(chart, f"web-{i:04d}-ingress", rules=[kplus.IngressRule(
            host=f"web-{i:04d}.bench.example.com", backend=kplus.IngressBackend.from_service(service))])
        kplus.HorizontalPodAutoscaler(chart, f"web-{i:04d}-hpa", target=deployment, min_replicas=3, max_replicas=10,
                                      metrics=[kplus.Metric.resource_cpu(kplus.MetricTarget.average_utilization(70))])
    return app


def main(n: int, outdir: str) -> dict[str, float]:
    start = time.perf_counter()
    app = build(n, outdir)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return {"build_s": built - start, "synth_s": done - built, "services": n}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), sys.argv[2])))
