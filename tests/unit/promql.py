"""Reading and running the PromQL shipform writes into rules, independently of how it writes it (promtool is not
installed where the tests run):

- parsing with a grammar of the PromQL subset shipform's rules use, as Prometheus' own grammar
  (promql/parser/generated_parser.y) has it: vector selectors with label matchers (=, !=, =~, !~), range selectors,
  function calls, aggregations with ``by``/``without`` before or after their argument, number literals, and the
  binary operators with Prometheus' precedence (``or`` < ``and``/``unless`` < comparisons < ``+ -`` < ``* / %``), so
  an expression outside that subset, or malformed, fails to parse;
- evaluating an instant query at a time over fixture series as Prometheus does: the 5-minute lookback of instant
  selectors, left-open range windows (Prometheus 3), ``rate`` with its counter-reset handling and extrapolation
  (promql/functions.go extrapolatedRate), aggregation dropping the metric name, one-to-one vector matching on all
  labels but the name, comparisons as filters, ``and``/``or`` as set operations on label sets;
- a rule group run at one evaluation time: recording rules record (with their labels), alerts see what the rules
  before them recorded, as Prometheus evaluates a group's rules in order.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Tree

GRAMMAR = r"""
?start: expr
?expr: or_expr
?or_expr: and_expr | or_expr OR and_expr -> binary
?and_expr: cmp_expr | and_expr (AND | UNLESS) cmp_expr -> binary
?cmp_expr: add_expr | cmp_expr CMP BOOL? add_expr -> binary
?add_expr: mul_expr | add_expr ADD mul_expr -> binary
?mul_expr: unary | mul_expr MUL unary -> binary
?unary: atom | ADD unary -> negate
?atom: NUMBER -> number
     | "(" expr ")"
     | call
     | aggregation
     | selector
call: FUNCTION "(" [expr ("," expr)*] ")"
aggregation: AGGREGATOR grouping "(" expr ")" | AGGREGATOR "(" expr ")" grouping?
grouping: (BY | WITHOUT) "(" [LABEL ("," LABEL)*] ")"
selector: (METRIC matchers? | matchers) range?
matchers: "{" [matcher ("," matcher)* ","?] "}"
matcher: LABEL MATCH STRING
range: "[" DURATION "]"
OR: "or"
AND: "and"
UNLESS: "unless"
BOOL: "bool"
BY: "by"
WITHOUT: "without"
FUNCTION.2: /(rate|increase|time|abs|clamp_min|clamp_max)(?=\s*\()/
AGGREGATOR.2: /(sum|min|max|avg|count)(?=\s*(\(|by\b|without\b))/
CMP: "==" | "!=" | ">=" | "<=" | ">" | "<"
ADD: "+" | "-"
MUL: "*" | "/" | "%"
MATCH: "=~" | "!~" | "!=" | "="
METRIC: /[a-zA-Z_:][a-zA-Z0-9_:]*/
LABEL: /[a-zA-Z_][a-zA-Z0-9_]*/
STRING: /"(\\.|[^"\\])*"/
NUMBER: /[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/
DURATION: /([0-9]+(ms|s|m|h|d|w|y))+/
%import common.WS
%ignore WS
"""
_PARSER = Lark(GRAMMAR, parser="earley", lexer="dynamic")

LOOKBACK = 300.0
Labels = frozenset[tuple[str, str]]


@functools.cache
def parse(expr: str) -> Tree[Token]:
    """The expression's syntax tree; lark's error when it is not PromQL of the subset."""
    return _PARSER.parse(expr)


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", duration))


@dataclass
class Series:
    """One series' samples, in time order, with the running sum of its counter resets (so a window's is O(1))."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    resets: list[float] = field(default_factory=list)

    def add(self, t: float, v: float) -> None:
        drop = self.values[-1] if self.values and v < self.values[-1] else 0.0
        self.resets.append((self.resets[-1] if self.resets else 0.0) + drop)
        self.times.append(t)
        self.values.append(v)


class Store:
    """Fixture series by their labels (``__name__`` among them)."""

    def __init__(self) -> None:
        self.series: dict[Labels, Series] = {}

    def add(self, name: str, labels: dict[str, str], t: float, value: float) -> None:
        key = frozenset({**labels, "__name__": name}.items())
        self.series.setdefault(key, Series()).add(t, value)


def _matches(labels: Labels, matchers: list[tuple[str, str, str]]) -> bool:
    found = dict(labels)
    for name, op, value in matchers:
        have = found.get(name, "")
        if op in ("=", "!="):
            ok = (have == value) == (op == "=")
        else:
            ok = (re.fullmatch(value, have) is not None) == (op == "=~")
        if not ok:
            return False
    return True


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _without_name(labels: Labels) -> Labels:
    return frozenset((k, v) for k, v in labels if k != "__name__")


Vector = dict[Labels, float]


class Evaluator:
    """An instant query at ``t`` over ``store``."""

    def __init__(self, store: Store, t: float):
        self.store, self.t = store, t

    def run(self, expr: str) -> Vector | float:
        return self.eval(parse(expr))

    def eval(self, node: Any) -> Any:
        if isinstance(node, Token):
            raise AssertionError(f"unexpected token {node!r}")
        return getattr(self, f"_{node.data}")(*node.children)

    def _number(self, token: Token) -> float:
        return float(token)

    def _negate(self, sign: Token, operand: Any) -> Any:
        value = self.eval(operand)
        if sign == "+":
            return value
        return -value if isinstance(value, float) else {k: -v for k, v in value.items()}

    def _selector(self, *parts: Any) -> Any:
        matchers: list[tuple[str, str, str]] = []
        window = None
        for part in parts:
            if isinstance(part, Token) and part.type == "METRIC":
                matchers.append(("__name__", "=", str(part)))
            elif isinstance(part, Tree) and part.data == "matchers":
                matchers += [(str(m.children[0]), str(m.children[1]), _unquote(str(m.children[2])))
                             for m in part.children if m is not None]
            elif isinstance(part, Tree) and part.data == "range":
                window = seconds(str(part.children[0]))
        found = [(labels, s) for labels, s in self.store.series.items() if _matches(labels, matchers)]
        if window is not None:
            return ("range", window, found)
        vector: Vector = {}
        for labels, s in found:
            i = bisect.bisect_right(s.times, self.t) - 1
            if i >= 0 and self.t - s.times[i] <= LOOKBACK:
                vector[labels] = s.values[i]
        return vector

    def _call(self, name: Token, *args: Any) -> Any:
        if name in ("rate", "increase"):
            kind, window, found = self.eval(args[0])
            assert kind == "range", f"{name}() takes a range vector"
            out: Vector = {}
            for labels, s in found:
                value = _extrapolated(s, self.t - window, self.t, is_rate=name == "rate")
                if value is not None:
                    out[_without_name(labels)] = value
            return out
        if name == "time":
            return self.t
        raise AssertionError(f"the evaluator has no {name}()")

    def _aggregation(self, op: Token, *rest: Any) -> Vector:
        grouping = next((r for r in rest if isinstance(r, Tree) and r.data == "grouping"), None)
        operand = next(r for r in rest if not (isinstance(r, Tree) and r.data == "grouping"))
        vector = self.eval(operand)
        by, keep = True, set()
        if grouping is not None:
            by = grouping.children[0] == "by"
            keep = {str(c) for c in grouping.children[1:] if c is not None}
        groups: dict[Labels, list[float]] = {}
        for labels, value in vector.items():
            key = frozenset((k, v) for k, v in labels if k != "__name__" and ((k in keep) == by))
            groups.setdefault(key, []).append(value)
        reduce = {"sum": sum, "min": min, "max": max, "count": len,
                  "avg": lambda vs: sum(vs) / len(vs)}[str(op)]
        return {key: float(reduce(values)) for key, values in groups.items()}

    def _binary(self, left: Any, op: Token, *rest: Any) -> Any:
        keep_bool = len(rest) == 2
        lhs, rhs = self.eval(left), self.eval(rest[-1])
        if op in ("and", "or", "unless"):
            assert isinstance(lhs, dict) and isinstance(rhs, dict), f"'{op}' joins two vectors"
            right = {_without_name(k) for k in rhs}
            left_sets = {_without_name(k) for k in lhs}
            if op == "and":
                return {k: v for k, v in lhs.items() if _without_name(k) in right}
            if op == "unless":
                return {k: v for k, v in lhs.items() if _without_name(k) not in right}
            return {**lhs, **{k: v for k, v in rhs.items() if _without_name(k) not in left_sets}}
        compare = op in ("==", "!=", ">", "<", ">=", "<=")
        if isinstance(lhs, float) and isinstance(rhs, float):
            return _apply(str(op), lhs, rhs)
        if isinstance(rhs, float) or isinstance(lhs, float):
            vector, scalar, vector_left = (lhs, rhs, True) if isinstance(rhs, float) else (rhs, lhs, False)
            out = {}
            for labels, value in vector.items():
                a, b = (value, scalar) if vector_left else (scalar, value)
                result = _apply(str(op), a, b)
                if compare and not keep_bool:
                    if result:
                        out[labels] = value
                else:
                    out[_without_name(labels)] = result
            return out
        right = {_without_name(k): v for k, v in rhs.items()}
        out = {}
        for labels, value in lhs.items():
            key = _without_name(labels)
            if key not in right:
                continue
            result = _apply(str(op), value, right[key])
            if compare and not keep_bool:
                if result:
                    out[labels] = value
            else:
                out[key] = result
        return out


def _apply(op: str, a: float, b: float) -> float:
    if op == "/":
        return a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a))
    return float({"+": a + b, "-": a - b, "*": a * b, "%": math.fmod(a, b) if b else math.nan,
                  "==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op])


def _extrapolated(s: Series, start: float, end: float, is_rate: bool) -> float | None:
    """Prometheus' extrapolatedRate over the samples in (start, end]."""
    i, j = bisect.bisect_right(s.times, start), bisect.bisect_right(s.times, end) - 1
    if j - i < 1:
        return None
    first_t, last_t, first_v = s.times[i], s.times[j], s.values[i]
    result = s.values[j] - first_v + (s.resets[j] - s.resets[i])
    sampled = last_t - first_t
    average = sampled / (j - i)
    to_start, to_end = first_t - start, end - last_t
    if result > 0 and first_v >= 0:
        to_start = min(to_start, sampled * (first_v / result))
    threshold = average * 1.1
    interval = sampled + (to_start if to_start < threshold else average / 2) + \
        (to_end if to_end < threshold else average / 2)
    result *= interval / sampled
    return result / (end - start) if is_rate else result


def run_group(group: dict[str, Any], store: Store, t: float) -> dict[str, Vector]:
    """Evaluate a rule group once at ``t``: each recording rule adds its result to ``store`` as a sample at ``t``
    (its name, its labels over the result's); returns what each alert's expression gave (an alert fires, with no
    ``for``, when that is not empty)."""
    fired: dict[str, Vector] = {}
    for rule in group["rules"]:
        result = Evaluator(store, t).run(rule["expr"])
        assert isinstance(result, dict), f"{rule.get('record') or rule.get('alert')} gives a scalar"
        if "record" in rule:
            for labels, value in result.items():
                store.add(rule["record"], {**dict(labels), **rule.get("labels", {})}, t, value)
        else:
            fired[rule["alert"]] = {**fired.get(rule["alert"], {}), **{
                frozenset({**dict(k), **rule.get("labels", {})}.items()): v for k, v in result.items()
                if not math.isnan(v)}}
    return fired
