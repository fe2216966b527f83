"""The validators gate runs in the background from the end of collection on, so that the tools (most of the
gate's time) overlap with the rest of the suite; the tests here only wait for their run's result. Only the
(tool, tree) runs that selected tests need are started, and whatever still runs when the session ends is
killed. A "validators" section at the end of the run shows each run's time and findings."""

from __future__ import annotations

import os

import pytest

import parallel
from validators.gate import BROKEN, PLATFORM, Closed, Gate, dist_trees

_gate: Gate | None = None


def needed_runs(items: list[pytest.Item]) -> set[tuple[str, str]]:
    """(tool, tree) of every selected test of this folder: its `tool` and `tree` parameters, or the tools named
    by a `uses_tools` attribute of the test function for each tree it is parametrized with."""
    runs = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        tree = params.get("tree")
        if tree is None or item.get_closest_marker("validators") is None or item.get_closest_marker("skip"):
            continue
        tools = [params["tool"]] if "tool" in params else getattr(getattr(item, "function", None), "uses_tools", [])
        runs |= {(tool, tree) for tool in tools}
    return runs


FULL = "SHIPFORM_VALIDATORS_ALL"
"""Set (CI does, in .ci/run) to judge the generated platform app and the planted-defect tree too. Without it the
fast suite judges the reference apps' committed output only: the other two trees cost the tools about as much
CPU as the rest of the suite."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(FULL):
        return
    skip = pytest.mark.skip(reason=f"the platform app and the planted defects are judged in CI ({FULL}=1)")
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("tree") in (PLATFORM, BROKEN):
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    global _gate
    # A pytest-xdist worker collects every test but runs only its share: the worker given the validators (one
    # group, tests/parallel.py) starts the gate when its first test asks for it.
    if parallel.in_worker():
        return
    runs = needed_runs(session.items)
    if runs and _gate is None and not session.config.option.collectonly:
        _gate = Gate().start(runs)


@pytest.fixture(scope="session")
def gate(request: pytest.FixtureRequest) -> Gate:
    global _gate
    if _gate is None:
        _gate = Gate().start(needed_runs(request.session.items))
    return _gate


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _gate
    if _gate is not None:
        parallel.share_section(session.config, "validators", summary_lines(_gate))
        _gate.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _gate is None or not _gate.results:
        return
    terminalreporter.section("validators")
    for line in summary_lines(_gate):
        terminalreporter.write_line(line)


def summary_lines(gate: Gate) -> list[str]:
    lines = []
    for name in [*dist_trees(), PLATFORM, BROKEN]:
        parts = []
        for (tool, tree), future in sorted(gate.results.items()):
            if tree != name or not future.done() or future.cancelled():
                continue
            if isinstance(future.exception(), Closed):
                continue
            if future.exception() is not None:
                parts.append(f"{tool} ERROR")
                continue
            result = future.result()
            if result.skipped:
                continue
            parts.append(f"{tool} {len(result.findings)} ({'cached' if result.cached else f'{result.seconds:.1f}s'})")
        if parts:
            lines.append(f"{name}: " + ", ".join(parts))
    lines.append(f"all runs done {gate.finished_after():.1f}s after collection")
    return lines
