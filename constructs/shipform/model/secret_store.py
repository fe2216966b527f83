"""Where referenced Secrets come from in Kubernetes: managed by hand, or synced by External Secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object


@value_object
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
    kind: Literal["ClusterSecretStore", "SecretStore"] = "ClusterSecretStore"
    remote_key: str = "{app}/{environment}/{secret}"
    refresh_interval: str = "1h"
    prop_example: ClassVar[str] = "SecretStore('vault')"

    def validate(self, path: str) -> None:
        check_fields(path, "secret_store", self)
        checks.subdomain_name(path, "secret_store.name", self.name, "vault")
        checks.go_duration(path, "secret_store.refresh_interval", self.refresh_interval)
        if not self.remote_key.isprintable() or self.remote_key != self.remote_key.strip():
            raise ShipformError(path, "secret_store.remote_key", "must be one line without spaces at its ends",
                                self.remote_key, "write e.g. 'apps/{app}/{secret}'")
        try:
            self.remote_key.format(app="a", environment="e", secret="s")
        except (KeyError, IndexError, ValueError):
            raise ShipformError(path, "secret_store.remote_key", "may only use {app}, {environment} and {secret}",
                                self.remote_key, "write e.g. 'apps/{app}/{secret}'") from None

    def to_spec(self) -> spec.SecretSource:
        return spec.SecretSource(self.name, self.kind, self.remote_key, self.refresh_interval)
