"""The comparison table (docs/guide/comparison.md): every practice names the test that shows shipform's column,
and that test exists, so the table cannot outlive what backs it."""

from __future__ import annotations

import re

from conftest import REPO


def comparison_rows() -> list[list[str]]:
    section = (REPO / "docs" / "guide" / "comparison.md").read_text()
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def test_every_practice_is_backed_by_a_test_that_exists():
    defined = {name for path in (REPO / "tests").rglob("test_*.py")
               for name in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}
    rows = comparison_rows()
    assert len(rows) >= 12
    for practice, shipform, *_, shown_by in rows:
        assert shipform.startswith(("yes", "npm")), practice
        test = shown_by.strip("`")
        assert test in defined, f"{practice}: {test} is not a test of this repository"
