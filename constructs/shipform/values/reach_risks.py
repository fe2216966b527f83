"""Risks of reach that no scanner reports: a cluster component in front of a workload lets more pods reach it than
its declared clients. Each is refused unless the workload's ``accepted_risks`` names it with a reason, which is then
written on the objects a reader checks for who reaches the pods (the NetworkPolicy and the object that runs them)."""

from __future__ import annotations

import textwrap

KNATIVE_SHARED_GATEWAY = "knativeSharedGateway"
"""A cluster-local Knative service: Knative's gateway routes by Host header to every cluster-local Knative service
of every namespace, and its activator by the revision's headers, so any pod that reaches either reaches it."""

NAMES = (KNATIVE_SHARED_GATEWAY,)
"""The keys ``accepted_risks`` accepts for them."""

KNATIVE_SHARED_GATEWAY_ANNOTATION = "shipform.dev/knative-shared-gateway"
"""The annotation that states the risk and the reason it is accepted."""


def knative_shared_gateway(gateway_namespace: str, serving_namespace: str, reason: str) -> str:
    """What holds of a cluster-local Knative service, and why the app accepts it, in lines of at most 100
    characters (a block scalar in YAML, so the file stays readable and lint-clean)."""
    statement = (f"reached by any pod that reaches Knative's gateway (namespace {gateway_namespace}) or activator "
                 f"(namespace {serving_namespace}), not only by its declared clients: the gateway routes by Host "
                 "header to every cluster-local Knative service and the activator by revision header. "
                 f"Accepted: {reason}")
    return "\n".join(textwrap.wrap(statement, 100))
