"""The package's import graph has no circle: no module imports, even for type checking only, a module that
imports it back, however long the way round."""

from __future__ import annotations

from itertools import pairwise

import grimp


def import_circles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One circle per set of modules that import one another round: a direct import, then the shortest way back."""
    circles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                circles.setdefault(frozenset(back), (importer, *back))
    return list(circles.values())


def shown(graph: grimp.ImportGraph, circle: tuple[str, ...]) -> str:
    lines = []
    for importer, imported in pairwise(circle):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = f" (line {details[0]['line_number']}: {details[0]['line_contents']})" if details else ""
        lines.append(f"  {importer} -> {imported}{where}")
    return "\n".join(lines)


def test_no_import_cycles():
    graph = grimp.build_graph("shipform", include_external_packages=False, exclude_type_checking_imports=False)
    circles = import_circles(graph)
    more = f"\n\n... and {len(circles) - 5} more" if len(circles) > 5 else ""
    assert not circles, f"{len(circles)} import circle(s):\n" + "\n\n".join(
        shown(graph, circle) for circle in circles[:5]) + more
