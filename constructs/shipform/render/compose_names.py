"""compose's name for each workload: compose has one namespace where Kubernetes has several."""

from __future__ import annotations

from shipform import spec

LocalNames = dict[tuple[str, str], str]


def local_names(env: spec.Environment) -> LocalNames:
    """Each workload's compose service name by ``(namespace, name)``. A name that workloads of several namespaces
    share (a composite used in each) becomes ``<namespace>-<name>`` for all of them, their volumes prefixed the
    same way; every other workload keeps its name."""
    namespaces: dict[str, set[str]] = {}
    for w in env.workloads:
        namespaces.setdefault(w.name, set()).add(w.namespace)
    return {(w.namespace, w.name): f"{w.namespace}-{w.name}" if len(namespaces[w.name]) > 1 else w.name
            for w in env.workloads}
