"""Values are checked by the exact rule, and the ways that rule went wrong cannot come back.

- Patterns are matched whole: ``re.match(r"^...$", v)`` (or ``Pattern.match``) also takes ``v + "\\n"``, so the
  package matches through ``checks.exact``/``checks.matches`` (``re.fullmatch``), and the source is read (with
  ``ast``) for calls named ``match`` and for patterns that end in ``$``.
- Digits are ASCII: ``str.isdigit()``, ``isdecimal()``, ``isnumeric()`` and ``\\d`` take superscripts and
  Arabic-Indic digits.
- The checks themselves, on values drawn by hypothesis: every valid value with a newline after it, or with a
  digit that is not ASCII in it, is refused; egress ranges are refused in every spelling (split, superset,
  IPv4-mapped, NAT64) and public ranges pass.
"""

from __future__ import annotations

import ast
import functools
import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings

from shipform.errors import ShipformError
from shipform.values import addresses, checks
from unit import hostile_values as hv

PACKAGE = Path(checks.__file__).resolve().parents[1]
# Prefix matches that read no value of an app: a requirements line's name, and a YAML scalar already known to be
# one line of printable ASCII.
PREFIX_MATCHES = {("model/native_packages.py", "_REQUIREMENT"), ("write/yaml_dump.py", "_NOT_PLAIN")}
PATTERN_FUNCTIONS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer",
                     "exact", "matches"}
UNICODE_DIGIT_METHODS = {"isdigit", "isdecimal", "isnumeric"}


@functools.cache
def _sources() -> list[tuple[str, ast.AST]]:
    return [(p.relative_to(PACKAGE).as_posix(), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(PACKAGE.rglob("*.py"))]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _multiline(call: ast.Call) -> bool:
    """Whether the call passes re.MULTILINE, where '$' is meant to match at each line's end."""
    return any("MULTILINE" in ast.unparse(arg) or ast.unparse(arg).endswith(".M") for arg in
               [*call.args[1:], *(k.value for k in call.keywords)])


def _pattern(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def test_no_pattern_is_matched_at_its_start_only():
    found = []
    for file, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) == "match":
                owner = ast.unparse(node.func).rsplit(".", 1)[0]
                if (file, owner) not in PREFIX_MATCHES:
                    found.append(f"{file}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "use checks.exact/checks.matches (re.fullmatch) instead:\n" + "\n".join(found)


def test_no_pattern_ends_in_a_dollar():
    found = []
    for file, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in PATTERN_FUNCTIONS:
                pattern = _pattern(node)
                if pattern is not None and pattern.endswith("$") and not pattern.endswith("\\$") \
                        and not _multiline(node):
                    found.append(f"{file}:{node.lineno}: {pattern!r}")
    assert not found, "'$' also matches before a final newline: match whole (checks.exact) or use \\Z:\n" + \
        "\n".join(found)


def test_digits_are_ascii():
    found = []
    for file, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in UNICODE_DIGIT_METHODS and isinstance(node.func,
                                                                                                ast.Attribute):
                found.append(f"{file}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.Call) and _name(node) in PATTERN_FUNCTIONS:
                pattern = _pattern(node)
                if pattern is not None and "\\d" in pattern:
                    found.append(f"{file}:{node.lineno}: {pattern!r}")
    assert not found, "str.isdigit() and \\d take Unicode digits: use [0-9]:\n" + "\n".join(found)


# ------------------------------------------------------------------------------------------- the checks themselves
@pytest.mark.slow
@settings(max_examples=60, database=None, deadline=None)
@given(case=hv.valid_values(), twist=hv.twists())
def test_a_valid_value_with_a_twist_is_refused(case, twist):
    """Each checker takes its valid value, and refuses it with a trailing newline or a Unicode digit in it."""
    check, value = case
    check(value)
    bad = twist(value)
    if bad == value:  # a twist that found no digit to replace
        return
    with pytest.raises(ShipformError):
        check(bad)


@pytest.mark.slow
@settings(max_examples=80, database=None, deadline=None)
@given(ranges=hv.forbidden_egress())
def test_forbidden_egress_is_refused_in_every_spelling(ranges):
    with pytest.raises(ShipformError):
        addresses.egress_ranges("shop/dev/pay", "cidrs", ranges, "'203.0.113.0/24'", "name the range")


@pytest.mark.slow
@settings(max_examples=80, database=None, deadline=None)
@given(ranges=hv.public_egress())
def test_public_ranges_pass_as_ipaddress_writes_them(ranges):
    assert addresses.egress_ranges("shop/dev/pay", "cidrs", ranges, "'x'", "x") == \
        tuple(str(ipaddress.ip_network(r)) for r in ranges)


@settings(max_examples=40, database=None, deadline=None)
@given(address=hv.forbidden_addresses())
def test_forbidden_host_addresses_are_refused(address):
    with pytest.raises(ShipformError):
        addresses.egress_address("shop/dev/pay", "host", address, "x")


def test_the_spellings_of_a_range_reach_ipv4():
    assert [str(n) for n in addresses.spellings(ipaddress.ip_network("::ffff:a9fe:0/112"))] == \
        ["::ffff:a9fe:0/112", "169.254.0.0/16"]
    assert [str(n) for n in addresses.spellings(ipaddress.ip_network("64:ff9b::/95"))] == \
        ["64:ff9b::/95", "0.0.0.0/0"]


def test_every_value_object_answers_an_unknown_keyword_with_a_shipform_error():
    """No value object of the public API raises Python's TypeError for a keyword it does not have: it keeps the
    keyword for the construct's check (path and prop), or, when it cannot be built without it, says so at once."""
    import dataclasses

    import shipform
    from shipform.values.value_object import unknown_fields

    classes = [getattr(shipform, n) for n in shipform.__all__ if dataclasses.is_dataclass(getattr(shipform, n))]
    assert len(classes) >= 30
    for cls in classes:
        try:
            value = cls(nmae="x")
        except ShipformError as err:
            assert (err.path, err.prop) == (cls.__name__, "nmae"), cls
        else:
            assert unknown_fields(value) == {"nmae": "x"}, cls
