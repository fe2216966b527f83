"""Cpu and Memory read the full Kubernetes quantity grammar exactly, refuse everything else, and print canonically."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from shipform.errors import ShipformError
from shipform.values.quantity import INT64_MAX, Cpu, Memory

PATH = "shop/prod/api"

# raw, millicores, canonical str(), cores()
CPU_VALID = [
    ("100m", 100, "100m", "0.1"),
    ("250m", 250, "250m", "0.25"),
    ("2500m", 2500, "2500m", "2.5"),
    ("1000m", 1000, "1", "1"),
    ("0.5", 500, "500m", "0.5"),
    (".5", 500, "500m", "0.5"),
    ("5.", 5000, "5", "5"),
    ("1", 1000, "1", "1"),
    ("2", 2000, "2", "2"),
    ("16", 16000, "16", "16"),
    ("007", 7000, "7", "7"),
    ("+1", 1000, "1", "1"),
    ("1.5", 1500, "1500m", "1.5"),
    ("0.001", 1, "1m", "0.001"),
    ("0.0001", 1, "1m", "0.001"),
    ("1001u", 2, "2m", "0.002"),
    ("1u", 1, "1m", "0.001"),
    ("1n", 1, "1m", "0.001"),
    ("1e3", 1_000_000, "1000", "1000"),
    ("1E3", 1_000_000, "1000", "1000"),
    ("1e-3", 1, "1m", "0.001"),
    ("1e+0", 1000, "1", "1"),
    ("0.5e1", 5000, "5", "5"),
    ("1.e1", 10_000, "10", "10"),
    ("2k", 2_000_000, "2000", "2000"),
    ("1Ki", 1_024_000, "1024", "1024"),
    ("1e-2147483648", 1, "1m", "0.001"),
    ("9223372036854775.807", INT64_MAX, f"{INT64_MAX}m", "9223372036854775.807"),
    (1, 1000, "1", "1"),
    (2, 2000, "2", "2"),
]

# raw, bytes, canonical str(), compose()
MEMORY_VALID = [
    ("128Mi", 128 * 2**20, "128Mi", "128M"),
    ("256Mi", 256 * 2**20, "256Mi", "256M"),
    ("1536Mi", 1536 * 2**20, "1536Mi", "1536M"),
    ("1024Mi", 2**30, "1Gi", "1G"),
    ("1Gi", 2**30, "1Gi", "1G"),
    ("1.5Gi", 1536 * 2**20, "1536Mi", "1536M"),
    ("+1Gi", 2**30, "1Gi", "1G"),
    ("100Gi", 100 * 2**30, "100Gi", "100G"),
    ("12Ki", 12 * 2**10, "12Ki", "12K"),
    ("1000Ki", 1_024_000, "1000Ki", "1000K"),
    ("1Ti", 2**40, "1Ti", "1T"),
    ("3Pi", 3 * 2**50, "3Pi", "3072T"),
    ("7Ei", 7 * 2**60, "7Ei", f"{7 * 2**20}T"),
    ("1.0001Ki", 1025, "1025", "1025"),
    ("512M", 512_000_000, "512M", "500000K"),
    ("500M", 500_000_000, "500M", "500000000"),
    ("1G", 10**9, "1G", "1000000000"),
    ("1000M", 10**9, "1G", "1000000000"),
    ("1e9", 10**9, "1G", "1000000000"),
    ("1E3", 1000, "1k", "1000"),
    ("1e3", 1000, "1k", "1000"),
    ("1E", 10**18, "1E", "976562500000000K"),
    ("2048000", 2_048_000, "2048k", "2000K"),
    ("1500", 1500, "1500", "1500"),
    ("1024", 1024, "1Ki", "1K"),
    ("1.5", 2, "2", "2"),
    ("0.5", 1, "1", "1"),
    ("9223372036854775807", INT64_MAX, str(INT64_MAX), str(INT64_MAX)),
    (1500, 1500, "1500", "1500"),
    (2**30, 2**30, "1Gi", "1G"),
]

# Not quantities at all, zero or negative, or beyond what Kubernetes holds: refused for both kinds.
BAD_FOR_BOTH = [
    "", " 1", "1 ", "1\n", "\t", "-1", "-0.5", "0", "0m", "0.0", "-0", "1GB", "1gi", "1KB", "1Mb", "abc",
    "1.2.3", "1x", "1e3m", "1e", "1e1.5", "1E3Gi", "m", "Gi", ".", "+", "1,5", "1_000", "1 Gi", "\u0661",
    "1e2147483648", "1e-2147483649", "1e99999999999",
    0, -2, 1.5, 0.5, True, False, None, [], {}, b"1", Decimal("1"),
]
CPU_BAD = [*BAD_FOR_BOTH, "9223372036854775.808", "1Ei", 9223372036854776]
MEMORY_BAD = [*BAD_FOR_BOTH, "1K", "8Ei", "9223372036854775808", "1e19", 2**63]


@pytest.mark.parametrize(("raw", "millicores", "canonical", "cores"), CPU_VALID)
def test_cpu_parse_gives_millicores_canonical_form_and_cores(raw, millicores, canonical, cores):
    cpu = Cpu.parse(PATH, "resources.cpu", raw)
    assert cpu.millicores == millicores
    assert str(cpu) == canonical
    assert cpu.cores() == cores


@pytest.mark.parametrize("canonical", sorted({row[2] for row in CPU_VALID}))
def test_cpu_canonical_form_parses_back_to_itself(canonical):
    assert str(Cpu.parse(PATH, "resources.cpu", canonical)) == canonical


@pytest.mark.parametrize(("raw", "size", "canonical", "compose"), MEMORY_VALID)
def test_memory_parse_gives_bytes_canonical_form_and_compose_form(raw, size, canonical, compose):
    memory = Memory.parse(PATH, "resources.memory", raw)
    assert memory.bytes == size
    assert str(memory) == canonical
    assert memory.compose() == compose


@pytest.mark.parametrize("canonical", sorted({row[2] for row in MEMORY_VALID}))
def test_memory_canonical_form_parses_back_to_the_same_bytes_and_spelling(canonical):
    memory = Memory.parse(PATH, "resources.memory", canonical)
    assert str(Memory.parse(PATH, "resources.memory", str(memory))) == canonical


@pytest.mark.parametrize(("raw", "fix"), [("128m", "'128Mi'"), ("1m", "'1Mi'"), ("5u", "'5Mi'"), ("2n", "'2M'")])
def test_memory_in_fractions_of_a_byte_is_refused_as_a_mistyped_mi(raw, fix):
    """Kubernetes reads '128m' as 0.128 bytes (rounded up to 1): never what anyone meant."""
    with pytest.raises(ShipformError, match="of a byte") as caught:
        Memory.parse(PATH, "resources.memory", raw)
    assert fix in caught.value.fix


def test_cpu_below_a_millicore_rounds_up_to_one_millicore_as_in_kubernetes():
    assert Cpu.parse(PATH, "resources.cpu", "0.0001") == Cpu(1)
    assert Cpu.parse(PATH, "resources.cpu", "1e-30") == Cpu(1)


@pytest.mark.parametrize("raw", CPU_BAD, ids=repr)
def test_cpu_parse_refuses_with_error_naming_path_prop_and_fix(raw):
    with pytest.raises(ShipformError) as caught:
        Cpu.parse(PATH, "resources.cpu", raw)
    err = caught.value
    assert (err.path, err.prop, err.value) == (PATH, "resources.cpu", raw)
    assert err.problem.startswith("must be a positive CPU quantity like '250m', '0.5' or '2'")
    assert "millicores ('250m')" in err.fix
    assert str(err).startswith(f"{PATH}: 'resources.cpu' must be a positive CPU quantity")
    assert "Fix: " in str(err)


@pytest.mark.parametrize("raw", MEMORY_BAD, ids=repr)
def test_memory_parse_refuses_with_error_naming_path_prop_and_fix(raw):
    with pytest.raises(ShipformError) as caught:
        Memory.parse(PATH, "resources.memory", raw)
    err = caught.value
    assert (err.path, err.prop, err.value) == (PATH, "resources.memory", raw)
    assert err.problem.startswith("must be a positive memory quantity like '256Mi', '1Gi' or '512M'")
    assert "'512Mi'" in err.fix
    assert str(err).startswith(f"{PATH}: 'resources.memory' must be a positive memory quantity")
    assert "Fix: " in str(err)


@pytest.mark.parametrize(
    ("kind", "raw", "limit"),
    [(Cpu, "9223372036854775.808", f"at most {INT64_MAX}m"), (Memory, "8Ei", f"at most {INT64_MAX} bytes")],
)
def test_too_large_quantity_error_names_the_int64_limit(kind, raw, limit):
    with pytest.raises(ShipformError, match=limit):
        kind.parse(PATH, "size", raw)


def test_error_message_shows_the_value_given():
    with pytest.raises(ShipformError, match=r"got '1GB'\. Fix: "):
        Memory.parse(PATH, "storage", "1GB")


@pytest.mark.parametrize("spelling", ["1Gi", "1024Mi", "1048576Ki", "1073741824", 2**30, "1.073741824G"])
def test_memory_equality_and_hash_ignore_the_spelling(spelling):
    memory = Memory.parse(PATH, "resources.memory", spelling)
    assert memory == Memory(2**30) == Memory(2**30, "binary")
    assert hash(memory) == hash(Memory(2**30))


def test_memory_spelling_family_only_changes_printing():
    binary = Memory.parse(PATH, "resources.memory", "1000Ki")
    decimal = Memory.parse(PATH, "resources.memory", "1024k")
    assert binary == decimal
    assert (str(binary), str(decimal)) == ("1000Ki", "1024k")


@pytest.mark.parametrize("spelling", ["0.5", ".5", "500m", "5e-1", "500000u"])
def test_cpu_equality_and_hash_ignore_the_spelling(spelling):
    cpu = Cpu.parse(PATH, "resources.cpu", spelling)
    assert cpu == Cpu(500)
    assert hash(cpu) == hash(Cpu(500))


def test_cpu_orders_by_millicores():
    raws = ["2", "100m", "1.5", "250m", "1"]
    ordered = sorted(Cpu.parse(PATH, "cpu", raw) for raw in raws)
    assert [str(cpu) for cpu in ordered] == ["100m", "250m", "1", "1500m", "2"]
    assert Cpu(999) < Cpu(1000) <= Cpu(1000) < Cpu(1001)


def test_memory_orders_by_bytes_across_binary_and_decimal_units():
    raws = ["1Gi", "512Mi", "1G", "1Ki", "1k"]
    ordered = sorted(Memory.parse(PATH, "memory", raw) for raw in raws)
    assert [str(memory) for memory in ordered] == ["1k", "1Ki", "512Mi", "1G", "1Gi"]
    assert Memory.parse(PATH, "memory", "1G") < Memory.parse(PATH, "memory", "1Gi")


def test_cpu_and_memory_are_never_equal_nor_ordered_against_each_other():
    assert Cpu(1000) != Memory(1000)
    with pytest.raises(TypeError):
        assert Cpu(1000) < Memory(2000)


def test_cpu_addition_and_multiplication_work_on_millicores():
    assert Cpu(250) + Cpu(250) == Cpu(500)
    assert str(Cpu(500) + Cpu(500)) == "1"
    assert Cpu(250) * 3 == 3 * Cpu(250) == Cpu(750)
    assert (Cpu(1500) * 2).cores() == "3"


def test_memory_addition_and_multiplication_work_on_bytes():
    assert Memory.parse(PATH, "m", "256Mi") + Memory.parse(PATH, "m", "256Mi") == Memory(512 * 2**20)
    assert Memory(2**20) * 3 == 3 * Memory(2**20) == Memory(3 * 2**20)


@pytest.mark.parametrize(
    ("left", "right", "total"),
    [("256Mi", "256Mi", "512Mi"), ("512Mi", "512Mi", "1Gi"), ("500M", "500M", "1G"), ("1Gi", "1G", "2073741824")],
)
def test_memory_sum_prints_in_the_family_both_sides_share(left, right, total):
    assert str(Memory.parse(PATH, "m", left) + Memory.parse(PATH, "m", right)) == total


def test_memory_product_keeps_its_spelling_family():
    assert str(Memory.parse(PATH, "m", "1000Ki") * 2) == "2000Ki"
    assert str(2 * Memory.parse(PATH, "m", "512M")) == "1024M"


@pytest.mark.parametrize("other", [1, 1.5, "1", None, Memory(1)], ids=repr)
def test_cpu_adds_only_cpu(other):
    with pytest.raises(TypeError):
        Cpu(1) + other


@pytest.mark.parametrize("other", [1, 1.5, "1", None, Cpu(1)], ids=repr)
def test_memory_adds_only_memory(other):
    with pytest.raises(TypeError):
        Memory(1) + other


@pytest.mark.parametrize("kind", [Cpu, Memory])
@pytest.mark.parametrize("factor", [1.5, True, "2", Decimal(2)], ids=repr)
def test_multiplication_takes_only_an_int(kind, factor):
    with pytest.raises(TypeError):
        kind(1) * factor
    with pytest.raises(TypeError):
        factor * kind(1)


@pytest.mark.parametrize("kind", [Cpu, Memory])
@pytest.mark.parametrize("amount", [0, -1, INT64_MAX + 1, True, 1.0, "1"], ids=repr)
def test_constructor_refuses_amounts_kubernetes_cannot_hold(kind, amount):
    with pytest.raises(ValueError):
        kind(amount)


@pytest.mark.parametrize("kind", [Cpu, Memory])
def test_multiplying_to_zero_or_past_int64_is_refused(kind):
    with pytest.raises(ValueError):
        kind(1) * 0
    with pytest.raises(ValueError):
        kind(INT64_MAX) * 2


def test_values_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Cpu(1).millicores = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Memory(1).bytes = 2  # type: ignore[misc]
