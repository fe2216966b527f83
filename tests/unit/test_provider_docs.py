"""The docs list providers from their tables: the provider table of docs/guide/developing.md is generated from the
registries, so a provider registered without its docs (or docs of a provider that is gone) fails here."""

from __future__ import annotations

from conftest import REPO
from shipform.providers.catalog import BEGIN, END, FAMILIES, markdown, summary


def test_the_docs_list_exactly_the_registered_providers():
    page = (REPO / "docs" / "guide" / "developing.md").read_text()
    assert page.count(BEGIN) == 1 and page.count(END) == 1
    block = page[page.index(BEGIN):page.index(END) + len(END)]
    assert block == markdown(), \
        "docs/guide/developing.md's provider table is stale: paste `python -m shipform.providers.catalog`"


def test_every_provider_says_what_it_does():
    for family, _, registry in FAMILIES:
        for provider in registry:
            assert len(summary(provider)) > 20, (family, provider.name)


def test_a_provider_registered_later_is_in_the_generated_table():
    _, _, meshes = FAMILIES[0]

    class Consul:
        """Consul Connect's sidecars, for a test of the docs alone."""

        name = "consul-docs-test"

    meshes.register(Consul())  # type: ignore[arg-type]
    try:
        assert "| `consul-docs-test` | Consul Connect's sidecars, for a test of the docs alone. |" in markdown()
    finally:
        meshes.unregister("consul-docs-test")
