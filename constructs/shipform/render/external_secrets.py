"""ExternalSecrets (external-secrets.io) for every Secret an Environment references, when it syncs
them from a store; and the store itself when the Environment gives its provider."""

from __future__ import annotations

import json
from typing import Any

from shipform import spec
from shipform.render import eventing
from shipform.render.alertmanager import secret_places

EXTERNAL_SECRETS_API = "external-secrets.io/v1"


def referenced_secrets(env: spec.Environment) -> dict[tuple[str, str], list[str]]:
    """{(namespace, Secret name): sorted keys} of every Secret the Environment's workloads, its alert receivers
    (render.alertmanager) and its KafkaSources reference, but those cert-manager issues there (a database's
    certificate)."""
    issued = env.issued_secrets()
    wanted: dict[tuple[str, str], set[str]] = {place: set(keys) for place, keys in secret_places(env).items()}
    for place, keys in eventing.secret_places(env).items():
        wanted.setdefault(place, set()).update(keys)
    for w in env.workloads:
        for ref in w.every_secret_ref:
            if (w.namespace, ref.name) not in issued:
                wanted.setdefault((w.namespace, ref.name), set()).add(ref.key)
    return {key: sorted(keys) for key, keys in sorted(wanted.items())}


def external_secrets(env: spec.Environment) -> list[dict[str, Any]]:
    source = env.secret_source
    if source is None:
        return []
    fixed = env.fixed_secrets()
    return [_typed(_fixed(_external_secret(env, source, namespace, name, keys), namespace, name, fixed), keys)
            for (namespace, name), keys in referenced_secrets(env).items()] + pull_external_secrets(env)


def _fixed(doc: dict[str, Any], namespace: str, name: str, fixed: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    """A key whose value shipform knows (a CloudNativePG owner's user name) is written by the template as that value,
    never read from the store, where it could differ; the store's other keys are merged in as they are."""
    known = {entry["secretKey"]: fixed[(namespace, name, entry["secretKey"])] for entry in doc["spec"]["data"]
             if (namespace, name, entry["secretKey"]) in fixed}
    if known:
        doc["spec"]["data"] = [e for e in doc["spec"]["data"] if e["secretKey"] not in known]
        doc["spec"]["target"]["template"] = {"mergePolicy": "Merge", "data": known}
    return doc


TLS_KEYS = frozenset({"tls.crt", "tls.key"})
"""The keys a kubernetes.io/tls Secret must hold (it may hold more, such as ca.crt)."""


def _typed(doc: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A Secret read for its tls.crt and tls.key is made of type kubernetes.io/tls: CloudNativePG refuses a server
    certificate in any other type, and ingress controllers read the type. A template with no data keeps the store's
    keys as they are."""
    if set(keys) >= TLS_KEYS:
        doc["spec"]["target"]["template"] = {"type": "kubernetes.io/tls", **doc["spec"]["target"].get("template", {})}
    return doc


PULL_KEY = ".dockerconfigjson"
"""The key of a kubernetes.io/dockerconfigjson Secret, and the property the store holds the docker config JSON in."""


def pull_external_secrets(env: spec.Environment) -> list[dict[str, Any]]:
    """An ExternalSecret per namespace that pulls images, when the Environment's pull secret is synced: its target is
    a kubernetes.io/dockerconfigjson Secret whose one key is the store's docker config JSON, as it is."""
    source = env.secret_source
    if source is None:
        return []
    made = []
    for namespace, pull in env.pull_secrets().items():
        if not pull.synced:
            continue
        doc = _external_secret(env, source, namespace, pull.name, [PULL_KEY])
        doc["spec"]["data"][0]["secretKey"] = "config"
        doc["spec"]["target"]["template"] = {"type": "kubernetes.io/dockerconfigjson", "engineVersion": "v2",
                                             "data": {PULL_KEY: "{{ .config | toString }}"}}
        made.append(doc)
    return made


def pull_external_secret_places(env: spec.Environment) -> list[tuple[str, str]]:
    """(namespace, name) of each ExternalSecret :func:`pull_external_secrets` renders."""
    return [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in pull_external_secrets(env)]


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
    pulled = [namespace for namespace, pull in env.pull_secrets().items() if pull.synced]
    return sorted({namespace for namespace, _ in referenced_secrets(env)} | set(pulled))


def store_places(env: spec.Environment) -> list[str]:
    """Where shipform renders the store: a SecretStore in each namespace that uses it, or one ClusterSecretStore
    ('' namespace); none when the Environment gives no provider (the store is the platform's)."""
    source = env.secret_source
    if source is None or source.provider is None or not store_namespaces(env):
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


def pull_notes(app: spec.App) -> list[str]:
    """A warning for each Environment that runs images the app pushes to GHCR without a pull secret: GHCR makes a
    private repository's packages private, and the pods would not start (ImagePullBackOff). Public packages need
    none, so it stays a warning."""
    if app.registry.partition("/")[0] != "ghcr.io":
        return []
    return [f"{app.name}/{env.name}: warning: its images are pulled from {app.registry} without credentials: GHCR "
            "makes the packages of a private repository private, and its pods would not start (ImagePullBackOff). "
            "Fix: Environment(pull_secret=PullSecret('<name>')), a kubernetes.io/dockerconfigjson Secret; nothing "
            "if the packages are public"
            for env in app.environments
            if not env.local and any(w.built is not None and w.namespace not in env.pull_secrets()
                                     for w in env.workloads)]
