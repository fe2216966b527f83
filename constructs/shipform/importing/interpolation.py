"""Compose's variable interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``${VAR+alt}`` and ``$$`` for a literal ``$``, with values
from the ``.env`` file beside the compose file (as ``docker compose`` reads it), never from the shell running the
import, so the same file imports the same app on every machine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


@dataclass
class Variables:
    """The values interpolation reads, and the names it found unset (reported as comments in the app)."""

    values: Mapping[str, str]
    unset: set[str] = field(default_factory=set)

    def interpolate(self, text: str) -> str:
        """``text`` with every reference replaced; an unset variable without a default is '' (compose warns and
        does the same), a malformed ``${`` is kept as written."""
        out: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c != "$" or i + 1 == len(text):
                out.append(c)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt == "{":
                end = _closing_brace(text, i + 2)
                if end < 0:
                    out.append(text[i:])
                    break
                out.append(self._braced(text[i + 2:end]))
                i = end + 1
            elif (end := _name_end(text, i + 1)) > i + 1:
                out.append(self._value(text[i + 1:end]))
                i = end
            else:
                out.append(c)
                i += 1
        return "".join(out)

    def _braced(self, body: str) -> str:
        end = _name_end(body, 0)
        if end == 0:
            return "${" + body + "}"
        name, rest = body[:end], body[end:]
        if not rest:
            return self._value(name)
        op = next((o for o in _OPERATORS if rest.startswith(o)), None)
        if op is None:
            return "${" + body + "}"
        arg = self.interpolate(rest[len(op):])
        value = self.values.get(name)
        empty = value is None or (op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if empty else str(value)
        if op in (":+", "+"):
            return "" if empty else arg
        return self._value(name)  # ':?' and '?': compose stops; an import keeps going, naming the variable

    def _value(self, name: str) -> str:
        value = self.values.get(name)
        if value is None:
            self.unset.add(name)
            return ""
        return value


_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NEXT = _FIRST | frozenset("0123456789")


def _name_end(text: str, start: int) -> int:
    """Where the variable name starting at ``start`` ends (``start`` itself when none starts there)."""
    if start >= len(text) or text[start] not in _FIRST:
        return start
    end = start + 1
    while end < len(text) and text[end] in _NEXT:
        end += 1
    return end


def _closing_brace(text: str, start: int) -> int:
    """The index of the '}' closing a '${' whose body starts at ``start`` (nested '${...}' in defaults)."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def read_env_file(path: Path, variables: Variables | None = None) -> dict[str, str]:
    """A dotenv file as compose reads it: ``NAME=value`` lines, ``export`` allowed, ``#`` comments, single quotes
    literal, double quotes with escapes, unquoted values cut at `` #``; values interpolated from ``variables``
    and from the names defined above them in the same file."""
    values: dict[str, str] = {}
    text = path.read_text(encoding="utf-8", errors="replace")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or _name_end(name, 0) != len(name):
            continue
        values[name] = _dotenv_value(value.strip(), variables, values)
    return values


def _dotenv_value(value: str, variables: Variables | None, above: Mapping[str, str]) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        return _expand(inner, variables, above)
    if " #" in value:
        value = value.split(" #", 1)[0].rstrip()
    return _expand(value, variables, above)


def _expand(value: str, variables: Variables | None, above: Mapping[str, str]) -> str:
    if "$" not in value:
        return value
    known = {**(variables.values if variables else {}), **above}
    return Variables(known).interpolate(value)
