"""The addresses a workload may be let out to (``External(host=..., cidrs=...)``, ``S3Target(cidrs=...)``): never
the node itself or a cloud's metadata service, and never a catch-all, in whatever spelling.

The rule, per prop (README, "External servers"):

- every range is read in each spelling that reaches IPv4: an IPv6 range inside the IPv4-mapped prefix
  ``::ffff:0:0/96`` or the NAT64 prefix ``64:ff9b::/96`` stands for the IPv4 range it embeds, and one that holds
  such a prefix whole stands for all of IPv4;
- a range that overlaps a range of :data:`NOT_REACHABLE` (link-local, loopback, "this host", the metadata
  services' addresses) is refused;
- a range, or the ranges of the prop together, that cover half of the IPv4 or of the IPv6 space or more (a /1 or
  wider, or pieces that add up to one) are a catch-all and refused;
- an IPv4-mapped range that passes is still refused: no packet carries that spelling, so a NetworkPolicy rule for
  it would never match; the IPv4 range is the one to write.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from shipform.errors import ShipformError
from shipform.values import checks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NOT_REACHABLE: tuple[tuple[str, Network], ...] = (
    ("the link-local range, where cloud metadata services answer (169.254.169.254)",
     ipaddress.ip_network("169.254.0.0/16")),
    ("the loopback range (the pod itself)", ipaddress.ip_network("127.0.0.0/8")),
    ("the 'this host' range (the pod itself)", ipaddress.ip_network("0.0.0.0/8")),
    ("Alibaba Cloud's metadata service", ipaddress.ip_network("100.100.100.200/32")),
    ("the IPv6 link-local range", ipaddress.ip_network("fe80::/10")),
    ("the IPv6 loopback and unspecified addresses (the pod itself)", ipaddress.ip_network("::/127")),
    ("AWS's IPv6 metadata service", ipaddress.ip_network("fd00:ec2::254/128")),
)
"""Ranges no egress rule may reach: (what it is, the range)."""

MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HALF = {4: 2**31, 6: 2**127}


def is_address(host: str) -> bool:
    """``host`` is an IPv4 or IPv6 address, not a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def spellings(network: Network) -> Iterator[Network]:
    """``network`` and each IPv4 range it stands for through the IPv4-mapped or NAT64 prefix."""
    yield network
    if isinstance(network, ipaddress.IPv6Network):
        for prefix in (MAPPED, NAT64):
            if network.subnet_of(prefix):
                low = int(network.network_address) & 0xFFFFFFFF
                yield ipaddress.IPv4Network((low, network.prefixlen - 96))
            elif network.supernet_of(prefix):
                yield ipaddress.IPv4Network("0.0.0.0/0")


def egress_ranges(path: str, prop: str, values: Sequence[object], example: str, fix: str) -> tuple[str, ...]:
    """Checked ranges (``prop[i]`` in errors), written as ``ipaddress`` writes them; ``example`` shows the CIDR
    notation, ``fix`` says which range to name instead."""
    result: list[str] = []
    covered: dict[int, list[Network]] = {4: [], 6: []}
    for i, value in enumerate(values):
        item = f"{prop}[{i}]"
        network = _network(path, item, value, example)
        for form in spellings(network):
            shown = "" if form == network else f" (as {form})"
            if form.num_addresses >= _HALF[form.version]:
                raise ShipformError(path, item, f"is a catch-all{shown}: it covers half or more of all "
                                    f"IPv{form.version} addresses", value, fix)
            _refuse_unreachable(path, item, value, form, shown, fix)
            covered[form.version].append(form)
            if _size(covered[form.version]) >= _HALF[form.version]:
                raise ShipformError(path, item, f"makes the ranges up to it a catch-all{shown}: together they cover "
                                    f"half or more of all IPv{form.version} addresses", value, fix)
        _refuse_mapped(path, item, value, network)
        result.append(str(network))
    return tuple(result)


def egress_address(path: str, prop: str, value: str, fix: str) -> str:
    """A server's IP address (``value``, which ``ipaddress.ip_address`` reads) as a client reaches it: the rule
    for its /32 or /128. Returned as ``ipaddress`` writes it."""
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise ShipformError(path, prop, "has a zone ('%...'), which means something on one host only", value,
                            "write the address without '%<zone>'")
    network = ipaddress.ip_network(address)
    for form in spellings(network):
        _refuse_unreachable(path, prop, value, form, "" if form == network else f" (as {form})", fix)
    _refuse_mapped(path, prop, value, network, "address")
    return str(address)


def _network(path: str, prop: str, value: object, example: str) -> Network:
    if isinstance(value, str) and "%" in value:  # a zone: ipaddress takes it, NetworkPolicies do not
        raise ShipformError(path, prop, "must be an address range in CIDR notation, without host bits", value,
                            f"write e.g. {example}")
    return checks.cidr(path, prop, value, example)


def _size(networks: list[Network]) -> int:
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks))  # type: ignore[type-var, misc]  # one version per list


def _refuse_unreachable(path: str, prop: str, value: object, form: Network, shown: str, fix: str) -> None:
    for what, unreachable in NOT_REACHABLE:
        if form.version == unreachable.version and form.overlaps(unreachable):
            raise ShipformError(path, prop, f"reaches {unreachable}{shown}, {what}", value, fix)


def _refuse_mapped(path: str, prop: str, value: object, network: Network, what: str = "range") -> None:
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(MAPPED):
        ipv4 = list(spellings(network))[1]
        raise ShipformError(path, prop, f"is an IPv4-mapped IPv6 {what}, which no packet carries: a NetworkPolicy "
                            "rule for it never matches", value,
                            f"write the IPv4 {what}, {ipv4.network_address if what == 'address' else ipv4}")
