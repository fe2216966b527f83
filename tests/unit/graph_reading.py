"""Reading `shipform graph` output back, independently of how shipform writes it:

- dot: parsed with the DOT language's published grammar (graphviz.org/doc/info/lang.html) in lark (graphviz itself
  is not installed where the tests run); quoted IDs are unescaped as dot does (only ``\\"`` in the parser; ``\\\\``
  and ``\\n`` in labels);
- mermaid: line by line against the flowchart statements shipform writes, with every rule the renderer must keep
  (identifiers of letters, digits and '_', no keyword, declared once and before the edges; subgraphs balanced;
  labels quoted, with no raw quote inside), decoding mermaid's entity codes.

Both give the same :class:`Picture`, so a test can compare a graph to a hand-written one, whichever the format.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from lark import Lark, Token, Tree

# The DOT grammar as graphviz publishes it; keywords are case-insensitive. HTML strings (<...>) are left out: shipform
# writes none, so one would be an error.
DOT_GRAMMAR = r"""
start: STRICT? (GRAPH | DIGRAPH) id? "{" stmt_list "}"
stmt_list: (stmt ";"?)*
?stmt: node_stmt | edge_stmt | attr_stmt | assignment | subgraph
assignment: id "=" id
attr_stmt: (GRAPH | NODE | EDGE) attr_list
attr_list: ("[" a_list? "]")+
a_list: (id "=" id (";" | ",")?)+
edge_stmt: (node_id | subgraph) edge_rhs attr_list?
edge_rhs: (EDGEOP (node_id | subgraph))+
node_stmt: node_id attr_list?
node_id: id port?
port: ":" id (":" id)?
subgraph: (SUBGRAPH id?)? "{" stmt_list "}"
id: NAME | NUMERAL | QUOTED
STRICT.2: /strict\b/i
GRAPH.2: /graph\b/i
DIGRAPH.2: /digraph\b/i
NODE.2: /node\b/i
EDGE.2: /edge\b/i
SUBGRAPH.2: /subgraph\b/i
EDGEOP: "->" | "--"
NAME: /[A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*/
NUMERAL: /-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)/
QUOTED: /"(\\.|[^"\\])*"/s
%import common.WS
%ignore WS
"""
_DOT = Lark(DOT_GRAMMAR, parser="earley")


@dataclass
class Picture:
    """What a graph says: each node's box path (outermost first), label lines and shape; each edge with its label."""

    nodes: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)
    boxes: dict[str, str] = field(default_factory=dict)
    """{box id: its label}"""

    def labelled(self) -> tuple[dict[tuple[str, ...], tuple[tuple[str, ...], str]], set[tuple[tuple[str, ...], ...]]]:
        """The picture without identifiers, which differ by format: each node by its box labels and its label,
        with its shape; each edge as (source label, target label, (edge label,))."""
        def named(node: str) -> tuple[str, ...]:
            boxes, lines, _ = self.nodes[node]
            return (*(self.boxes[b] for b in boxes), *lines)
        nodes = {named(n): (tuple(self.boxes[b] for b in boxes), shape) for n, (boxes, _, shape) in self.nodes.items()}
        return nodes, {(named(s), named(t), (label,)) for s, t, label in self.edges}


# ------------------------------------------------------------------------------------------------------------- dot
def dot_id(tree: Tree) -> str:
    token = tree.children[0]
    assert isinstance(token, Token)
    if token.type == "QUOTED":
        return re.sub(r'\\"', '"', token[1:-1])
    return str(token)


def dot_label(text: str) -> tuple[str, ...]:
    """A label's lines: '\\n' ends one, '\\\\' is one backslash (dot's escString)."""
    lines, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] == "n":
                lines.append(current)
                current = ""
            else:
                current += text[i + 1]
            i += 2
        else:
            current += text[i]
            i += 1
    return (*lines, current)


def read_dot(text: str) -> Picture:
    tree = _DOT.parse(text)
    picture = Picture()
    assert [str(t) for t in tree.children if isinstance(t, Token)] == ["digraph"]
    _dot_statements(next(c for c in tree.children if isinstance(c, Tree) and c.data == "stmt_list"), (), picture)
    for source, target, _ in picture.edges:
        assert source in picture.nodes and target in picture.nodes, (source, target)
    return picture


def _attributes(tree: Tree | None) -> dict[str, str]:
    if tree is None:
        return {}
    found: dict[str, str] = {}
    for a_list in tree.children:
        ids = [c for c in a_list.children if isinstance(c, Tree)]
        for name, value in zip(ids[::2], ids[1::2], strict=True):
            found[dot_id(name)] = dot_id(value)
    return found


def _dot_statements(stmts: Tree, boxes: tuple[str, ...], picture: Picture) -> None:
    for stmt in stmts.children:
        if stmt.data == "subgraph":
            name = dot_id(stmt.children[1])
            assert name.startswith("cluster_") and name not in picture.boxes, name
            body = stmt.children[2]
            labels = [s for s in body.children if s.data == "assignment" and dot_id(s.children[0]) == "label"]
            assert len(labels) == 1, name
            picture.boxes[name] = dot_label(dot_id(labels[0].children[1]))[0]
            _dot_statements(body, (*boxes, name), picture)
        elif stmt.data == "node_stmt":
            node = dot_id(stmt.children[0].children[0])
            assert node not in picture.nodes, f"{node} declared twice"
            attrs = _attributes(stmt.children[1] if len(stmt.children) > 1 else None)
            shape = attrs["shape"] + (f",{attrs['style']}" if "style" in attrs else "")
            picture.nodes[node] = (boxes, dot_label(attrs["label"]), shape)
        elif stmt.data == "edge_stmt":
            assert boxes == (), "edges are written after every node, outside the boxes"
            source = dot_id(stmt.children[0].children[0])
            rhs = stmt.children[1].children
            assert len(rhs) == 2 and str(rhs[0]) == "->"
            attrs = _attributes(stmt.children[2] if len(stmt.children) > 2 else None)
            picture.edges.add((source, dot_id(rhs[1].children[0]), "\n".join(dot_label(attrs.get("label", "")))))


# --------------------------------------------------------------------------------------------------------- mermaid
MERMAID_ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"([^"]*)"'
MERMAID_SHAPES = {"service": ("[", "]"), "worker": ("[[", "]]"), "serverless": ("[/", "/]"),
                  "database": ("[(", ")]"), "job": ("([", "])"), "agent": ("{{", "}}"), "external": (">", "]"),
                  "entry": ("((", "))"), "broker": ("{", "}"), "source": ("[\\", "/]")}
KEYWORDS = {"end", "subgraph", "graph", "flowchart", "style", "classDef", "class", "click", "linkStyle", "direction"}


def mermaid_text(text: str) -> str:
    """Mermaid's entity codes (#name; and #<decimal>;) decoded, as it does before drawing."""
    return html.unescape(re.sub(r"#([a-z]+|[0-9]+);", lambda m: f"&{'#' if m[1].isdigit() else ''}{m[1]};", text))


def mermaid_lines(label: str) -> tuple[str, ...]:
    assert "<" not in label.replace("<br>", ""), label  # any other '<' is escaped
    return tuple(mermaid_text(part) for part in label.split("<br>"))


def read_mermaid(text: str) -> Picture:
    lines = text.split("\n")
    assert lines[0] == "flowchart LR" and lines[-1] == "", "one flowchart, ending with a newline"
    picture, open_boxes, edges_started = Picture(), [], False
    for line in lines[1:-1]:
        statement = line.strip()
        if m := re.fullmatch(rf"subgraph ({MERMAID_ID})\[{LABEL}\]", statement):
            assert not edges_started and m[1] not in picture.boxes and m[1] not in KEYWORDS
            picture.boxes[m[1]] = mermaid_lines(m[2])[0]
            open_boxes.append(m[1])
        elif statement == "end":
            open_boxes.pop()
        elif m := re.fullmatch(rf"({MERMAID_ID}) -->\|{LABEL}\| ({MERMAID_ID})", statement):
            assert not open_boxes, "edges come after every box is closed"
            edges_started = True
            assert m[1] in picture.nodes and m[3] in picture.nodes, statement
            picture.edges.add((m[1], m[3], mermaid_text(m[2])))
        else:
            m = re.fullmatch(rf"({MERMAID_ID})(\W+?){LABEL}(\W+)", statement)
            assert m is not None and not edges_started, f"not a statement shipform writes: {statement!r}"
            shape = next(s for s, delimiters in MERMAID_SHAPES.items() if delimiters == (m[2], m[4]))
            assert m[1] not in picture.nodes and m[1] not in picture.boxes and m[1] not in KEYWORDS, m[1]
            picture.nodes[m[1]] = (tuple(open_boxes), mermaid_lines(m[3]), shape)
    assert not open_boxes, "every subgraph ends"
    return picture


DOT_SHAPES = {"box": "service", "component": "worker", "parallelogram": "serverless", "cylinder": "database",
              "box,rounded": "job", "hexagon": "agent", "cds": "external", "oval": "entry", "diamond": "broker",
              "trapezium": "source"}


def as_mermaid_shapes(picture: Picture) -> Picture:
    """A dot picture with its shapes named as the mermaid reader names them (the same kinds)."""
    return Picture({n: (boxes, lines, DOT_SHAPES[shape]) for n, (boxes, lines, shape) in picture.nodes.items()},
                   picture.edges, picture.boxes)
