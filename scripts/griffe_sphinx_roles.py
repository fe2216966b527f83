"""A griffe extension for the documentation site (mkdocs.yml): the docstrings' Sphinx roles as Markdown.

The package's docstrings name other objects with Sphinx roles (``:class:`Issuer```, ``:meth:`http```,
``:data:`shipform.model.fluent_bit.IMAGE```), which Markdown would show as they are typed. Each becomes inline code,
and a link to its reference entry when it names a public name of ``shipform`` (its ``__all__``), the entries the
reference pages document."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|obj|exc):`~?(?P<target>[\w.]+)(?:\(\))?`")


def markdown(text: str, public: frozenset[str]) -> str:
    """``text`` with each Sphinx role written as Markdown: a link to ``shipform.<Name>`` for a public name."""

    def one(found: re.Match[str]) -> str:
        target = found["target"]
        name = target.rsplit(".", 1)[-1]
        if name in public:
            return f"[`{name}`][shipform.{name}]"
        return f"`{name if found[0].startswith((':meth:`', ':attr:`')) else target}`"

    return ROLE.sub(one, text)


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of the package once it is loaded, when its public names are known."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        exported = pkg.exports or ()
        public = frozenset(name if isinstance(name, str) else name.name for name in exported)
        for obj in walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = markdown(obj.docstring.value, public)


def walk(obj: griffe.Object) -> list[griffe.Object]:
    """``obj`` and every object defined inside it (aliases, which point elsewhere, left out)."""
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(walk(member))  # type: ignore[arg-type]
    return found
