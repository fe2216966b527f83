"""The kubelet expands $(NAME) and turns $$ into $ in command, args and env values before the process sees
them. Every such string shipform writes must reach the process exactly as the app defined it."""

from __future__ import annotations

import pytest
import yaml

from conftest import DIST
from shipform.render.pod import literal


def kubelet_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion (k8s.io/kubernetes third_party/forked/golang/expansion): '$$' is '$', '$(NAME)' is
    the value of NAME when it is defined and stays as written when not, any other '$' stays."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text) and text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i] == "$" and i + 1 < len(text) and text[i + 1] == "(" and ")" in text[i + 2:]:
            end = text.index(")", i + 2)
            name = text[i + 2:end]
            out.append(env.get(name, text[i:end + 1]))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


TRICKY = ["$$", "$(HOME)", "$$(HOME)", "a$b", "$", "end$", "$((1 + 1))", "DO $x$ BEGIN $x$", "$(date -u +%Y)",
          "price $5", "$$$", "($)", "$)("]


@pytest.mark.parametrize("text", TRICKY)
def test_literal_survives_the_kubelet_whatever_is_defined(text):
    env = {"HOME": "/root", "date -u +%Y": "never"}
    assert kubelet_expand(literal(text), env) == text


def containers(manifest: dict) -> list[dict]:
    spec = manifest.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template")
    if not template:
        return []
    return [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]


def test_only_intended_references_are_expanded():
    """In the reference output, no command or arg refers to a variable the container defines, and the only
    env values the kubelet expands are URLs built from a password variable on purpose."""
    for path in sorted(DIST.glob("*/k8s/**/*.yaml")):
        manifest = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        for c in containers(manifest):
            env = {e["name"]: "<value>" for e in c.get("env", [])}
            for text in [*c.get("command", []), *c.get("args", [])]:
                assert kubelet_expand(text, env) == kubelet_expand(text, {}), (path.name, text)
            for e in c.get("env", []):
                if "value" in e and kubelet_expand(e["value"], env) != kubelet_expand(e["value"], {}):
                    assert e["name"].endswith("_URL"), (path.name, e)
