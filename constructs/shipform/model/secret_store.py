"""Where referenced Secrets come from in Kubernetes: managed by hand, or synced by External Secrets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

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

    Whoever may create an ExternalSecret may pull any key its store can read, so the default store is
    namespaced: a ``SecretStore`` of that name in each namespace whose workloads reference a Secret.

    :param name: the SecretStore or ClusterSecretStore to read from (required).
    :param kind: Default: 'SecretStore' (one per namespace that uses it: the ExternalSecrets of a namespace can
        only use the store of their namespace). 'ClusterSecretStore' needs ``provider``: shipform then renders
        the store with ``conditions`` that admit only the namespaces of this Environment that use it.
    :param remote_key: Default: '{app}/{environment}/{secret}'. The key in the provider; the Secret's
        keys are read as properties of it.
    :param refresh_interval: Default: '1h'.
    :param provider: Default: None (the store exists already, made by the platform). The store's
        ``spec.provider`` (external-secrets.io/v1), e.g. ``{"vault": {"server": ..., "path": ..., "auth": ...}}``:
        shipform renders the store itself, a SecretStore in each namespace that uses it, or one
        ClusterSecretStore limited to those namespaces. The deployer Role never gets the store (like RBAC,
        it is the platform's to apply).
    """

    name: str
    kind: Literal["ClusterSecretStore", "SecretStore"] = "SecretStore"
    remote_key: str = "{app}/{environment}/{secret}"
    refresh_interval: str = "1h"
    provider: Mapping[str, Any] | None = field(default=None, hash=False)
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

        self._validate_provider(path)

    def _validate_provider(self, path: str) -> None:
        example = "provider={'vault': {'server': 'https://vault.example.com', 'path': 'secret', 'auth': ...}}"
        if self.provider is None:
            if self.kind == "ClusterSecretStore":
                raise ShipformError(path, "secret_store.kind", "must be 'SecretStore' unless shipform renders the "
                                    "store (provider=): a ClusterSecretStore without conditions admits "
                                    "ExternalSecrets from every namespace, so whoever may create one anywhere may "
                                    "read every key the store reads", self.kind,
                                    f"use kind='SecretStore' (one per namespace), or give {example} so shipform "
                                    "renders the ClusterSecretStore limited to this Environment's namespaces")
            return
        if len(self.provider) != 1 or not isinstance(next(iter(self.provider.values())), Mapping):
            raise ShipformError(path, "secret_store.provider", "must name exactly one provider with its settings",
                                dict(self.provider), f"write e.g. {example}")

    def to_spec(self) -> spec.SecretSource:
        provider = None if self.provider is None else json.dumps(self.provider, sort_keys=True)
        return spec.SecretSource(self.name, self.kind, self.remote_key, self.refresh_interval, provider)


@value_object
@dataclass(frozen=True)
class PullSecret:
    """``Environment(..., pull_secret=PullSecret('registry-pull'))``: the Secret of type
    kubernetes.io/dockerconfigjson that every ServiceAccount shipform creates in a namespace holding workloads names
    in ``imagePullSecrets`` (a private registry's images: GHCR makes a private repository's packages private);
    ``SecureNamespace(..., pull_secret=...)`` gives one namespace its own instead.

    By default it comes from where the Environment's other Secrets come from: with ``secret_store``, an ExternalSecret
    in each of those namespaces reads the docker config JSON from the store (remote key as the store's
    ``remote_key`` gives it for this name, property '.dockerconfigjson'); without, ``shipform secrets kubectl``
    creates it from standard input. A local Environment (compose) refuses it: Docker pulls with the login of the
    machine.

    :param name: the Secret's name in each namespace (required).
    :param existing: Default: False. True: the platform makes it in each namespace already; shipform only names it
        (neither an ExternalSecret nor the script creates it).
    """

    name: str
    existing: bool = False
    prop_example: ClassVar[str] = "PullSecret('registry-pull')"

    def to_spec(self, path: str, local: bool, store: SecretStore | None) -> spec.PullSecretSpec:
        check_fields(path, "pull_secret", self)
        checks.subdomain_name(path, "pull_secret.name", self.name, "registry-pull")
        if local:
            raise ShipformError(path, "pull_secret", "is not used by a local Environment: compose pulls with the "
                                "Docker login of the machine it runs on", self.name,
                                "remove pull_secret here (run 'docker login <registry>' once) and give it to the "
                                "Environments that are not local")
        return spec.PullSecretSpec(self.name, synced=store is not None and not self.existing, existing=self.existing)
