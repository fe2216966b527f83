"""ExternalSecrets (external-secrets.io) for every Secret an Environment references, when it syncs
them from a store."""

from __future__ import annotations

from typing import Any

from shipform import spec

EXTERNAL_SECRETS_API = "external-secrets.io/v1"


def referenced_secrets(env: spec.Environment) -> dict[tuple[str, str], list[str]]:
    """{(namespace, Secret name): sorted keys} of every Secret the Environment's workloads reference."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for w in env.workloads:
        for ref in w.every_secret_ref:
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
