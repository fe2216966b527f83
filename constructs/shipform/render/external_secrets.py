"""ExternalSecrets (external-secrets.io) for every Secret an Environment references, when it syncs
them from a store; and the store itself when the Environment gives its provider."""

from __future__ import annotations

import json
from typing import Any

from shipform import spec

EXTERNAL_SECRETS_API = "external-secrets.io/v1"


def referenced_secrets(env: spec.Environment) -> dict[tuple[str, str], list[str]]:
    """{(namespace, Secret name): sorted keys} of every Secret the Environment's workloads reference, but those
    cert-manager issues there (a database's certificate)."""
    issued = env.issued_secrets()
    wanted: dict[tuple[str, str], set[str]] = {}
    for w in env.workloads:
        for ref in w.every_secret_ref:
            if (w.namespace, ref.name) not in issued:
                wanted.setdefault((w.namespace, ref.name), set()).add(ref.key)
    return {key: sorted(keys) for key, keys in sorted(wanted.items())}


def external_secrets(env: spec.Environment) -> list[dict[str, Any]]:
    source = env.secret_source
    if source is None:
        return []
    return [_external_secret(env, source, namespace, name, keys)
            for (namespace, name), keys in referenced_secrets(env).items()]


def _external_secret(env: spec.Environment, source: spec.SecretSource, namespace: str, name: str,
                     keys: list[str]) -> dict[str, Any]:
    remote = source.remote_key.format(app=env.app, environment=env.name, secret=name)
    return {
        "apiVersion": EXTERNAL_SECRETS_API, "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": spec.shipform_labels(env.app)},
        "spec": {
            "refreshInterval": source.refresh_interval,
            "secretStoreRef": {"name": source.store, "kind": source.kind},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": key, "remoteRef": {"key": remote, "property": key}} for key in keys],
        },
    }


def store_namespaces(env: spec.Environment) -> list[str]:
    """The namespaces whose ExternalSecrets read from the store: the only ones it may serve."""
    return sorted({namespace for namespace, _ in referenced_secrets(env)})


def store_places(env: spec.Environment) -> list[str]:
    """Where shipform renders the store: a SecretStore in each namespace that uses it, or one ClusterSecretStore
    ('' namespace); none when the Environment gives no provider (the store is the platform's)."""
    source = env.secret_source
    if source is None or source.provider is None or not referenced_secrets(env):
        return []
    return store_namespaces(env) if source.kind == "SecretStore" else [""]


def secret_stores(env: spec.Environment) -> list[dict[str, Any]]:
    source = env.secret_source
    if source is None or source.provider is None:
        return []
    body: dict[str, Any] = {"provider": json.loads(source.provider)}
    if source.kind == "ClusterSecretStore":
        # A ClusterSecretStore serves every namespace unless its conditions say otherwise: only these may use it.
        body["conditions"] = [{"namespaces": store_namespaces(env)}]
    return [{"apiVersion": EXTERNAL_SECRETS_API, "kind": source.kind,
             "metadata": {"name": source.store, **({"namespace": namespace} if namespace else {}),
                          "labels": spec.shipform_labels(env.app)},
             "spec": body} for namespace in store_places(env)]
