"""What a facet is: a typed value a workload may have besides its core (an exposure, a scaler, a mesh, ...), found
by its type. Facet types are open: a module (or a test) may define its own and register what it contributes to the
outputs; the spec knows none of them here.

A category is a base class between a facet type and :class:`Facet` (e.g. ``Scaling``, which every scaler's facet
derives from): a workload holds at most one facet of each type and of each category, and asking for the category
finds whichever facet of it the workload has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from shipform.values.secret_ref import SecretRef


class Facet:
    """Base of every facet type (frozen dataclasses)."""

    __slots__ = ()

    def secret_refs(self) -> tuple[SecretRef, ...]:
        """The Secret keys the facet's objects name for a component of the platform to read (none by default)."""
        return ()

    def fixed_values(self) -> tuple[tuple[SecretRef, str], ...]:
        """Secret keys among :meth:`secret_refs` whose value shipform knows and a reader checks (a database's user
        name): written as they are, never asked for nor random (none by default)."""
        return ()

    def reader(self) -> str:
        """Who reads :meth:`secret_refs`, as a person looks it up ('' by default: the workload alone)."""
        return ""


F = TypeVar("F")


class Faceted(Protocol):
    """Anything whose facets can be asked for by type: a workload's spec, or a construct's facets before its spec."""

    def facet(self, kind: type[F]) -> F | None:
        """The facet of type (or category) ``kind``, or None."""
        ...


def index_facets(facets: Iterable[Facet]) -> dict[type, Facet]:
    """Each facet by its type and by each category above it, built once per workload (render asks very often)."""
    index: dict[type, Facet] = {}
    for facet in facets:
        for kind in type(facet).__mro__:
            if kind is Facet or kind is object:
                break
            if index.setdefault(kind, facet) is not facet:
                raise ValueError(f"two facets of kind {kind.__name__}: {index[kind]!r} and {facet!r}")
    return index


class FacetSet:
    """Facets found by type, for code that has facets before it has a workload's spec (the quota, from props)."""

    __slots__ = ("_index",)

    def __init__(self, facets: Iterable[Facet]):
        self._index = index_facets(facets)

    def facet(self, kind: type[F]) -> F | None:
        found = self._index.get(kind)
        return found  # type: ignore[return-value]  # indexed by its own type: found is a kind
