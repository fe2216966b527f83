"""Rules over a whole Environment: one public host name per Ingress (two would fight over it), no Secret named as
the image pull secret. compose's own
rules for the local Environment are render.compose_rules'."""

from __future__ import annotations

from shipform import spec
from shipform.errors import ShipformError


def environment_errors(env: spec.Environment) -> list[ShipformError]:
    first: dict[str, spec.Workload] = {}
    errors = []
    for w in env.workloads:
        exposure = w.facet(spec.Exposure)
        if exposure is None:
            continue
        other = first.setdefault(exposure.host, w)
        if other is not w:
            errors.append(ShipformError(w.path, "host", f"is also the host of {other.path}: two Ingresses would "
                                        "claim it", exposure.host, "give each public service its own host"))
    return errors + pull_secret_errors(env)


def pull_secret_errors(env: spec.Environment) -> list[ShipformError]:
    """The pull secret is a Secret of its own type: a workload's reference to a Secret of the same name would be
    the same object, made twice with different types."""
    pulls = env.pull_secrets()
    for w in env.workloads:
        pull = pulls.get(w.namespace)
        if pull is not None and any(ref.name == pull.name for ref in w.every_secret_ref):
            return [ShipformError(w.path, "secrets", "names the image pull secret of its namespace (a "
                                  "kubernetes.io/dockerconfigjson Secret) as a Secret of its own", pull.name,
                                  "give the image pull secret or this Secret another name")]
    return []
