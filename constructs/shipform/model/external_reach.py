"""Can a client reach an External given by host name alone? Without ``cidrs`` its NetworkPolicy egress goes to
public addresses only, so a name that resolves to a private address (a managed database inside the VPC) is
unreachable. Names that can only be private are refused; names that are likely private get a note (printed by
synth and written on the clients' NetworkPolicies). A name under the Environment's Cilium gets a toFQDNs rule,
which follows whatever the name resolves to, so neither applies there."""

from __future__ import annotations

from shipform.model.engines import ENGINES

PRIVATE_ONLY = ("local", "localhost", "internal", "home.arpa", "localdomain", "lan", "intranet", "corp", "home",
                "private", "svc")
"""Suffixes no public resolver answers for: special-use names (RFC 6761 .localhost, RFC 6762 .local, RFC 8375
.home.arpa, ICANN's .internal for private use: EC2's and GCE's own names), Kubernetes' .svc (.cluster.local is
under .local), and the private suffixes networks commonly use (.lan, .corp, .home, .intranet, .private,
.localdomain)."""

MANAGED_IN_VPC = ("rds.amazonaws.com", "cache.amazonaws.com", "docdb.amazonaws.com", "redshift.amazonaws.com",
                  "memorydb.amazonaws.com", "neptune.amazonaws.com")
"""Endpoints of managed data services that usually resolve to an address inside the VPC (RDS, ElastiCache,
DocumentDB, Redshift, MemoryDB, Neptune); some can be made public, so these are a note, not an error."""

DATABASE_SCHEMES = frozenset({e.url_scheme for e in ENGINES.values()}
                             | {e.tls.url_scheme for e in ENGINES.values() if e.tls is not None}
                             | {"postgres", "mariadb", "mongodb+srv"})
DATABASE_PORTS = frozenset(e.port for e in ENGINES.values())


def _under(host: str, suffixes: tuple[str, ...]) -> str | None:
    return next((s for s in suffixes if host == s or host.endswith("." + s)), None)


def private_only(host: str) -> str | None:
    """Why the DNS name ``host`` can only resolve to private addresses, or None."""
    if "." not in host:
        return "is a single-label name, which only a private resolver answers"
    suffix = _under(host, PRIVATE_ONLY)
    return None if suffix is None else f"ends in '.{suffix}', which only a private resolver answers"


def likely_private(host: str, scheme: str | None, port: int) -> str | None:
    """Why the DNS name ``host`` (of a server reached with ``scheme`` on ``port``) likely resolves to a private
    address, or None (a public API's name: the normal case)."""
    suffix = _under(host, MANAGED_IN_VPC)
    if suffix is not None:
        return f"is a managed service's endpoint (*.{suffix}), which usually resolves inside the VPC"
    if "privatelink" in host.split("."):
        return "is a private link endpoint, which resolves inside the network"
    if scheme in DATABASE_SCHEMES:
        return f"is a database (scheme '{scheme}'), which usually runs in a private network"
    if port in DATABASE_PORTS:
        return f"is a database (port {port}), which usually runs in a private network"
    return None
