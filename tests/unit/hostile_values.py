"""Hypothesis strategies for values that must be refused, next to the valid values they are made from.

- ``valid_values()`` draws (check, value): a checker of shipform (raising ShipformError on a bad value) and a
  value it takes; ``twists()`` draws what turns a valid value bad without changing how it looks: a newline after
  it (``re.match`` with ``$`` took it) or one ASCII digit replaced by a Unicode digit of the same value (a
  superscript, an Arabic-Indic or a fullwidth digit; ``str.isdigit()`` and ``\\d`` took them).
- ``forbidden_egress()`` draws lists of ranges no egress rule may have, in every spelling: a metadata, link-local
  or loopback range, a range inside it or around it, each also as IPv4-mapped or NAT64 IPv6, placed among public
  ranges; and the whole IPv4 or IPv6 space split into pieces. ``public_egress()`` draws lists that pass.
- ``forbidden_addresses()`` draws single addresses (an External's host) inside a forbidden range, in any spelling.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from hypothesis import strategies as st

from shipform.errors import ShipformError
from shipform.model.build import Build
from shipform.values import addresses, checks
from shipform.values.cron import validate_schedule
from shipform.values.quantity import Cpu, Memory

P = "shop/dev/api"
UNICODE_DIGITS = ("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",
                  *("".join(chr(zero + i) for i in range(10)) for zero in (0x0660, 0x0966, 0xFF10, 0x1D7CE)))
"""Digits str.isdigit() takes besides 0-9: superscripts, Arabic-Indic, Devanagari, fullwidth, mathematical bold."""


def _holds(predicate: Callable[[str], bool]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not predicate(value):
            raise ShipformError(P, "value", "is refused", value)
    return check


def _mount(value: str) -> None:
    _holds(checks.is_plain_path)(value)
    checks.mount_point(P, "files", value)


def _python_version(value: str) -> None:
    Build.python("py", ["x"], version=value).validate(P)


def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


HEX = "0123456789abcdef"
CHECKS: list[tuple[Callable[[str], object], st.SearchStrategy[str]]] = [
    (lambda v: checks.dns_label(P, "id", v), _regex(r"[a-z]([-a-z0-9]{0,20}[a-z0-9])?")),
    (lambda v: checks.dns_name(P, "host", v), _regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,3}")),
    (lambda v: checks.env_name(P, "env", v), _regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}")),
    (lambda v: checks.sql_name(P, "database", v), _regex(r"[a-z_][a-z0-9_-]{0,20}")),
    (lambda v: checks.go_duration(P, "refresh_interval", v), _regex(r"[1-9][0-9]{0,3}(ms|s|m|h)")),
    (lambda v: checks.kubectl_version(P, "kubectl_version", v), _regex(r"v1\.[0-9]{1,2}\.[0-9]{1,2}")),
    (lambda v: checks.image_ref(P, "image", v),
     _regex(r"([a-z0-9]{1,8}\.[a-z]{2,4}(:[0-9]{2,5})?/)?[a-z0-9]{1,8}(/[a-z0-9]{1,8})?:[0-9]{1,2}\.[0-9]{1,2}")),
    (lambda v: checks.digest(P, "digest", v), st.text(HEX, min_size=64, max_size=64).map(lambda h: f"sha256:{h}")),
    (lambda v: checks.port_name(P, "ports", v), _regex(r"[a-z]([a-z0-9]{0,6}-)?[a-z0-9]{1,6}")),
    (_mount, _regex(r"(/[a-z][a-z0-9._-]{0,8}){1,3}").filter(lambda p: not p.startswith(("/proc", "/sys")))),
    (_holds(checks.is_label_value), _regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?")),
    (_holds(checks.is_qualified_name),
     _regex(r"([a-z0-9]{1,8}\.[a-z]{2,4}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?")),
    (lambda v: Cpu.parse(P, "resources.cpu", v), _regex(r"[1-9][0-9]{0,2}m|[1-9]|0\.[1-9]")),
    (lambda v: Memory.parse(P, "resources.memory", v), _regex(r"[1-9][0-9]{0,3}(Mi|Gi|M|G)")),
    (lambda v: validate_schedule(P, "schedule", v),
     st.sampled_from(("0 3 * * *", "*/15 * * * *", "30 2 * * 1-5", "5,35 * * * *", "59 23 31 12 6"))),
    (_python_version, _regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}")),
]


@st.composite
def valid_values(draw) -> tuple[Callable[[str], object], str]:
    check, values = draw(st.sampled_from(CHECKS))
    return check, draw(values)


def _newline(value: str) -> str:
    return value + "\n"


@st.composite
def _unicode_digit(draw) -> Callable[[str], str]:
    digits = draw(st.sampled_from(UNICODE_DIGITS))
    pick = draw(st.integers(0, 1000))

    def twist(value: str) -> str:
        places = [i for i, c in enumerate(value) if c in "0123456789"]
        if not places:
            return value
        i = places[pick % len(places)]
        return value[:i] + digits[int(value[i])] + value[i + 1:]
    return twist


def twists() -> st.SearchStrategy[Callable[[str], str]]:
    return st.one_of(st.just(_newline), _unicode_digit())


# ------------------------------------------------------------------------------------------------ egress ranges
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORBIDDEN = [n for _, n in addresses.NOT_REACHABLE]
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
PUBLIC = [ipaddress.ip_network(n) for n in ("203.0.113.0/24", "198.51.100.0/24", "8.8.8.0/24", "10.40.0.0/16",
                                             "192.168.0.0/16", "172.16.0.0/12", "52.94.0.0/20", "2001:db8::/32",
                                             "2600:1f18::/36", "fd12:3456::/48")]


def _in_ipv6(network: ipaddress.IPv4Network, prefix: ipaddress.IPv6Network) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network((int(prefix.network_address) + int(network.network_address), 96 + network.prefixlen))


@st.composite
def _spelled(draw, network: Network) -> str:
    """``network`` as it is, as IPv4-mapped or NAT64 IPv6 (an IPv4 one), or with a netmask (an IPv4 one)."""
    if isinstance(network, ipaddress.IPv6Network):
        return str(network)
    how = draw(st.sampled_from(("plain", "mapped", "nat64", "netmask")))
    if how == "mapped":
        return str(_in_ipv6(network, MAPPED))
    if how == "nat64":
        return str(_in_ipv6(network, NAT64))
    return network.with_netmask if how == "netmask" else str(network)


@st.composite
def _near(draw, network: Network) -> Network:
    """A range inside ``network`` or around it (a superset up to a /2, or an IPv6 /2)."""
    if draw(st.booleans()):
        longest = network.max_prefixlen
        return next(network.subnets(new_prefix=draw(st.integers(network.prefixlen, min(longest, network.prefixlen
                                                                                            + 16)))))
    return network.supernet(new_prefix=draw(st.integers(min(2, network.prefixlen), network.prefixlen)))


@st.composite
def _public(draw) -> Network:
    network = draw(st.sampled_from(PUBLIC))
    return next(network.subnets(new_prefix=draw(st.integers(network.prefixlen, network.prefixlen + 8))))


@st.composite
def forbidden_egress(draw) -> list[str]:
    """A list of ranges with one forbidden entry among public ones, or a whole address space in pieces."""
    if draw(st.integers(0, 3)) == 0:
        whole = draw(st.sampled_from((ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))))
        pieces = list(whole.subnets(prefixlen_diff=draw(st.integers(1, 3))))
        return [draw(_spelled(p)) for p in draw(st.permutations(pieces))]
    bad = draw(_near(draw(st.sampled_from(FORBIDDEN))))
    ranges = [str(draw(_public())) for _ in range(draw(st.integers(0, 2)))]
    ranges.insert(draw(st.integers(0, len(ranges))), draw(_spelled(bad)))
    return ranges


@st.composite
def public_egress(draw) -> list[str]:
    """One to three public or private ranges, some in netmask notation or as NAT64 IPv6: all pass."""
    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        network = draw(_public())
        if isinstance(network, ipaddress.IPv4Network) and draw(st.booleans()):
            ranges.append(draw(st.sampled_from((network.with_netmask, str(_in_ipv6(network, NAT64))))))
        else:
            ranges.append(str(network))
    return ranges


@st.composite
def forbidden_addresses(draw) -> str:
    """One address inside a forbidden range, as IPv4, IPv4-mapped or NAT64 IPv6, or IPv6."""
    network = draw(st.sampled_from(FORBIDDEN))
    address = network.network_address + draw(st.integers(0, network.num_addresses - 1))
    if isinstance(address, ipaddress.IPv4Address):
        how = draw(st.sampled_from(("plain", "mapped", "nat64")))
        if how != "plain":
            prefix = MAPPED if how == "mapped" else NAT64
            return str(ipaddress.IPv6Address(int(prefix.network_address) + int(address)))
    return str(address)
