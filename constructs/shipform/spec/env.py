"""Values a workload's environment variables take, and the Secret files it mounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipform.values.secret_ref import SecretRef

Platform = Literal["kubernetes", "compose"]


BOTH: frozenset[Platform] = frozenset(("kubernetes", "compose"))
KUBERNETES_ONLY: frozenset[Platform] = frozenset(("kubernetes",))


TLS_FILES = {"CERT": "tls.crt", "KEY": "tls.key", "CA": "ca.crt"}
"""A TLS Secret's keys (cert-manager's names), by the suffix of the secret env name a database mounts each under
(``DB_TLS_CERT``, ...)."""


TLS_KEY_ENV = "DB_TLS_KEY"
"""The secret env name of a server's TLS key: the Secret it comes from is a certificate, never a random value."""


@dataclass(frozen=True)
class Plain:
    """A literal value, the same on every platform."""

    value: str


@dataclass(frozen=True)
class FromSecret:
    """The value of a Secret key. Kubernetes reads it with a secretKeyRef; compose has secrets as files only."""

    ref: SecretRef


@dataclass(frozen=True)
class ServiceHost:
    """The host name of the server ``name`` in ``namespace``, as the client reaches it: in Kubernetes the bare
    name in the client's own namespace and ``name.namespace`` from another one; locally the service name."""

    name: str
    namespace: str
    kubernetes_name: str | None = None
    """The Service's name in Kubernetes where it is not ``name`` (CloudNativePG's ``<name>-rw``); compose keeps
    the service name."""


@dataclass(frozen=True)
class ConnectionUrl:
    """A URL to a server. Where the platform can expand ``password_var`` (Kubernetes' dependent variables)
    the URL carries the password as ``$(password_var)``; elsewhere it has none."""

    scheme: str
    user: str
    host: ServiceHost | str
    """A server in the cluster, or one outside it by the name or address the URL writes (an IPv6 one in brackets)."""
    port: int
    path: str
    password_var: str | None = None
    cluster_port: int | None = None
    """The port in Kubernetes when it differs from ``port`` (a Knative service's gateway)."""


@dataclass(frozen=True)
class GrpcTarget:
    """A gRPC server as gRPC's name resolution takes it: ``dns:///<host>:<port>``, the target that grpc-go's
    NewClient, grpc-java's forTarget, grpc-js and grpcio (C-core) all accept (gRPC's doc/naming.md); a URL such
    as ``http://host:port`` or ``grpc://host:port`` is no target for them."""

    host: ServiceHost
    port: int
    cluster_port: int | None = None
    """The port in Kubernetes when it differs from ``port`` (a Knative service's gateway)."""


@dataclass(frozen=True)
class FromConfig:
    """A configuration value: in Kubernetes a key of the workload's ConfigMap ``config_map``, elsewhere the
    value itself."""

    config_map: str
    key: str
    value: str


@dataclass(frozen=True)
class ServicePort:
    """A server's port as the client calls it: ``kubernetes`` there (a Knative service's gateway), ``local`` in
    compose."""

    local: int
    kubernetes: int


EnvValue = Plain | FromSecret | FromConfig | ServiceHost | ConnectionUrl | GrpcTarget | ServicePort


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: EnvValue
    platforms: frozenset[Platform] = BOTH


@dataclass(frozen=True)
class SecretFile:
    """A Secret key mounted read-only at ``/run/secrets/<ref.file_name>``; ``<env_name>_FILE`` holds the path."""

    env_name: str
    ref: SecretRef
    owned: bool = False
    """True where this workload defines the value itself (a database server's own passwords, which its image sets
    at first start): shipform owns the key, so `shipform secrets` generates a random value for it. Any other key
    holds a value from outside (a third-party API key, a managed database's password), which it asks for."""
