"""The documentation site builds: `mkdocs build --strict` (the command CI runs, in process), offline, with no
warning; it loads nothing from elsewhere; each page shows the example files it includes exactly as the tests run
them, and the navigation holds every page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO

DOCS = REPO / "docs"
# The build takes about 10 s: it runs with the slow tests (and .ci/run runs the same command on its own).
pytestmark = pytest.mark.slow
INCLUDE = re.compile(r'^```python\n--8<-- "(docs/examples/[a-z0-9_]+\.py)"\n```$', re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from click.testing import CliRunner
    from mkdocs.__main__ import cli

    out = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)  # the snippets and the griffe extension are named from the repository's root
        result = CliRunner().invoke(cli, ["build", "--strict", "--site-dir", str(out)])
    assert result.exit_code == 0, result.output
    return out


def text_of(page: Path) -> str:
    """The text a reader sees in a built page (highlighting's spans and the markup gone)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_the_site_builds_with_every_page_in_its_navigation(site):
    assert (site / "index.html").is_file() and (site / "reference" / "workloads" / "index.html").is_file()
    nav = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["nav"]
    assert [next(iter(group)) for group in nav] == ["Getting started", "Guides", "Reference", "Project"]
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "examples" not in p.parts}
    assert pages == set(re.findall(r"[\w/-]+\.md", str(nav)))


def test_no_page_loads_anything_from_elsewhere(site):
    """The site reads offline as it builds offline: scripts, styles and fonts are its own files."""
    for page in site.rglob("*.html"):
        remote = re.findall(r'<(?:script|link)[^>]*(?:src|href)="(?:https?:)?//[^"]*"', page.read_text())
        assert not remote, f"{page.relative_to(site)} loads {remote}"


def test_no_page_shows_markdown_as_text(site):
    """Python-Markdown nests a list, a fence or a table in a list item only when it is indented 4 columns and set
    apart by a blank line (GitHub is laxer): otherwise the page shows `- item` or `| cell |` as text."""
    for page in site.rglob("*.html"):
        prose = re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", page.read_text(), flags=re.S)
        shown = re.findall(r"\n\s*(?:- |\d+\. |\| )[^\n]{0,60}", prose[prose.find('role="main"'):])
        assert not shown, f"{page.relative_to(site)} shows Markdown as text: {shown[:3]}"


def test_each_page_shows_the_example_files_it_includes_whole(site):
    shown = 0
    for page in DOCS.rglob("*.md"):
        for example in INCLUDE.findall(page.read_text()):
            built = site / page.relative_to(DOCS).with_suffix("") / "index.html"
            assert (REPO / example).read_text() in text_of(built), f"{page.name} does not show {example}"
            shown += 1
    assert shown >= 10


def test_the_pages_that_include_readme_sections_show_them(site):
    """The home page and "Start a new repository" show the README's sections (pymdown's snippets by section name),
    so the README and the site say the same without a second copy."""
    home = text_of(site / "index.html")
    assert "Describe a system once, in Python" in home
    assert (REPO / "docs" / "examples" / "quickstart.py").read_text() in home
    assert "pip install shipform && shipform init --preset go" in text_of(site / "guide" / "start" / "index.html")


def test_the_reference_documents_the_props(site):
    workloads = text_of(site / "reference" / "workloads" / "index.html")
    assert "WebServiceProps" in workloads and "connects_to" in workloads
    assert "Services this one calls" in workloads  # a prop's docstring, inherited from the workloads' own props
    assert ":class:" not in workloads  # the docstrings' Sphinx roles are links
    assert "EnvironmentProps" in text_of(site / "reference" / "app" / "index.html")


def test_contributing_and_the_changelog_are_pages_of_the_site(site):
    contributing = text_of(site / "contributing" / "index.html")
    assert "The architecture in a page" in contributing and "A new prop" in contributing
    assert "Unreleased" in text_of(site / "changelog" / "index.html")
