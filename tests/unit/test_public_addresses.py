"""The one table of ranges "any public address" leaves out (values.addresses.NOT_PUBLIC): well formed, holding
every range no egress rule may reach, matching what Python's ``ipaddress`` knows to be not global, and the
table docs/guide/external.md shows. What the NetworkPolicies make of it is asserted in test_security_facts.py."""

from __future__ import annotations

import ipaddress
import itertools

from conftest import REPO
from shipform.values import addresses

NETWORKS = [ipaddress.ip_network(cidr) for cidr, _ in addresses.NOT_PUBLIC]
# The ranges Python's ipaddress calls global, and why they are not public all the same.
BEYOND_PYTHON = {
    **dict.fromkeys(map(ipaddress.ip_network, ["168.63.129.16/32"]), "an address only Azure's own host answers"),
    **dict.fromkeys(map(ipaddress.ip_network, ["192.88.99.0/24", "2002::/16", "fec0::/10"]),
                    "retired (6to4 relays, 6to4, site-local): IANA marks them not globally reachable or N/A"),
    **dict.fromkeys(map(ipaddress.ip_network, ["64:ff9b:1::/48", "3fff::/20", "5f00::/16"]),
                    "registered later than Python 3.11's ipaddress knows (RFC 8215, RFC 9637, RFC 9602)"),
}


def test_the_table_is_sorted_and_its_ranges_do_not_overlap():
    keys = [(n.version, int(n.network_address)) for n in NETWORKS]
    assert keys == sorted(keys)
    for a, b in itertools.pairwise(NETWORKS):
        assert a.version != b.version or not a.overlaps(b), (a, b)


def test_every_range_no_egress_may_reach_is_not_public():
    for what, unreachable in addresses.NOT_REACHABLE:
        same = ipaddress.collapse_addresses(n for n in NETWORKS if n.version == unreachable.version)
        assert any(unreachable.subnet_of(n) for n in same), what


def test_every_range_is_what_python_calls_not_global_or_says_why_not():
    for network in NETWORKS:
        first = network.network_address
        assert (not first.is_global or first.is_multicast) != (network in BEYOND_PYTHON), network


def test_what_python_calls_private_is_in_the_table():
    """Python's own list of non-global ranges (ipaddress.is_private), probed at each range's first address."""
    probes = ["0.0.0.0", "10.0.0.0", "127.0.0.0", "169.254.0.0", "172.16.0.0", "192.0.0.0", "192.0.2.0",
              "192.168.0.0", "198.18.0.0", "198.51.100.0", "203.0.113.0", "240.0.0.0", "255.255.255.255", "::",
              "::1", "::ffff:0:0", "100::", "2001::", "2001:db8::", "2001:10::", "fc00::", "fe80::"]
    for probe in map(ipaddress.ip_address, probes):
        assert probe.is_private
        assert any(probe in n for n in NETWORKS if n.version == probe.version), probe


def test_ipv6_leaves_out_each_ipv4_range_through_nat64_and_nothing_public_of_it():
    v4 = [n for n in NETWORKS if n.version == 4]
    nat64 = [ipaddress.ip_network(c) for c in addresses.public_except(6) if ipaddress.ip_network(c).subnet_of(
        addresses.NAT64)]  # type: ignore[arg-type]
    assert [list(addresses.spellings(n))[1] for n in nat64] == v4
    assert addresses.public_except(4) == [str(n) for n in v4]


def test_the_docs_show_the_table():
    page = (REPO / "docs" / "guide" / "external.md").read_text()
    assert page.count(addresses.BEGIN) == 1 and page.count(addresses.END) == 1
    block = page[page.index(addresses.BEGIN):page.index(addresses.END) + len(addresses.END)]
    assert block == addresses.markdown(), "docs/guide/external.md's table of public addresses is stale: paste " \
        "`python -m shipform.values.addresses`"
