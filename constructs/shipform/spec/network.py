"""A workload as a network peer: its ports, the peers it connects to, how its Service is reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipform.spec.facet import Facet
from shipform.spec.labels import selector


@dataclass(frozen=True)
class Port:
    name: str
    number: int
    app_protocol: str | None = None
    """The Service port's appProtocol (meshes, gateways and load balancers read it); None leaves it out."""


@dataclass(frozen=True)
class ExternalAddress:
    """A server outside the cluster: its host, and the address ranges it may be at (empty: any public one)."""

    host: str
    cidrs: tuple[str, ...] = ()
    private_hint: str | None = None
    """Why a host name without ``cidrs`` likely resolves to a private address, which egress to public addresses
    would not reach: synth says so, and the clients' NetworkPolicies carry it, unless Cilium reaches it by name."""


@dataclass(frozen=True)
class PlatformPeer:
    """Pods of a cluster component (not of the app) a workload admits on some of its ports: KEDA's operator
    reading a queue's length, a mesh's control plane."""

    namespace: str
    pods: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]
    identity: str | None = None
    """The service account its pods run as, where they are in the workload's mesh: the mesh admits them by that
    identity over mutual TLS. None: outside the mesh, so a meshed workload takes plain text from them on ``ports``."""
    plain_text_reason: str | None = None
    """Why a meshed workload takes plain text from these pods (outside the mesh), written on the mesh's object that
    allows it; None where nothing had to say why."""


@dataclass(frozen=True)
class Endpoint:
    """A workload as a network peer: where it runs and, for servers, the port it is reached on."""

    name: str
    namespace: str
    app: str
    port: int | None
    ports: tuple[Port, ...] = ()
    """The ports this connection uses: of the server, seen from a client; of this server, seen from it. Empty
    for peers without a port."""
    external: ExternalAddress | None = None
    """Set for a server outside the cluster (an External): reached by address, never by pod selector."""
    with_canary: bool = False
    """The peer also runs as ``<name>-canary`` (a routed canary's new version), which servers admit alike."""
    through: PlatformPeer | None = None
    """Set for a server that clients reach through a gateway (a Knative service): their egress goes there."""
    pods: tuple[tuple[str, str], ...] = ()
    """The labels its pods are picked by where an operator makes them (spec.Workload.pods); empty: shipform's."""
    local: bool = True
    """False for a peer compose does not run (a Knative Broker): no network or start order to it there."""

    @property
    def names(self) -> tuple[str, ...]:
        """The workload names this peer runs as in Kubernetes."""
        return (self.name, f"{self.name}-canary") if self.with_canary else (self.name,)

    @property
    def selector(self) -> dict[str, str]:
        return dict(self.pods) if self.pods else selector(self.app, self.name)


ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]


@dataclass(frozen=True)
class ServiceAccess(Facet):
    """How the Service is reached from outside the cluster, by NodePort or LoadBalancer, then only from
    ``source_ranges`` (empty: anywhere), keeping the client's address (externalTrafficPolicy Local). A workload
    without it is reached inside the cluster alone (ClusterIP)."""

    type: ServiceType = "ClusterIP"
    source_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class EgressToInternet:
    """Traffic that leaves the cluster (e.g. to an object store), on one TCP port only: to ``cidrs``, or to any
    public address."""

    port: int
    cidrs: tuple[str, ...] = ()
    destination: str = ""
    """What is reached there, as people name it ('s3://acme-shop-backups'); a picture of the system shows it, no
    rule depends on it."""


@dataclass(frozen=True)
class InternetEgress(Facet):
    """The workload reaches the internet directly (e.g. an object store), each rule on one TCP port."""

    to: tuple[EgressToInternet, ...]


@dataclass(frozen=True)
class PlatformClients(Facet):
    """Cluster components admitted besides the declared clients (KEDA's operator on a queue it measures,
    Knative's gateway, activator and autoscaler on a serverless service)."""

    peers: tuple[PlatformPeer, ...]
