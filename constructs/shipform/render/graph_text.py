"""The picture of render.graph as text: a mermaid flowchart or a Graphviz dot digraph. One document, each
Environment a box holding its namespaces (boxes of their own), what is outside the cluster, and its public entry
points; nodes are declared in their boxes first and the edges after them all (mermaid puts a node in the box where
it first appears)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from shipform.render.graph import Edge, EnvironmentGraph, Node, Shape

Format = Callable[[Sequence[EnvironmentGraph]], str]

# ------------------------------------------------------------------------------------------------------ mermaid
MERMAID_SHAPES: dict[Shape, tuple[str, str]] = {
    "service": ("[", "]"), "worker": ("[[", "]]"), "serverless": ("[/", "/]"), "database": ("[(", ")]"),
    "job": ("([", "])"), "agent": ("{{", "}}"), "external": (">", "]"), "entry": ("((", "))"),
    "broker": ("{", "}"), "source": ("[\\", "/]"),
}
# Mermaid's entity codes (#name; or #<decimal>;): '#' first, as every code starts with it. '<', '>' and '&' would
# be HTML in its labels, '"' would end the label, '|' an edge's label, '`' would start a markdown string.
_MERMAID_ESCAPES = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;"), ("|", "#124;"),
                    ("`", "#96;"), ("\n", " "), ("\r", " "))
_NOT_ID = re.compile(r"[^A-Za-z0-9]")
MERMAID_WORDS = frozenset({"end", "subgraph", "graph", "flowchart", "direction", "style", "classdef", "class",
                           "click", "linkstyle", "call", "href", "default"})
"""Words the flowchart syntax reserves, which an identifier must not be (in any case, to be safe)."""


def mermaid_text(text: str) -> str:
    for char, code in _MERMAID_ESCAPES:
        text = text.replace(char, code)
    return text


def mermaid_label(lines: Iterable[str]) -> str:
    return '"' + "<br>".join(mermaid_text(line) for line in lines) + '"'


def mermaid_ids(keys: Iterable[str]) -> dict[str, str]:
    """An identifier for each key, of letters, digits and '_' alone (what every mermaid version takes; a '-' or
    '.' can be read as part of an arrow), starting with a letter, never a word of the flowchart syntax; in sorted
    order, a key whose identifier is taken gets '_' appended until it is free, so each is unique and the same key
    always gets the same one."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for key in sorted(set(keys)):
        candidate = _NOT_ID.sub("_", key)
        candidate = candidate if candidate[:1].isalpha() else "n" + candidate
        while candidate in taken or candidate.lower() in MERMAID_WORDS:
            candidate += "_"
        taken.add(candidate)
        ids[key] = candidate
    return ids


def mermaid(graphs: Sequence[EnvironmentGraph]) -> str:
    ids = mermaid_ids(_keys(graphs))
    lines = ["flowchart LR"]
    for graph in graphs:
        lines.append(f"  subgraph {ids[graph.key]}[{mermaid_label([graph.label])}]")
        lines += [f"    {_mermaid_node(node, ids)}" for node in graph.entries]
        for group in graph.groups:
            lines.append(f"    subgraph {ids[group.key]}[{mermaid_label([group.label])}]")
            lines += [f"      {_mermaid_node(node, ids)}" for node in group.nodes]
            lines.append("    end")
        lines.append("  end")
    for graph in graphs:
        lines += [f"  {ids[e.source]} -->|{mermaid_label([e.label])}| {ids[e.target]}" if e.label
                  else f"  {ids[e.source]} --> {ids[e.target]}" for e in graph.edges]
    return "\n".join(lines) + "\n"


def _mermaid_node(node: Node, ids: dict[str, str]) -> str:
    opening, closing = MERMAID_SHAPES[node.shape]
    return f"{ids[node.key]}{opening}{mermaid_label(node.lines)}{closing}"


def _keys(graphs: Sequence[EnvironmentGraph]) -> list[str]:
    return [key for graph in graphs for key in (graph.key, *(g.key for g in graph.groups),
                                                *(n.key for n in _nodes(graph)))]


def _nodes(graph: EnvironmentGraph) -> list[Node]:
    return [*graph.entries, *(node for group in graph.groups for node in group.nodes)]


# ---------------------------------------------------------------------------------------------------------- dot
DOT_SHAPES: dict[Shape, tuple[str, str]] = {
    "service": ("box", ""), "worker": ("component", ""), "serverless": ("parallelogram", ""),
    "database": ("cylinder", ""), "job": ("box", "rounded"), "agent": ("hexagon", ""), "external": ("cds", ""),
    "entry": ("oval", ""), "broker": ("diamond", ""), "source": ("trapezium", ""),
}


def dot_string(text: str) -> str:
    """A quoted dot string: '\\' and '"' escaped (dot reads a backslash as the start of a label escape)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def dot_label(lines: Iterable[str]) -> str:
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines) + '"'


def dot(graphs: Sequence[EnvironmentGraph]) -> str:
    """One digraph; every identifier and value quoted. Clusters are subgraphs named 'cluster...', as dot wants."""
    lines = ["digraph " + dot_string(", ".join(dict.fromkeys(g.app for g in graphs))) + " {",
             "  rankdir=LR;", '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica"];']
    for graph in graphs:
        lines += [f"  subgraph {dot_string('cluster_' + graph.key)} {{", f"    label={dot_string(graph.label)};"]
        lines += [f"    {_dot_node(node)}" for node in graph.entries]
        for group in graph.groups:
            lines += [f"    subgraph {dot_string('cluster_' + group.key)} {{",
                      f"      label={dot_string(group.label)};"]
            lines += [f"      {_dot_node(node)}" for node in group.nodes]
            lines.append("    }")
        lines.append("  }")
    for graph in graphs:
        lines += [f"  {_dot_edge(e)}" for e in graph.edges]
    return "\n".join(lines) + "\n}\n"


def _dot_node(node: Node) -> str:
    shape, style = DOT_SHAPES[node.shape]
    styled = f", style={dot_string(style)}" if style else ""
    return f"{dot_string(node.key)} [label={dot_label(node.lines)}, shape={dot_string(shape)}{styled}];"


def _dot_edge(edge: Edge) -> str:
    return f"{dot_string(edge.source)} -> {dot_string(edge.target)} [label={dot_string(edge.label)}];"


FORMATS: dict[str, Format] = {"mermaid": mermaid, "dot": dot}
"""The picture's formats, by the name `shipform graph --format` takes."""
