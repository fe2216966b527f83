"""A compose ``build:`` as a shipform Build: the preset whose dependency files the context holds (the presets'
own layouts, so what is detected here is what synth accepts), else the team's Dockerfile when it ends as a
numeric non-root user, which shipform requires of it."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipform.importing.compose_file import digits, scalar, words
from shipform.importing.plan import BuildPlan, Service
from shipform.model.build import PRESETS, final_user
from shipform.values.checks import SECRET_NAME

_ORDER = ("python", "node", "go")


def plan_build(service: Service, body: Mapping[str, Any], compose_folder: Path, app_folder: Path) -> BuildPlan | None:
    """The Build of a service with ``build:``, or None (with a note saying why) where none would synthesize."""
    build = body.get("build")
    spec = build if isinstance(build, dict) else {"context": build}
    context_text = scalar(spec.get("context") or ".")
    if "://" in context_text or context_text.startswith("git@"):
        service.note("build.context", context_text, "a remote build context; build the image in CI and pass image=")
        return None
    context = (compose_folder / context_text).resolve()
    relative = Path(os.path.relpath(context, app_folder.resolve())).as_posix()
    if relative == ".." or relative.startswith("../"):
        service.note("build.context", context_text, "it is outside the app file's folder; write the app file at or "
                     "above the compose file's folder")
        return None
    if not context.is_dir():
        service.note("build.context", context_text, "the folder does not exist")
        return None
    if "dockerfile_inline" in spec:
        service.note("build.dockerfile_inline", "...", "an inline Dockerfile; shipform builds from a file or a preset")
    dockerfile = context / scalar(spec.get("dockerfile") or "Dockerfile")
    dockerfile_text = dockerfile.read_text(encoding="utf-8", errors="replace") if dockerfile.is_file() else ""
    service.image_ports = exposed_ports(dockerfile_text)
    command = [*words(body.get("entrypoint")), *words(body.get("command"))] or dockerfile_command(dockerfile_text)
    args = _args(service, spec.get("args"))
    for preset in _ORDER:
        if any(all((context / f).is_file() for f in layout) for layout in PRESETS[preset].layouts):
            if command or PRESETS[preset].default_command:
                return BuildPlan(preset, relative, command, args=args)  # type: ignore[arg-type]
            service.note("build", context_text, f"the {preset} preset needs the command the image runs, and neither "
                         "the compose file nor the Dockerfile says it")
            return None
    if not dockerfile_text:
        service.note("build", context_text, "no preset fits the folder (requirements.txt or a lockfile, package.json "
                     "with its lockfile, go.mod) and it has no Dockerfile")
        return None
    user = final_user(dockerfile_text)
    run_as = numeric_user(user)
    if run_as is None:
        service.note("build.dockerfile", dockerfile.name, f"the Dockerfile runs as USER {user or '(none: root)'}; "
                     "shipform builds a team's Dockerfile only when it ends with a numeric non-root USER uid:gid")
        return None
    service.run_as = run_as
    file = Path(os.path.relpath(dockerfile.resolve(), app_folder.resolve())).as_posix()
    return BuildPlan("dockerfile", relative, dockerfile=file)


def numeric_user(user: str | None) -> tuple[int, int] | None:
    """(uid, gid) of a numeric non-root ``uid[:gid]``, else None."""
    if not user:
        return None
    uid, _, gid = user.partition(":")
    if not digits(uid) or (gid and not digits(gid)) or int(uid) == 0 or (gid and int(gid) == 0):
        return None
    return int(uid), int(gid or uid)


def _args(service: Service, value: Any) -> dict[str, str]:
    pairs: dict[str, str] = {}
    if isinstance(value, dict):
        pairs = {str(k): scalar(v) for k, v in value.items() if v is not None}
    elif isinstance(value, list):
        pairs = {k: v for k, _, v in (str(item).partition("=") for item in value)}
    kept = {}
    for name, text in pairs.items():
        if SECRET_NAME.search(name):
            service.note(f"build.args.{name}", "<redacted>", "build arguments stay in the image's history; pass "
                         "credentials at run time with secrets=")
        else:
            kept[name] = text
    return kept


def exposed_ports(text: str) -> list[int]:
    """The TCP ports a Dockerfile's EXPOSE lines name (in any stage: a final stage often builds on one that
    exposes)."""
    found: list[int] = []
    for line in text.replace("\\\n", " ").splitlines():
        word, _, rest = line.strip().partition(" ")
        if word.upper() == "EXPOSE":
            for item in rest.split():
                number, _, proto = item.partition("/")
                if digits(number) and proto in ("", "tcp") and 0 < int(number) < 65536 and int(number) not in found:
                    found.append(int(number))
    return found


def dockerfile_command(text: str) -> list[str]:
    """ENTRYPOINT and CMD of the Dockerfile's final stage, exec form; a shell form runs through sh -c."""
    entrypoint: list[str] = []
    cmd: list[str] = []
    for line in text.replace("\\\n", " ").splitlines():
        word, _, rest = line.strip().partition(" ")
        upper = word.upper()
        if upper == "FROM":
            entrypoint, cmd = [], []
        elif upper in ("CMD", "ENTRYPOINT"):
            parsed = _instruction(rest.strip())
            if upper == "CMD":
                cmd = parsed
            else:
                entrypoint = parsed
    return [*entrypoint, *cmd]


def _instruction(rest: str) -> list[str]:
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []
    if not rest:
        return []
    if any(c in rest for c in "|&;<>$`"):
        return ["sh", "-c", rest]
    try:
        return shlex.split(rest)
    except ValueError:
        return ["sh", "-c", rest]
