"""Helpers for testing apps and construct libraries without a file system: synthesize an App to
``{relative path: text}`` in memory, find the Kubernetes objects in it, and assert that no credential landed
in it. A library's snapshot tests compare these dicts (e.g. with syrupy) instead of folders on disk.

    from shipform.testing import synthesize, find_object, assert_no_secret_literals

    files = synthesize(app)
    deployment = find_object(files, "Deployment", "orders-api", env="prod")
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert_no_secret_literals(files, "hunter2")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from shipform.model.stage import App
from shipform.spec.manifest import Manifest
from shipform.synth.pipeline import render
from shipform.values.checks import secret_shape
from shipform.write.writer import MANIFEST

Files = Mapping[str, str]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML has it: the same documents


def synthesize(app: App, outdir: str | Path = "dist") -> dict[str, str]:
    """Every file ``shipform synth`` would write for ``app`` (the same validation and errors), as
    ``{path relative to the app's output folder: text}``; nothing is written. ``outdir`` is where the output
    would go, relative to the app file's folder unless absolute (compose build contexts, GitOps objects and
    workflows name paths relative to it), so the result does not depend on the folder the tests run from."""
    return render(app, app.root / outdir)


def objects(files: Files, kind: str | None = None, name: str | None = None, namespace: str | None = None,
            env: str | None = None) -> list[Manifest]:
    """The Kubernetes objects under ``k8s/<env>/`` (every Environment unless ``env`` is given) that match the
    given kind, name and namespace, in path order."""
    found = []
    for path in sorted(files):
        parts = path.split("/")
        if parts[0] != "k8s" or len(parts) < 3 or (env is not None and parts[1] != env):
            continue
        if not path.endswith(".yaml") or parts[-1] == "kustomization.yaml":
            continue
        if kind is not None and not re.search(rf"^kind: *['\"]?{re.escape(kind)}['\"]? *$", files[path], re.M):
            continue  # no object of that kind in the file: skip parsing it
        for doc in yaml.load_all(files[path], Loader=_LOADER):
            if not isinstance(doc, dict):
                continue
            meta = doc.get("metadata") or {}
            if (kind is None or doc.get("kind") == kind) and (name is None or meta.get("name") == name) \
                    and (namespace is None or meta.get("namespace") == namespace):
                found.append(doc)
    return found


def find_object(files: Files, kind: str, name: str, namespace: str | None = None,
                env: str | None = None) -> Manifest:
    """The one object of ``kind`` named ``name`` (in ``namespace`` and ``env`` when given); an AssertionError
    that lists what there is when there is none or more than one."""
    found = objects(files, kind, name, namespace, env)
    if len(found) == 1:
        return found[0]
    names = sorted({f"{(o.get('metadata') or {}).get('namespace', '')}/{(o.get('metadata') or {}).get('name')}"
                    for o in objects(files, kind, env=env)})
    where = f" in environment {env!r}" if env else ""
    raise AssertionError(f"{len(found)} {kind} objects named {name!r}{where} (expected one); "
                         f"{kind} objects: {', '.join(names) or 'none'}")


def assert_no_secret_literals(files: Files, *literals: str) -> None:
    """Fails when a generated file contains one of ``literals`` (e.g. the test's own passwords), a credential by
    its shape (private keys, AWS access key ids, URLs with a password, GitHub and Slack tokens), or a Kubernetes
    Secret that carries data: shipform passes secrets by reference only."""
    problems = []
    for path, text in sorted(files.items()):
        problems += [f"{path}: contains the literal {literal[:4]}..." for literal in literals if literal in text]
        shape = secret_shape(text)
        if shape is not None:
            problems.append(f"{path}: contains {shape}")
    for secret in objects(files, "Secret"):
        if secret.get("data") or secret.get("stringData"):
            problems.append(f"Secret {(secret.get('metadata') or {}).get('name')}: carries data")
    if problems:
        raise AssertionError("secrets in the generated files:\n" + "\n".join(problems))


def read_output(folder: str | Path) -> dict[str, str]:
    """A folder written by ``shipform synth`` as the same ``{relative path: text}`` dict ``synthesize`` returns."""
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()
            and p.name != MANIFEST}
