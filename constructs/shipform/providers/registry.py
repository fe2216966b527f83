"""The table a family of providers is registered in: names, lookup, and the error a wrong name gets."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from shipform.errors import ShipformError


class Named(Protocol):
    @property
    def name(self) -> str:
        """The provider's name as props spell it ('istio', 'argocd')."""
        ...


P = TypeVar("P", bound=Named)


class Registry(Generic[P]):
    """Providers of one family by name, in registration order (which docs and errors list them in)."""

    def __init__(self, family: str, providers: Iterable[P] = ()):
        self.family = family
        self._providers: dict[str, P] = {}
        for provider in providers:
            self.register(provider)

    def register(self, provider: P) -> P:
        """Adds ``provider`` under its name; a second provider of the same name is a programming error."""
        if provider.name in self._providers:
            raise ValueError(f"a {self.family} provider named {provider.name!r} is already registered")
        self._providers[provider.name] = provider
        return provider

    def unregister(self, name: str) -> None:
        """Removes a provider (tests that register their own take it out again)."""
        del self._providers[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._providers)

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __iter__(self) -> Iterator[P]:
        return iter(self._providers.values())

    def __getitem__(self, name: str) -> P:
        """The provider a spec names (already checked by the model when the spec was made)."""
        return self._providers[name]

    def choose(self, path: str, prop: str, name: object) -> P:
        """The provider ``name`` picks for the construct at ``path``, or the error that lists the registered ones
        with the nearest match."""
        if isinstance(name, str) and name in self._providers:
            return self._providers[name]
        known = ", ".join(repr(n) for n in self._providers)
        close = difflib.get_close_matches(str(name), list(self._providers), n=1, cutoff=0.6)
        fix = f"did you mean {close[0]!r}? " if close else ""
        raise ShipformError(path, prop, f"must be one of {known}", name, f"{fix}pass one of {known}")
