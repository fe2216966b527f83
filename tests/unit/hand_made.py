"""A hand-built spec for renderer tests, with no construct and no Node: one minimal workload, environment and app,
each changed by keyword overrides (``dataclasses.replace``). The spec's shape is written here alone, so a change
to it is adapted in one place.

    make_workload(run=spec.Continuous(replicas=3), clients=(endpoint("web"),))
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.values.health import Health
from shipform.values.resources import Resources

APP = "demo"
NAMESPACE = "demo"
HTTP = spec.Port("http", 8080)

WORKLOAD = spec.Workload(
    path="demo/dev/hello", name="hello", namespace=NAMESPACE, component="web-service", app=APP, version="1.0.0",
    image="ghcr.io/acme/hello:1.0.0", run=spec.Continuous(replicas=1), ports=(HTTP,), health=Health.tcp(),
    resources=Resources().parse("demo/dev/hello"), writable_paths=("/tmp",))
"""A WebService on a prebuilt image: one replica, one HTTP port, a TCP health check, /tmp writable."""

EXPOSURE = spec.Exposure(host="hello.example.com", tls_secret="hello-tls", ingress_class="nginx",
                         controller_namespace="ingress-nginx", cluster_issuer=None,
                         controller_pods=(("app.kubernetes.io/name", "ingress-nginx"),), provider="nginx")
"""Public through ingress-nginx under hello.example.com."""

JOB = spec.ToCompletion(backoff_limit=2, active_deadline_seconds=600, ttl_seconds_after_finished=3600)
SCHEDULE = spec.Scheduled(schedule="0 6 * * *", time_zone=None, concurrency_policy="Forbid",
                          starting_deadline_seconds=300, successful_jobs_history_limit=3, failed_jobs_history_limit=1,
                          job=JOB)


def make_workload(**overrides: Any) -> spec.Workload:
    """The minimal workload with ``overrides``; a new ``name`` also renames the path."""
    w = replace(WORKLOAD, **overrides)
    return w if "path" in overrides else replace(w, path=f"{APP}/dev/{w.name}")


def make_environment(*workloads: spec.Workload, **overrides: Any) -> spec.Environment:
    """A local Environment 'dev' under Argo CD holding ``workloads`` (default: the minimal one) and a plain
    namespace for each of their namespaces."""
    held = workloads or (make_workload(),)
    namespaces = tuple(spec.Namespace(ns, APP, "v1.33") for ns in sorted({w.namespace for w in held}))
    env = spec.Environment(app=APP, name="dev", local=True, gitops="argocd", namespaces=namespaces, workloads=held)
    return replace(env, **overrides)


def make_app(*environments: spec.Environment, **overrides: Any) -> spec.App:
    return replace(spec.App(APP, "1.0.0", environments or (make_environment(),)), **overrides)


def endpoint(name: str, *ports: spec.Port, **overrides: Any) -> spec.Endpoint:
    """A peer workload of the app in the same namespace (a client, or a server on ``ports``)."""
    peer = spec.Endpoint(name=name, namespace=NAMESPACE, app=APP, port=ports[0].number if ports else None,
                         ports=ports)
    return replace(peer, **overrides)
