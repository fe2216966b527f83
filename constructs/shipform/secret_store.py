"""Where referenced Secrets come from in Kubernetes: managed by hand, or synced by External Secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipform import props
from shipform.errors import ShipformError

if TYPE_CHECKING:
    from shipform.app import Environment

EXTERNAL_SECRETS_API = "external-secrets.io/v1"


@dataclass(frozen=True)
class SecretStore:
    """``Environment(..., secret_store=SecretStore("vault"))`` makes every Secret the Environment's
    constructs reference an ExternalSecret (external-secrets.io) synced from that store.

    :param name: the SecretStore or ClusterSecretStore to read from (required).
    :param kind: Default: 'ClusterSecretStore'. Or 'SecretStore' (one per namespace).
    :param remote_key: Default: '{app}/{environment}/{secret}'. The key in the provider; the Secret's
        keys are read as properties of it.
    :param refresh_interval: Default: '1h'.
    """

    name: str
    kind: str = "ClusterSecretStore"
    remote_key: str = "{app}/{environment}/{secret}"
    refresh_interval: str = "1h"

    def validate(self, path: str) -> None:
        props.dns_label(path, "secret_store.name", self.name, max_len=253)
        props.one_of(path, "secret_store.kind", self.kind, ("ClusterSecretStore", "SecretStore"))
        try:
            self.remote_key.format(app="a", environment="e", secret="s")
        except (KeyError, IndexError, ValueError):
            raise ShipformError(path, "secret_store.remote_key", "may only use {app}, {environment} and {secret}",
                                self.remote_key, "write e.g. 'apps/{app}/{secret}'") from None

    def external_secrets(self, env: Environment) -> list[dict[str, Any]]:
        """One ExternalSecret per (namespace, Secret name) that any construct of ``env`` references."""
        return [self._external_secret(env, namespace, name, keys)
                for (namespace, name), keys in referenced_secrets(env).items()]

    def _external_secret(self, env: Environment, namespace: str, name: str, keys: list[str]) -> dict[str, Any]:
        remote = self.remote_key.format(app=env.app.name, environment=env.name, secret=name)
        return {
            "apiVersion": EXTERNAL_SECRETS_API, "kind": "ExternalSecret",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/part-of": env.app.name,
                                    "app.kubernetes.io/managed-by": "shipform"}},
            "spec": {
                "refreshInterval": self.refresh_interval,
                "secretStoreRef": {"name": self.name, "kind": self.kind},
                "target": {"name": name, "creationPolicy": "Owner"},
                "data": [{"secretKey": key, "remoteRef": {"key": remote, "property": key}} for key in keys],
            },
        }


def referenced_secrets(env: Environment) -> dict[tuple[str, str], list[str]]:
    """{(namespace, Secret name): sorted keys} of every Secret the Environment's workloads reference."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for w in env.workloads:
        for ref in w.all_secrets().values():
            wanted.setdefault((w.namespace, ref.name), set()).add(ref.key)
    return {key: sorted(keys) for key, keys in sorted(wanted.items())}


def kubectl_create_commands(env: Environment) -> list[str]:
    """The commands that create every referenced Secret by hand, with random values (for the CLI)."""
    return [f"kubectl -n {ns} create secret generic {name} "
            + " ".join(f'--from-literal={k}="$(openssl rand -base64 24)"' for k in keys)
            for (ns, name), keys in referenced_secrets(env).items()]
