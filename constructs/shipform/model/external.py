"""External: a server outside the cluster (a managed database, a SaaS API) that workloads connect to."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Required, TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import ShipformConstruct, child_path
from shipform.model.client_address import external_address_env
from shipform.model.db_client import DatabaseClient, password_env
from shipform.model.engines import ENGINES, EngineName
from shipform.model.external_database import client_tls, login, refuse_database_props
from shipform.model.external_reach import likely_private, private_only
from shipform.values import addresses, checks
from shipform.values.prop_types import check_props
from shipform.values.secret_ref import SecretRef


class ExternalProps(TypedDict, total=False):
    host: Required[str]
    """The server's DNS name or IP address (required)."""
    port: Required[int]
    """The TCP port it listens on (required)."""
    cidrs: Sequence[str]
    """Default: [] (any public address: every range but the private, link-local and shared ones). The address
    ranges the server is at, e.g. ['203.0.113.0/24'], or a private subnet of your network (a managed database
    in the cluster's VPC); clients may reach only those. Ranges that reach a metadata service, link-local or
    loopback addresses, or that cover half the address space (alone or together), are refused in any spelling."""
    scheme: str | None
    """Default: None. A URL scheme ('https', 'amqps', ...): clients also get ``<PREFIX>_URL``; 'grpc' gives them
    the gRPC target ``<PREFIX>_TARGET=dns:///<host>:<port>`` instead (gRPC clients take no URL). Refused with
    ``engine``, whose own scheme the URL has."""
    secrets: Mapping[str, SecretRef]
    """Default: {}. ``{NAME: SecretRef(secret, key)}``: what a client needs to log in, mounted in each client at
    ``/run/secrets/<secret>.<key>`` with its path in ``<PREFIX>_<NAME>_FILE``."""
    env_prefix: str | None
    """Default: the id in upper case, '-' as '_'. The prefix of the variables clients get."""
    engine: EngineName | None
    """Default: None (a server of any kind). The database engine it runs ('postgres', 'mysql', 'mariadb', 'redis'
    or 'mongodb'), for a managed database: its clients then get what a StatefulDB's get (``<PREFIX>_HOST``,
    ``_PORT``, ``_NAME``, ``_USER``, ``_URL`` and ``_PASSWORD_FILE``), and unless it is redis (a cache or queue)
    it is a database the migration of a client reaches. The props below apply with engine= only."""
    database: str | None
    """Default: the app's name. The database clients use; redis has none."""
    user: str | None
    """Default: the app's name. The user clients log in as."""
    password: SecretRef | None
    """Default: ``SecretRef('<id>-credentials', 'password')``. The user's password, mounted in each client as a
    file; None: clients log in without one (IAM authentication, or a client certificate from ``secrets``)."""
    password_env: str | None
    """Default: None. As StatefulDB's: a reason gives Kubernetes clients ``<PREFIX>_PASSWORD`` from a
    secretKeyRef and the password in ``<PREFIX>_URL``, written where scanners read accepted risks."""
    tls: bool
    """Default: True. The URL asks for TLS in the engine's terms: postgres ``?sslmode=require``, mysql and mariadb
    ``?ssl-mode=REQUIRED``, redis ``rediss://``, mongodb ``?tls=true``. False: plain TCP."""
    tls_ca: SecretRef | None
    """Default: None. The CA that signed the server's certificate (e.g. the cloud's database CA bundle), mounted as
    ``<PREFIX>_CA_FILE``: the URL then verifies the server's name against it (postgres ``sslmode=verify-full``,
    mysql ``ssl-mode=VERIFY_IDENTITY``, redis ``ssl_ca_certs``, mongodb ``tlsCAFile``)."""


class External(ShipformConstruct):
    """A server outside the cluster that ``connects_to`` accepts like any service: each client gets
    ``<PREFIX>_HOST``, ``_PORT`` (and ``_URL``, or ``_TARGET`` for gRPC, with ``scheme``; with ``engine``, what a
    StatefulDB's clients get), the secrets as files, and a NetworkPolicy egress rule to that port only, at ``cidrs``
    or else any public address (with ``Environment(cilium=True)`` a CiliumNetworkPolicy to the host's name
    instead); in compose a network with a route off the host. Props: :class:`ExternalProps`. Nothing is deployed
    for it."""

    def __init__(self, scope: Construct, id: str, **props: Unpack[ExternalProps]):
        path = child_path(scope, id)
        check_props(path, props, ExternalProps)
        super().__init__(scope, id)
        self.host = _host(self.path, props["host"])
        self._port = checks.port(self.path, "port", props["port"])
        self.cidrs = addresses.egress_ranges(self.path, "cidrs", props.get("cidrs") or (),
                                             "'203.0.113.0/24' or '198.51.100.7/32'", _NAME_THE_RANGE)
        self.scheme = props.get("scheme")
        if self.scheme is not None and not checks.matches(_SCHEME, self.scheme):
            raise ShipformError(self.path, "scheme", "must be a URL scheme", self.scheme, "write e.g. 'postgres'")
        self.secrets = dict(props.get("secrets") or {})
        for name, ref in self.secrets.items():
            checks.env_name(self.path, "secrets", name)
            ref.validate(self.path, f"secrets.{name}")
        prefix = props.get("env_prefix") or self.name.upper().replace("-", "_")
        self.prefix = checks.env_name(self.path, "env_prefix", prefix)
        engine = props.get("engine")
        self.engine = ENGINES[engine] if engine is not None else None
        self.database_client = self._database(props) if self.engine is not None else None
        if self.engine is None:
            refuse_database_props(self.path, props)
        named = not self.cidrs and not addresses.is_address(self.host)
        scheme = self.engine.url_scheme if self.engine is not None else self.scheme
        self.private_hint = likely_private(self.host, scheme, self._port) if named else None

    def validate(self) -> list[ShipformError]:
        """A host name that only a private resolver answers, without ``cidrs``, outside Cilium: the egress rule
        for public addresses would never reach it."""
        reason = private_only(self.host)
        if self.cidrs or addresses.is_address(self.host) or self.environment.cilium or reason is None:
            return []
        return [ShipformError(self.path, "host", f"{reason}, and without cidrs clients may reach public addresses "
                              "only", self.host, "pass cidrs=['10.0.0.0/16'] with the subnet the server is at, or, "
                              "where the cluster runs Cilium, Environment(cilium=True) to reach it by name (toFQDNs)")]

    # The facts a client needs, as a server workload has them.
    health = None
    build = None

    @property
    def port(self) -> int:
        return self._port

    def ports(self) -> tuple[spec.Port, ...]:
        return (spec.Port("tcp", self._port),)

    def _database(self, props: ExternalProps) -> DatabaseClient:
        """How clients reach the database: the props a StatefulDB has, TLS by the engine's client URL."""
        assert self.engine is not None
        names = login(self.path, self.engine, props, self.app.name)
        password = props.get("password", SecretRef(f"{self.name}-credentials", "password"))
        if password is not None:
            password.validate(self.path, "password")
        reason = password_env(self.path, props.get("password_env"))
        if reason is not None and password is None:
            raise ShipformError(self.path, "password_env", "needs a password to put in the env var", reason,
                                "pass password=SecretRef(...), or drop password_env")
        clash = sorted(set(self.secrets) & {"PASSWORD", "CA"})
        if clash:
            raise ShipformError(self.path, f"secrets.{clash[0]}", f"would replace the database's own {self.prefix}_"
                                f"{clash[0]}_FILE", clash[0], "pass the password as password= (the CA as tls_ca=), "
                                "or give the secret another name")
        if self.scheme is not None:  # a StatefulDB's clients get the engine's: the same URL in every Environment
            raise ShipformError(self.path, "scheme", f"comes from engine= ('{self.engine.url_scheme}', as a "
                                "StatefulDB's clients get it, TLS included)", self.scheme, "drop scheme")
        tls = client_tls(self.path, self.engine, props)
        query = "" if tls is None else tls.verify if props.get("tls_ca") else tls.encrypt
        return DatabaseClient(self.prefix, self.engine, self.host, self._port, names.user, names.database, password,
                              reason, tls.url_scheme if tls else self.engine.url_scheme, query, props.get("tls_ca"))

    @property
    def is_database(self) -> bool:
        """A database a client's migration reaches: one with named databases, not a cache or queue (redis)."""
        return self.engine is not None and self.engine.has_database

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        if self.database_client is not None:
            return self.database_client.env()
        return [spec.EnvVar(f"{self.prefix}_HOST", spec.Plain(self.host)),
                spec.EnvVar(f"{self.prefix}_PORT", spec.Plain(str(self._port))),
                *external_address_env(self.prefix, self.scheme, self.host, self._port)]

    def client_secrets(self) -> dict[str, SecretRef]:
        own = {f"{self.prefix}_{name}": ref for name, ref in self.secrets.items()}
        return {**(self.database_client.secrets() if self.database_client is not None else {}), **own}

    def client_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        return self.database_client.risks() if self.database_client is not None else ()

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        return spec.Endpoint(self.name, self.namespace, self.app.name, self._port, ports or self.ports(),
                             spec.ExternalAddress(self.host, self.cidrs, self.private_hint))


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


_NAME_THE_RANGE = "name the range the server is at, e.g. the managed database's subnet"
# Names the clouds' resolvers answer with the metadata service's address.
METADATA_NAMES = ("metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal")


def _host(path: str, value: object) -> str:
    if isinstance(value, str):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if checks.is_dns_name(value):
                return _host_name(path, value)
        else:
            return addresses.egress_address(path, "host", value, "pass the server's own address or host name")
    raise ShipformError(path, "host", "must be a lowercase DNS name or an IP address, without scheme or port", value,
                        "write e.g. host='payments.example.com', port=443")


def _host_name(path: str, name: str) -> str:
    """A DNS name that is no IPv4 address in another spelling ('2852039166', '0xa9fea9fe', '169.254.43518', which
    resolvers and inet_aton read as 169.254.169.254) and not a metadata service's own name."""
    last = name.rsplit(".", 1)[-1]
    if checks.matches(r"[0-9]+|0x[0-9a-f]+", last):  # no top-level domain is all digits (RFC 3696)
        raise ShipformError(path, "host", "is an IPv4 address in a spelling other than a.b.c.d (resolvers read it as "
                            "an address, which no range check would see)", name,
                            "write the address as a.b.c.d, or pass the server's host name")
    if name in METADATA_NAMES:
        raise ShipformError(path, "host", "names a cloud metadata service (169.254.169.254)", name,
                            "pass the server's own host name")
    return name
