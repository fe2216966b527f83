"""No two Environments own one namespace on one cluster: two GitOps applications (or deploy workflows) applying
the same namespace fight over its objects, each pruning and undoing the other's. Checked for the Environments
shipform makes something apply: those of an App with a ``repository`` (an Argo CD Application or a Flux
Kustomization each) and those CI deploys (gitops='kubectl')."""

from __future__ import annotations

from collections.abc import Sequence

from shipform.errors import ShipformError
from shipform.model.stage import App, Environment


def cluster_of(env: Environment) -> str:
    """The cluster the Environment is applied to, as the refusal names it; equal names are the same cluster."""
    cluster = env.cluster
    if cluster is None:
        return env.destination.cluster
    if cluster.kind == "kubeconfig":  # each GitHub environment holds its own KUBECONFIG: nothing to compare
        return f"the cluster of {env.path}'s KUBECONFIG"
    return f"{cluster.kind} cluster '{cluster.name}' ({cluster.location})"


def owned_namespaces(env: Environment) -> list[str]:
    """The namespaces the Environment creates: its SecureNamespaces' and those its other workloads go to."""
    declared = [ns.name for m in env.members if (ns := m.namespace_spec()) is not None]
    return sorted({*declared, *env.implicit_namespaces()})


def ownership_errors(apps: Sequence[App], across_apps: bool = False) -> list[ShipformError]:
    """One error per namespace that an Environment owns on a cluster where an earlier one (of this App or of
    another App synthesized with it) owns it already; ``across_apps``: only where the two belong to different
    Apps."""
    owners: dict[tuple[str, str], Environment] = {}
    errors: list[ShipformError] = []
    for app in apps:
        for env in app.environments:
            if app.repository is None and env.cluster is None:
                continue  # nothing shipform renders applies it
            cluster = cluster_of(env)
            for namespace in owned_namespaces(env):
                first = owners.setdefault((cluster, namespace), env)
                if first is not env and not (across_apps and first.app is env.app):
                    errors.append(ShipformError(
                        env.path, "destination", f"puts namespace '{namespace}' on {cluster}, where {first.path} "
                        "owns it already: both would apply its objects and fight over them (each prunes and "
                        "undoes what the other applies)", namespace,
                        f"give one of {first.path} and {env.path} another cluster (destination=Destination("
                        "name='prod'), or cluster= with gitops='kubectl') or another namespace "
                        "(SecureNamespace(env, '<name>'), Environment(namespace=...))"))
    return errors



def cross_app_errors(apps: Sequence[App]) -> list[ShipformError]:
    """The clashes between Environments of different Apps synthesized together (each App's own are reported by
    its validation)."""
    return ownership_errors(apps, across_apps=True)
