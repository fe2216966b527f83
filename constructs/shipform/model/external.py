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
    """Default: None. A URL scheme ('postgres', 'https', ...): clients also get ``<PREFIX>_URL``; 'grpc' gives them
    the gRPC target ``<PREFIX>_TARGET=dns:///<host>:<port>`` instead (gRPC clients take no URL)."""
    secrets: Mapping[str, SecretRef]
    """Default: {}. ``{NAME: SecretRef(secret, key)}``: what a client needs to log in, mounted in each client at
    ``/run/secrets/<secret>.<key>`` with its path in ``<PREFIX>_<NAME>_FILE``."""
    env_prefix: str | None
    """Default: the id in upper case, '-' as '_'. The prefix of the variables clients get."""


class External(ShipformConstruct):
    """A server outside the cluster that ``connects_to`` accepts like any service: each client gets
    ``<PREFIX>_HOST``, ``_PORT`` (and ``_URL``, or ``_TARGET`` for gRPC, with ``scheme``), the secrets as files,
    and a NetworkPolicy egress rule to that port only, at ``cidrs`` or else any public address (with
    ``Environment(cilium=True)`` a CiliumNetworkPolicy to the host's name instead); in compose a network with a
    route off the host. Props: :class:`ExternalProps`. Nothing is deployed for it."""

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
        named = not self.cidrs and not _is_address(self.host)
        self.private_hint = likely_private(self.host, self.scheme, self._port) if named else None

    def validate(self) -> list[ShipformError]:
        """A host name that only a private resolver answers, without ``cidrs``, outside Cilium: the egress rule
        for public addresses would never reach it."""
        reason = private_only(self.host)
        if self.cidrs or _is_address(self.host) or self.environment.cilium or reason is None:
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

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        return [spec.EnvVar(f"{self.prefix}_HOST", spec.Plain(self.host)),
                spec.EnvVar(f"{self.prefix}_PORT", spec.Plain(str(self._port))),
                *external_address_env(self.prefix, self.scheme, self.host, self._port)]

    def client_secrets(self) -> dict[str, SecretRef]:
        return {f"{self.prefix}_{name}": ref for name, ref in self.secrets.items()}

    def client_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        return ()

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        return spec.Endpoint(self.name, self.namespace, self.app.name, self._port, ports or self.ports(),
                             spec.ExternalAddress(self.host, self.cidrs, self.private_hint))


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


_NAME_THE_RANGE = "name the range the server is at, e.g. the managed database's subnet"
# Names the clouds' resolvers answer with the metadata service's address.
METADATA_NAMES = ("metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
