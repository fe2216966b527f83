"""The README's test command runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``). Two rules keep
that equal to a serial run:

- Tests that drive this machine's shared real things (the container rig's storage and lock, the loopback
  registries, the database servers, act) run on one worker, in collection order, as one xdist group: their
  session fixtures hold the rig's lock for the whole session and start one registry. The validators are one
  group too: their gate starts every tool run once, in the worker that runs them. Any other test file is a group
  of its own, so module fixtures are built once.
- A worker's terminal summary lines (the validators' and the containers' reports) travel to the controller,
  which prints them, as a serial run would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MACHINE_MARKERS = ("act", "containers", "engines")
TESTS = Path(__file__).resolve().parent


def group_of(item: pytest.Item) -> str:
    if any(item.get_closest_marker(marker) for marker in MACHINE_MARKERS):
        return "machine"
    path = Path(str(item.path)).resolve()
    return "validators" if path.is_relative_to(TESTS / "validators") else str(path.relative_to(TESTS))


FIRST = {"machine": 0, "validators": 1}
"""The groups that take longest, in the order workers should start them (pyproject's addopts turn off xdist's
own order, by number of tests, which would start the machine group last)."""


def assign_groups(items: list[pytest.Item]) -> None:
    groups = {item.nodeid: group_of(item) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    if in_worker():  # a serial run keeps the order of the files
        items.sort(key=lambda item: FIRST.get(groups[item.nodeid], len(FIRST)))


def in_worker() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


def share_section(config: pytest.Config, title: str, lines: list[str]) -> None:
    """In a worker, hand a terminal summary section to the controller (see ``print_shared_sections``)."""
    output = getattr(config, "workeroutput", None)
    if output is not None and lines:
        output.setdefault("sections", {}).setdefault(title, []).extend(lines)


SHARED: dict[str, list[str]] = {}


def receive_sections(node) -> None:  # type: ignore[no-untyped-def]
    for title, lines in getattr(node, "workeroutput", {}).get("sections", {}).items():
        SHARED.setdefault(title, []).extend(lines)


def print_shared_sections(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for title, lines in SHARED.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
