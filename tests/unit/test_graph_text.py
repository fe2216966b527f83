"""render.graph_text: identifiers and labels survive whatever a name holds. A picture built by hand, with keys that
clash once reduced to mermaid's identifier characters and labels full of characters each format gives a meaning
('"', '#', '<', '|', '`', '\\', ';'), is read back by the independent readers (unit/graph_reading.py) as it was
built."""

from __future__ import annotations

import re

from shipform.render.graph import Edge, EnvironmentGraph, Group, Node
from shipform.render.graph_text import dot as dot_text
from shipform.render.graph_text import mermaid, mermaid_ids
from unit import graph_reading as gr

HOSTILE = 'say "hi" #1 <b>&amp; a|b `x` back\\slash; end'


def picture() -> EnvironmentGraph:
    nodes = (Node("a/e/ns/x-y", ("x-y", HOSTILE), "service"), Node("a/e/ns/x.y", ("x.y", "worker"), "worker"),
             Node("a/e/ns/x_y", ("x_y", "\\n is no line break"), "job"), Node("a/e/ns/end", ("end",), "agent"))
    outside = (Node("a/e/external:ns/1st", ("1st", "10.0.0.0/8"), "external"),)
    host = "a/e/entry:https://h.example"
    return EnvironmentGraph("a", "a/e", "a / e", (Node(host, ("https://h.example",), "entry"),),
                            (Group("a/e/namespace:ns", "namespace ns", nodes),
                             Group("a/e/outside", "outside", outside)),
                            (Edge(host, "a/e/ns/x-y", "80/http"), Edge("a/e/ns/x-y", "a/e/ns/x.y", HOSTILE),
                             Edge("a/e/ns/x_y", "a/e/external:ns/1st", "1/tcp")))


def expected() -> tuple[dict, set]:
    box, ns, out = ("a / e",), ("a / e", "namespace ns"), ("a / e", "outside")
    nodes = {(*ns, "x-y", HOSTILE): (ns, "service"), (*ns, "x.y", "worker"): (ns, "worker"),
             (*ns, "x_y", "\\n is no line break"): (ns, "job"), (*ns, "end"): (ns, "agent"),
             (*out, "1st", "10.0.0.0/8"): (out, "external"), (*box, "https://h.example"): (box, "entry")}
    edges = {((*box, "https://h.example"), (*ns, "x-y", HOSTILE), ("80/http",)),
             ((*ns, "x-y", HOSTILE), (*ns, "x.y", "worker"), (HOSTILE,)),
             ((*ns, "x_y", "\\n is no line break"), (*out, "1st", "10.0.0.0/8"), ("1/tcp",))}
    return nodes, edges


def test_mermaid_reads_back_as_built():
    assert gr.read_mermaid(mermaid([picture()])).labelled() == expected()


def test_dot_reads_back_as_built():
    assert gr.as_mermaid_shapes(gr.read_dot(dot_text([picture()]))).labelled() == expected()


def test_mermaid_identifiers_are_unique_plain_and_stable():
    keys = ["a-b", "a.b", "a_b", "a_b_", "1x", "end", "ünï"]
    ids = mermaid_ids(keys)
    assert len(set(ids.values())) == len(keys)
    assert all(re.fullmatch(gr.MERMAID_ID, i) and i not in gr.KEYWORDS for i in ids.values())
    assert mermaid_ids(reversed(keys)) == ids  # the order keys come in does not matter
