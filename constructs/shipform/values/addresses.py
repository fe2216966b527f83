"""The addresses a workload may be let out to (``External(host=..., cidrs=...)``, ``S3Target(cidrs=...)``): never
the node itself or a cloud's metadata service, and never a catch-all, in whatever spelling; and the ranges a rule for
"any public address" leaves out (:data:`NOT_PUBLIC`, the table of docs/guide/external.md).

The rule, per prop (docs/guide/external.md):

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
    ("Azure's host address, whose WireServer hands out the node's configuration",
     ipaddress.ip_network("168.63.129.16/32")),
    ("the IPv6 link-local range", ipaddress.ip_network("fe80::/10")),
    ("the IPv6 loopback and unspecified addresses (the pod itself)", ipaddress.ip_network("::/127")),
    ("AWS's IPv6 metadata service", ipaddress.ip_network("fd00:ec2::254/128")),
)
"""Ranges no egress rule may reach: (what it is, the range)."""

NOT_PUBLIC: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network' (RFC 1122)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared, carrier-grade NAT (RFC 6598); Alibaba Cloud's metadata service is in it"),
    ("127.0.0.0/8", "loopback"),
    ("168.63.129.16/32", "Azure's host address (DNS, DHCP, the WireServer)"),
    ("169.254.0.0/16", "link-local, where cloud metadata services answer (169.254.169.254)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"),
    ("192.88.99.0/24", "the former 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112), with the limited broadcast 255.255.255.255"),
    ("::/128", "the unspecified address"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291), which no packet carries"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/23", "IETF protocol assignments, Teredo among them (RFC 2928)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2002::/16", "6to4, which carries IPv4 addresses (RFC 3056, deprecated by RFC 7526)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "SRv6 segment identifiers (RFC 9602)"),
    ("fc00::/7", "unique local, private (RFC 4193); AWS's IPv6 metadata service is in it"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "the former site-local (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)
"""Where no server on the internet is: (range, what it is), from IANA's IPv4 and IPv6 special-purpose registries
(the ranges not globally reachable), multicast, and the cloud's own host addresses. A rule for "any public
address" is ``0.0.0.0/0`` and ``::/0`` without these (:func:`public_except`)."""

MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HALF = {4: 2**31, 6: 2**127}


def public_except(version: int) -> list[str]:
    """The ranges a rule for every public IPv``version`` address leaves out: :data:`NOT_PUBLIC`'s, and for IPv6
    also each IPv4 one in the NAT64 prefix, through which a NAT64 gateway reaches it. The NAT64 spellings of
    public IPv4 addresses stay public: an IPv6-only cluster reaches IPv4-only servers through them."""
    ranges = [ipaddress.ip_network(cidr) for cidr, _ in NOT_PUBLIC]
    left_out = [n for n in ranges if n.version == version]
    if version == 6:
        left_out += [ipaddress.IPv6Network((int(NAT64.network_address) + int(n.network_address), 96 + n.prefixlen))
                     for n in ranges if n.version == 4]
    return [str(n) for n in sorted(left_out, key=lambda n: (int(n.network_address), n.prefixlen))]


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


BEGIN = "<!-- public addresses: generated by `python -m shipform.values.addresses`; do not edit -->"
END = "<!-- public addresses: end -->"


def markdown() -> str:
    """The table of :data:`NOT_PUBLIC` in docs/guide/external.md, between its markers."""
    rows = ["| range | what it is |", "| --- | --- |", *(f"| `{cidr}` | {what} |" for cidr, what in NOT_PUBLIC),
            "| `64:ff9b::<IPv4 range>` | each IPv4 range above in the NAT64 prefix (`64:ff9b::a9fe:0/112` is "
            "169.254.0.0/16); the prefix's public addresses stay reachable, for IPv6-only clusters |"]
    return "\n".join([BEGIN, *rows, END])


if __name__ == "__main__":
    print(markdown())
