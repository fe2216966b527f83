"""The block writer writes exactly what PyYAML's emitter writes: on random documents built from the characters
YAML treats specially, and on every file of the reference app and the 20-service benchmark app (rendered once
with the block writer and once with PyYAML's emitter alone)."""

from __future__ import annotations

import runpy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from shipform.synth.pipeline import render
from shipform.write import yaml_dump
from shipform.write.yaml_dump import Quoted, dump, full_dump

# Indicators, quotes, spaces, breaks and lookalikes of numbers, booleans, dates and document markers.
ALPHABET = "ab0189-_.:/#?,[]{}&*!|>'\"%@`~=<+ \n\teEoxyYnN\u00e9\u2028\x85\x00"
POOL = ["", " ", "-", "- a", "-a", "?", "? a", ":", "a:", "a: b", "a #b", "a#b", "#a", "---", "...", "---a", "y",
        "no", "On", "~", "null", "1", "-1", "0o17", "0x1F", "1e3", ".5", "1.", ".inf", "2024-1-2", "1:20", "<<", "=",
        "a b", " a", "a ", "a\n", "a\nb", "\na", " a\nb", "a\n\n", "\n", "a \nb", "a\n b\n", "x" * 130, "é"]
strings = st.one_of(st.text(ALPHABET, max_size=12), st.sampled_from(POOL))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), strings, strings.map(Quoted),
                    st.floats(allow_nan=False), st.just(2**70))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(strings, inner, max_size=4)),
                         max_leaves=25)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(documents)
def test_random_documents_are_written_as_pyyaml_writes_them(document):
    assert dump(document) == full_dump(document)


@pytest.mark.parametrize(("value", "text"), [
    ({"a": [{"b": 1, "c": [[2, 3], {}, []]}]},
     "a:\n  - b: 1\n    c:\n      - - 2\n        - 3\n      - {}\n      - []\n"),
    ({"run": "set -e\n  make\n", "k": "a\nb"}, "run: |\n  set -e\n    make\nk: |-\n  a\n  b\n"),
    ({"n": "on", "v": "1.0", "p": Quoted("80:80"), "e": "", "h": "# no"},
     "'n': 'on'\nv: '1.0'\np: '80:80'\ne: ''\nh: '# no'\n"),
])
def test_the_block_writer_handles_what_shipform_writes(value, text):
    assert yaml_dump._block(value, 0) + "\n" == text == full_dump(value)


@pytest.mark.parametrize("value", [{"f": 1.5}, {"u": "é"}, {"x" * 128: 1}, {"": 1}, {"t": "a\n\n"}, {"tab": "a\tb"},
                                   {"t": ("a",)}])
def test_what_the_block_writer_is_unsure_of_goes_to_pyyaml(value):
    with pytest.raises(yaml_dump._NotHandled):
        yaml_dump._block(value, 0)


def _emitter_only(monkeypatch):
    def not_handled(data, indent):
        raise yaml_dump._NotHandled

    monkeypatch.setattr(yaml_dump, "_block", not_handled)


def test_apps_render_byte_identical_to_pyyaml(tmp_path, monkeypatch):
    """The reference app (workflows, scripts, every kind it emits) and the benchmark app's mix. The platform app
    was compared the same way when the block writer came in; its 1,000 files double this test's time."""
    from shipform.model.collecting import collect_apps

    bench_app = runpy.run_path(str(REPO / "bench" / "bench_app.py"))["build_app"]
    with collect_apps(defer_synth=True) as shop:
        runpy.run_path(str(REPO / "apps" / "shop" / "app.py"), run_name="__main__")
    apps = [bench_app(20, tmp_path / "bench"), shop[0]]
    fast = [render(app, tmp_path / "out") for app in apps]
    _emitter_only(monkeypatch)
    for app, files in zip(apps, fast, strict=True):
        assert render(app, tmp_path / "out") == files, app.name
    assert sum(name.endswith(".yaml") for files in fast for name in files) > 300
