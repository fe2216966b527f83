"""The one YAML dumper: key order as built, block style, sequences indented (yamllint's default),
no aliases, no line folding. Deterministic by construction."""

from __future__ import annotations

import re
from typing import Any

import yaml


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


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        style: str | None = "|"
    elif value and _AMBIGUOUS.fullmatch(value) and any(c.isalnum() or c == "~" for c in value):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="'"))


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=10_000)
