"""The one YAML dumper: key order as built, block style, sequences indented (yamllint's default),
no aliases, no line folding. Deterministic by construction.

PyYAML's emitter defines the output. Its pure-Python emitter is most of a synth's time, and its C emitter
cannot indent sequences inside mappings, so the documents shipform writes (mappings and lists of plain
strings, ints, bools and None) are written by a small block writer that produces the same bytes; any
value it is not sure of (non-ASCII or control characters, floats, very long strings, keys PyYAML would
write as complex keys, literal blocks that keep trailing blank lines) sends the whole document to PyYAML.
tests/unit/test_yaml_dump.py compares the two on random documents and on every file of the platform app."""

from __future__ import annotations

import re
from typing import Any

import yaml

STR_TAG = "tag:yaml.org,2002:str"


class Quoted(str):
    """A string always written in single quotes (compose linters want port mappings quoted)."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Plain scalars that some reader takes for something other than a string. PyYAML (YAML 1.1) quotes what it
# would itself resolve differently; go-yaml v2 (kubectl, client-go, Argo CD) also reads y/n and on/off as
# booleans, and YAML 1.2 readers (go-yaml v3: docker compose) read 0o17, 0x1F, 1e3 or 2024-1-2 as numbers and
# timestamps. Such strings are quoted, so every reader gets the string that was meant.
_AMBIGUOUS = re.compile(
    r"y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL"
    r"|[-+]?(0|[1-9][0-9_]*)"  # integers
    r"|[-+]?0[oO]?[0-7_]+|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[bB][01_]+"  # octal, hex, binary
    r"|[-+]?([0-9][0-9_]*)?\.?[0-9_]*([eE][-+]?[0-9]+)?"  # decimals and exponents (1e3, .5, 1.)
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"  # timestamps
    r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"  # sexagesimal (YAML 1.1)
)


def _always_quoted(value: str) -> bool:
    return bool(value) and bool(_AMBIGUOUS.fullmatch(value)) and any(c.isalnum() or c == "~" for c in value)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        style: str | None = "|"
    elif _always_quoted(value):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar(STR_TAG, value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Quoted, lambda d, v: d.represent_scalar(STR_TAG, str(v), style="'"))


def dump(data: Any) -> str:
    if type(data) in (dict, list) and data:
        try:
            return _block(data, 0) + "\n"
        except _NotHandled:
            pass
    return full_dump(data)


def full_dump(data: Any) -> str:
    """PyYAML's own emitter: the definition of the output, and the writer of what the block writer leaves."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=10_000)


# ---------------------------------------------------------------------------------------------- block writer
class _NotHandled(Exception):
    """A value the block writer leaves to PyYAML's emitter."""


_LONGEST = 4_000  # far below the 10,000-column width at which PyYAML would fold a line
_SIMPLE_KEY_LIMIT = 128  # PyYAML writes longer (and empty) keys as '? key' complex keys
_RESOLVER = yaml.resolver.Resolver()
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
# A plain scalar in block context may not start with an indicator (or with '-', '?' or ':' before a space or at
# the end), start with a document marker, contain ': ' or ' #', end with ':' or start or end with a space.
_NOT_PLAIN = re.compile(r"[#,\[\]{}&*!|>'\"%@`]|[-?:]( |$)|---|\.\.\.| |.*(: | #|:$| $)", re.DOTALL)
_single_line: dict[str, str] = {}  # string -> its form as a value
_keys: dict[str, str] = {}  # string -> its form as a (simple) key


def _single_line_form(value: str) -> str:
    form = _single_line.get(value)
    if form is None:
        if len(value) > _LONGEST or not _PRINTABLE_ASCII.fullmatch(value):
            raise _NotHandled
        plain = (not _always_quoted(value) and not _NOT_PLAIN.match(value)
                 and _resolves_to_str(value))
        form = value if plain else _single_quoted(value)
        _single_line[value] = form
    return form


def _resolves_to_str(value: str) -> bool:
    """PyYAML quotes a plain-safe string that its resolver would read as another type (int, float, null...)."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag == STR_TAG


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literal(value: str, indent: int) -> str:
    """``|`` block with PyYAML's hints: an indentation indicator when the text starts with a space or line
    break, '-' when it has no final line break. The text's own final line break is left to what follows."""
    if (len(value) > _LONGEST or value.endswith(("\n\n", " ")) or value == "\n" or " \n" in value
            or not _PRINTABLE_ASCII.fullmatch(value.replace("\n", ""))):
        raise _NotHandled
    hints = ("2" if value[0] in " \n" else "") + ("" if value.endswith("\n") else "-")
    pad = " " * indent
    lines = value.removesuffix("\n").split("\n")
    return "|" + hints + "".join("\n" + pad + line if line else "\n" for line in lines)


def _scalar(value: Any, indent: int) -> str:
    kind = type(value)
    if kind is str:
        return _literal(value, indent) if "\n" in value else _single_line_form(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is Quoted and _PRINTABLE_ASCII.fullmatch(value) and len(value) <= _LONGEST:
        return _single_quoted(value)
    raise _NotHandled


def _key(key: Any) -> str:
    if type(key) is not str or not key or len(key) >= _SIMPLE_KEY_LIMIT or "\n" in key:
        raise _NotHandled
    form = _keys[key] = _single_line_form(key)
    return form


def _block(data: dict[Any, Any] | list[Any], indent: int) -> str:
    """A non-empty mapping or list whose first line's indentation the caller has written."""
    out: list[str] = []
    _write_block(data, indent, out)
    return "".join(out)


def _write_block(data: dict[Any, Any] | list[Any], indent: int, out: list[str]) -> None:
    """Appends the block to ``out``. A nested block starts on the next line, indented by 2, for a mapping
    value and on the same line, after '- ', for a list item. Strings seen before come from a cache: most
    of an output's scalars repeat (labels, security contexts, probe settings)."""
    pad = "\n" + " " * indent
    inner = indent + 2
    is_list = type(data) is list
    entries: Any = ((None, item) for item in data) if is_list else data.items()  # type: ignore[union-attr]
    for i, (key, value) in enumerate(entries):
        if i:
            out.append(pad)
        out.append("-" if is_list else _keys.get(key) or _key(key))
        if not is_list:
            out.append(":")
        kind = type(value)
        if kind is str:
            out.append(" ")
            out.append(_single_line.get(value) or _scalar(value, inner))
        elif kind is dict or kind is list:
            if not value:
                out.append(" {}" if kind is dict else " []")
            else:
                out.append(" " if is_list else "\n" + " " * inner)
                _write_block(value, inner, out)
        else:
            out.append(" ")
            out.append(_scalar(value, inner))
