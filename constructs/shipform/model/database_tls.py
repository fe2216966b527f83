"""TLS between a database and its clients by default: in an Environment that is not local, each StatefulDB outside a
service mesh serves TLS only, with a certificate cert-manager issues (``Environment(tls_issuer=Issuer(...))``), and
its clients verify it; ``Environment(plain_databases='<why>')`` turns that off and says why.

The mesh rule: a namespace enrolled in the Environment's mesh (Istio: STRICT mutual TLS; Linkerd: a 'deny' default
and authorization by mesh identity on every port) already encrypts every connection to its databases, since a
client outside the mesh is refused (model/workload.py), so its databases speak plain text inside the mutual TLS. The
one plain-text exception the meshes allow there (KEDA's operator outside the mesh reading a queue) states its own
reason (``Keda(plain_text_reason=...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.engines import Engine
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

CLUSTER_DOMAIN = "cluster.local"
"""The cluster's DNS domain (kubelet's default), in the certificate's longest name."""


@value_object
@dataclass(frozen=True)
class Issuer:
    """A cert-manager issuer of the Environment's database certificates: one that signs cluster-internal names
    (a CA issuer, Vault, a private CA such as AWS Private CA or Google CAS; ACME cannot).

    :param name: The Issuer's or ClusterIssuer's name.
    :param kind: Default: 'ClusterIssuer'. 'Issuer' means one of that name in each database's namespace.
    :param group: Default: 'cert-manager.io'. An external issuer's API group (e.g. 'awspca.cert-manager.io').
    """

    name: str
    kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"
    group: str = "cert-manager.io"
    prop_example: ClassVar[str] = "Issuer(name='internal-ca')"

    def to_spec(self, path: str) -> tuple[str, str, str]:
        """(kind, name, group), each checked."""
        check_fields(path, "tls_issuer", self)
        checks.subdomain_name(path, "tls_issuer.name", self.name, "internal-ca")
        checks.one_of(path, "tls_issuer.kind", self.kind, ("ClusterIssuer", "Issuer"))
        checks.subdomain_name(path, "tls_issuer.group", self.group, "cert-manager.io")
        return self.kind, self.name, self.group


IssuerRef = tuple[str, str, str]
"""An issuer as (kind, name, API group)."""


def tls_settings(path: str, issuer: Issuer | None, reason: str | None) -> tuple[IssuerRef | None, str | None]:
    """An Environment's ``tls_issuer`` (as (kind, name, group)) and ``plain_databases``, checked: one or neither."""
    checked = None if issuer is None else issuer.to_spec(path)
    reason = plain_reason(path, reason)
    if checked is not None and reason is not None:
        raise ShipformError(path, "plain_databases", "turns TLS off, and tls_issuer asks for certificates", reason,
                            "drop plain_databases, or drop tls_issuer")
    return checked, reason


def plain_reason(path: str, reason: str | None) -> str | None:
    """Why the Environment's databases speak plain text: a reader of the manifests' statement, so one line of some
    length."""
    if reason is not None and not checks.is_stated_reason(reason):
        raise ShipformError(path, "plain_databases", "must say why the databases speak plain text, in one line",
                            reason, "write e.g. plain_databases='a single-node test cluster with no other tenants', "
                            "or drop it and give tls_issuer=Issuer(name='internal-ca')")
    return reason


class TlsSettings(Protocol):
    """What an Environment says about its databases' TLS (model/stage.py)."""

    path: str
    local: bool
    tls_issuer: tuple[str, str, str] | None
    plain_databases: str | None

    def mesh_of(self, namespace: str) -> spec.Mesh | None: ...


@dataclass(frozen=True)
class Decision:
    """What a StatefulDB without ``tls=`` does: serve TLS with ``certificate`` (issued into its Secret), or speak
    plain text (``plain``: the Environment's reason; None where no reason is owed: a local Environment, a mesh)."""

    certificate: spec.ServerCertificate | None = None
    plain: str | None = None


def decide(path: str, env: TlsSettings, engine: Engine, name: str, namespace: str) -> Decision:
    """TLS by default: in an Environment that is not local (or one with ``tls_issuer``), outside a mesh, unless the
    Environment says why not."""
    issuer = env.tls_issuer
    if (env.local and issuer is None) or env.mesh_of(namespace) is not None:
        return Decision()
    if env.plain_databases is not None:
        return Decision(plain=env.plain_databases)
    if issuer is None:
        raise ShipformError(env.path, "tls_issuer", f"is needed: the database {path} serves TLS by default in an "
                            "Environment that is not local, with a certificate cert-manager issues", None,
                            "pass tls_issuer=Issuer(name='internal-ca') (a ClusterIssuer that signs cluster-internal "
                            "names), enrol the namespace in a mesh (SecureNamespace(mesh=...)), or say why not with "
                            "plain_databases='...'")
    if engine.tls is None:
        raise ShipformError(path, "engine", f"serves no TLS in shipform yet, and {env.path} is not local and has no "
                            "mesh here", engine.name, "use postgres, mysql, mariadb or redis, enrol the namespace in "
                            "a mesh, or give the Environment plain_databases='<why>'")
    secret = f"{name}-tls"
    return Decision(spec.ServerCertificate(secret, dns_names(name, namespace), issuer))


def dns_names(name: str, namespace: str) -> tuple[str, ...]:
    """Every name clients reach the database's Service by: the bare name (same namespace: clients, the backup), the
    namespace-qualified one (other namespaces), '.svc' (KEDA) and the fully qualified one. No pod names: there is
    one replica, and clients use the Service."""
    return (name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}")
