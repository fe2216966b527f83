"""CPU and memory amounts, parsed once from Kubernetes resource quantities.

The grammar is Kubernetes' own (k8s.io/apimachinery/pkg/api/resource)::

    <quantity> ::= <signedNumber><suffix>
    <number>   ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei                 (binary SI)
                 | n | u | m | "" | k | M | G | T | P | E     (decimal SI)
                 | e<signedInteger> | E<signedInteger>        (decimal exponent)

Numbers are read with exact decimal arithmetic and rounded up to whole millicores (CPU) or
whole bytes (memory), as Kubernetes does. Zero, negative and int64-overflowing amounts are refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from shipform.errors import ShipformError
from shipform.values import checks

Family = Literal["binary", "decimal"]

INT64_MAX = 2**63 - 1
_INT32 = range(-(2**31), 2**31)
# Beyond 10**30 no quantity fits int64 units; below 10**-30 any positive one rounds up to 1 unit.
_MAGNITUDE = 30

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<binary>[KMGTPE]i)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))"
)
_DECIMAL_EXPONENT = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_FACTOR = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}

# Largest first, so the first unit that divides an amount exactly is the one to print.
_BINARY_UNITS = tuple(sorted(_BINARY_FACTOR.items(), key=lambda unit: -unit[1]))
_DECIMAL_UNITS = tuple((suffix, 10**exp) for suffix, exp in reversed(_DECIMAL_EXPONENT.items()) if exp > 0)
_COMPOSE_UNITS = (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10))


@dataclass(frozen=True)
class _Wording:
    """What a user is told when a quantity of one kind is refused."""

    problem: str
    fix: str
    largest: str


_CPU_WORDING = _Wording(
    problem="must be a positive CPU quantity like '250m', '0.5' or '2'",
    fix="write cores ('2', '0.5') or millicores ('250m'): digits with an optional fraction and suffix, no spaces",
    largest=f"{INT64_MAX}m",
)
_MEMORY_WORDING = _Wording(
    problem="must be a positive memory quantity like '256Mi', '1Gi' or '512M'",
    fix="write digits followed by a binary unit (Ki, Mi, Gi, Ti, Pi, Ei) or a decimal one (k, M, G, T, P, E), "
    "e.g. '512Mi'; units are case-sensitive, with no 'B' and no spaces",
    largest=f"{INT64_MAX} bytes",
)


def _exponent(text: str) -> int | None:
    """A decimal exponent, or None outside the int32 range Kubernetes accepts."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 10:
        return None
    value = -int(digits) if text.startswith("-") else int(digits)
    return value if value in _INT32 else None


def _amount(match: re.Match[str]) -> tuple[Decimal, int] | None:
    """The matched quantity as (decimal amount, binary factor); None for an out-of-range exponent."""
    if match["binary"]:
        return Decimal(match["number"]), _BINARY_FACTOR[match["binary"]]
    exponent = _exponent(match["exponent"]) if match["exponent"] else _DECIMAL_EXPONENT[match["decimal"]]
    if exponent is None:
        return None
    return Decimal(f"{match['number']}E{exponent}"), 1


def _round_up(amount: Decimal, factor: int) -> int:
    """``amount * factor`` rounded up to a whole number, exactly; huge amounts come back past INT64_MAX."""
    if amount <= 0:
        return 0
    if amount.adjusted() > _MAGNITUDE:
        return INT64_MAX + 1
    if amount.adjusted() < -_MAGNITUDE:
        return 1
    return math.ceil(Fraction(amount) * factor)


def _units(raw: object, scale: int) -> tuple[int, Family] | None:
    """``raw`` counted in units of 1/scale (int: whole base units), rounded up; None when it is no quantity."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw * scale, "decimal"
    match = checks.exact(_QUANTITY, raw)
    amount = _amount(match) if match else None
    if match is None or amount is None:
        return None
    family: Family = "binary" if match["binary"] else "decimal"
    return _round_up(amount[0], amount[1] * scale), family


def _parse(path: str, prop: str, raw: object, scale: int, wording: _Wording) -> tuple[int, Family]:
    """``raw`` as a positive int64 count of units, or the ShipformError explaining how to write it."""
    units = _units(raw, scale)
    if units is None or units[0] < 1:
        raise ShipformError(path, prop, wording.problem, raw, wording.fix)
    if units[0] > INT64_MAX:
        raise ShipformError(path, prop, f"{wording.problem}, at most {wording.largest}", raw, wording.fix)
    return units


def _check(amount: object) -> None:
    """Constructors take only amounts Kubernetes can hold: ints from 1 to INT64_MAX."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= INT64_MAX:
        raise ValueError(f"a quantity needs an int from 1 to {INT64_MAX}, got {amount!r}")


def _is_count(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _largest_unit(amount: int, units: tuple[tuple[str, int], ...]) -> str | None:
    """``amount`` in the largest of ``units`` that divides it exactly, e.g. '1536Mi'; None when none does."""
    for suffix, size in units:
        if amount % size == 0:
            return f"{amount // size}{suffix}"
    return None


@dataclass(frozen=True, order=True)
class Cpu:
    """An amount of CPU in whole millicores (1000 = one core), always positive.

    Read with ``Cpu.parse`` from a Kubernetes quantity ('250m', '0.5', '2') or an int of cores;
    printed in canonical Kubernetes form by ``str()`` and in cores for compose by ``cores()``.
    """

    millicores: int

    def __post_init__(self) -> None:
        _check(self.millicores)

    @classmethod
    def parse(cls, path: str, prop: str, raw: object) -> Cpu:
        """``raw`` as CPU, rounded up to a whole millicore; a ShipformError for anything else."""
        return cls(_parse(path, prop, raw, 1000, _CPU_WORDING)[0])

    def __str__(self) -> str:
        cores, millis = divmod(self.millicores, 1000)
        return f"{self.millicores}m" if millis else str(cores)

    def cores(self) -> str:
        """Exact decimal count of cores, as compose's ``cpus`` takes it: 500 -> '0.5', 1 -> '0.001'."""
        cores, millis = divmod(self.millicores, 1000)
        return f"{cores}.{millis:03d}".rstrip("0") if millis else str(cores)

    def __add__(self, other: Cpu) -> Cpu:
        if not isinstance(other, Cpu):
            return NotImplemented
        return Cpu(self.millicores + other.millicores)

    def __mul__(self, n: int) -> Cpu:
        if not _is_count(n):
            return NotImplemented
        return Cpu(self.millicores * n)

    __rmul__ = __mul__


@dataclass(frozen=True, order=True)
class Memory:
    """An amount of memory or storage in whole bytes, always positive.

    Read with ``Memory.parse`` from a Kubernetes quantity ('256Mi', '1Gi', '512M') or an int of bytes.
    ``family`` remembers whether it was written with a binary suffix, so ``str()`` can keep that
    spelling; it takes no part in equality or ordering: '1Gi' == '1024Mi' == 1073741824.
    """

    bytes: int
    family: Family = field(default="decimal", compare=False)

    def __post_init__(self) -> None:
        _check(self.bytes)

    @classmethod
    def parse(cls, path: str, prop: str, raw: object) -> Memory:
        """``raw`` as memory, rounded up to a whole byte; a ShipformError for anything else. Fractions of a
        byte ('128m' is 0.128 bytes to Kubernetes) are refused: they are always a mistyped 'Mi'."""
        units = _units(raw, 1)
        if isinstance(raw, str) and raw[-1:] in ("m", "u", "n") and units is not None and units[0] >= 1:
            raise ShipformError(path, prop, "counts thousandths (m), millionths (u) or billionths (n) of a byte",
                                raw, f"write '{raw[:-1]}Mi' for mebibytes or '{raw[:-1]}M' for megabytes")
        return cls(*_parse(path, prop, raw, 1, _MEMORY_WORDING))

    def __str__(self) -> str:
        """Canonical Kubernetes form: the largest exact unit, of the family it was written in first."""
        preferred = (_BINARY_UNITS, _DECIMAL_UNITS) if self.family == "binary" else (_DECIMAL_UNITS, _BINARY_UNITS)
        for units in preferred:
            text = _largest_unit(self.bytes, units)
            if text:
                return text
        return str(self.bytes)

    def compose(self) -> str:
        """Compose/docker form, where K, M, G, T are binary: '1536M'; plain bytes when none divides."""
        return _largest_unit(self.bytes, _COMPOSE_UNITS) or str(self.bytes)

    def __add__(self, other: Memory) -> Memory:
        """The sum keeps the suffix family both sides share, else prints decimal-first."""
        if not isinstance(other, Memory):
            return NotImplemented
        family = self.family if self.family == other.family else "decimal"
        return Memory(self.bytes + other.bytes, family)

    def __mul__(self, n: int) -> Memory:
        if not _is_count(n):
            return NotImplemented
        return Memory(self.bytes * n, self.family)

    __rmul__ = __mul__
