"""The synth pipeline: validate everything, produce the spec once, render every file to memory, then
write or check."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from pathlib import Path

from shipform import spec
from shipform.delivery import local_secrets
from shipform.delivery.lock import LOCK_FILE, lock_path, read_lock_document, shown
from shipform.delivery.lock_bases import notes as base_notes
from shipform.delivery.lock_bases import pin_bases
from shipform.delivery.pins import accept_unpinned, pin, promotion_notes, unpinned_errors
from shipform.delivery.pins import notes as image_notes
from shipform.delivery.repository import describe, find_root, project_root, relative
from shipform.errors import InvalidApp, ShipformError, raise_all
from shipform.model.local_rules import environment_errors
from shipform.model.stage import App
from shipform.model.validation import validate
from shipform.render.compose_rules import local_errors
from shipform.render.external_secrets import pull_notes
from shipform.render.network import public_only_notes
from shipform.render.output import Context
from shipform.render.outputs import OUTPUTS
from shipform.render.plan import EnvironmentPlan, environment_plan
from shipform.render.workflows import WORKFLOWS_DIR
from shipform.spec.manifest import Manifest
from shipform.synth.cdk8s_config import CONFIG, read_config
from shipform.synth.handles import plan_errors
from shipform.synth.kubernetes import environment_manifests
from shipform.write.output_error import OutputError
from shipform.write.writer import MANIFEST, OWNER, check_output, owner_line, write_output

MARKER = OWNER + ". Do not edit: change the app and run `shipform synth`."


def marker_line(app: App) -> str:
    return "# " + MARKER.format(app=app.name) + "\n"


def resolve_outdir(app: App, override: str | None = None, project: Path | None = None) -> Path:
    """--outdir (a shell argument, so relative to the working folder), else the project's output folder; an
    empty --outdir is refused (it would silently mean the working folder, or the default)."""
    if override is None:
        return project_output(app, project)
    if not override.strip():
        raise OutputError(f"--outdir must name a folder, got {override!r}. Fix: pass e.g. --outdir dist, or "
                          "leave --outdir out to write the project's output")
    return Path(override)


def project_output(app: App, project: Path | None = None) -> Path:
    """App(outdir=), then CDK8S_OUTDIR, then cdk8s.yaml 'output', then 'dist', relative to the project root
    (``project``, else found upwards from the app's folder): the same folder whichever folder synth runs from."""
    root = project or project_root(app.root)
    chosen = app.outdir_option or os.environ.get("CDK8S_OUTDIR") or _cdk8s_yaml_output(root) or "dist"
    return root / chosen


def _cdk8s_yaml_output(project: Path) -> str | None:
    data = read_config("output", "correct cdk8s.yaml, or pass --outdir", project)
    output = data.get("output")
    if output is not None and (not isinstance(output, str) or not output):
        raise ShipformError(shown((project / CONFIG).absolute()), "output", "must be a folder name", output,
                            "write e.g. `output: dist`, or pass --outdir")
    return output


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Rendering makes hundreds of thousands of short-lived dicts and lists, all freed by reference counting;
    the cyclic collector would walk the whole model again and again meanwhile (a third of the render time at
    1,000 services, and the part that grows faster than the app)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render(app: App, outdir: Path, notes: list[str] | None = None) -> dict[str, str]:
    """Every output file of the app as {relative path: text}; nothing touches the disk. Images with a digest in
    the lock file beside the app file are pinned to it (an Environment after the first must have a digest for
    every image the app builds, or say why it runs them by tag); ``notes``, when given, receives one line per
    Environment that runs images by tag alone or some of the app's images at their previous tag, and one when
    the Dockerfiles pull base images by tag alone (the lock file's ``bases`` pins the others)."""
    with cyclic_gc_paused():
        return _render(app, outdir, notes)


def _render(app: App, outdir: Path, notes: list[str] | None) -> dict[str, str]:
    validate(app)
    plain = app.to_spec()
    lock_file = lock_path(app.root)
    lock, _, bases = read_lock_document(lock_file)
    app_spec = pin(pin_bases(plain, bases), lock)
    plans = [environment_plan(env) for env in app_spec.environments]
    raise_all([e for env, env_spec, plan in zip(app.environments, app_spec.environments, plans, strict=True)
               for e in plan_errors(env, env_spec, plan)])
    raise_all([e for env in app_spec.environments for e in environment_errors(env)]
              + (local_errors(app_spec.local) if app_spec.local is not None else [])
              + unpinned_errors(app_spec, shown(lock_file), shown(app.source_file)))
    app_spec = accept_unpinned(app_spec)
    if notes is not None:
        notes += (image_notes(app_spec) + base_notes(app_spec) + promotion_notes(plain, app_spec)
                  + public_only_notes(app_spec) + pull_notes(app_spec))
    manifests = _manifests(app, app_spec, plans)
    app_dir = (outdir / app.name).resolve()
    repo = describe(app.name, app.root, app.source_file, app_dir)
    # Output written outside the repository (a scratch --outdir) is not what GitOps watches or CI checks:
    # its GitOps objects and workflows then name the app folder alone.
    context = Context(marker_line(app), app_dir, manifests, repo.output_path, repo.root, repo.app_file,
                      repo.tests, app.branch, relative(lock_file, repo.root) or LOCK_FILE, repo.install)
    files: dict[str, str] = {}
    for output in OUTPUTS:
        files.update(output(app_spec, context))
    raise_all(local_secrets.leak_errors(app.name, files, local_secrets.known_values(app, outdir)))
    return dict(sorted(files.items()))


def _manifests(app: App, app_spec: spec.App, plans: list[EnvironmentPlan]) -> dict[str, list[Manifest]]:
    """Each Environment's objects, or the problems found in all of them at once (the same patch is often
    refused in every Environment)."""
    manifests: dict[str, list[Manifest]] = {}
    errors: list[ShipformError] = []
    for env, env_spec, plan in zip(app.environments, app_spec.environments, plans, strict=True):
        try:
            manifests[env.name] = environment_manifests(env, env_spec, plan)
        except InvalidApp as err:
            errors += err.problems
    raise_all(errors)
    return manifests


def output_trees(app: App, root: Path, files: dict[str, str],
                 project: Path | None = None) -> dict[Path, dict[str, str]]:
    """{folder: files} to write: the app's folder and, when the workflows go there (:func:`workflows_home`),
    the repository's .github/workflows/ (shared with other apps and the team's own workflows)."""
    workflows = workflows_home(app, root, project)
    if workflows is None:
        return {root / app.name: files}
    moved = {rel: text for rel, text in files.items() if rel.startswith(f"{WORKFLOWS_DIR}/")}
    return {root / app.name: {rel: text for rel, text in files.items() if rel not in moved},
            workflows: {rel.removeprefix(f"{WORKFLOWS_DIR}/"): text for rel, text in moved.items()}}


def workflows_home(app: App, root: Path, project: Path | None = None) -> Path | None:
    """The repository's .github/workflows/, where the app's workflows go: only with App(workflows='repository')
    and only when ``root`` is the project's own output folder inside the repository. A preview elsewhere (a
    scratch --outdir) keeps them in its output (None), so it never rewrites the workflows the repository runs."""
    return None if app.workflows == "output" or _workflows_kept(app, root, project) else \
        find_root(app.root) / WORKFLOWS_DIR


def _workflows_kept(app: App, root: Path, project: Path | None) -> str | None:
    """Why App(workflows='repository')'s workflows stay in the output written to ``root``; None when they do not."""
    repository = find_root(app.root)
    if not root.resolve().is_relative_to(repository):
        return f"the output folder is outside the repository {repository}"
    own = project_output(app, project)
    if root.resolve() != own.resolve():
        return f"the output folder is not the project's output {shown(own.absolute())}"
    return None


def workflows_note(app: App, root: Path, project: Path | None = None) -> str | None:
    """The line that says the workflows stayed in the output, and why; None when they went where GitHub runs them."""
    reason = None if app.workflows == "output" else _workflows_kept(app, root, project)
    if reason is None:
        return None
    kept = shown((root / app.name / WORKFLOWS_DIR).absolute())
    return (f"{app.name}: the workflows stay in {kept}/ ({reason}); the repository's {WORKFLOWS_DIR}/ is left "
            "as it is")


def synth_app(app: App, outdir: str | None = None, check: bool = False, notes: list[str] | None = None,
              project: Path | None = None) -> dict[Path, list[str]]:
    """Write (or with check=True only compare) the app's output. Returns, per folder written (the app's and, when
    its workflows go there, the repository's .github/workflows/), what differs(ed) from the output on disk: one
    '+ new', '~ changed' or '- stale' line per file relative to that folder. ``notes`` (when given) receives the
    lines that say which Environments run images without a digest, and where the workflows stayed. ``project``
    is the project root (default: found upwards from the app's folder). Files under the app's folder that start
    with the app's marker line are shipform's even when the manifest is lost."""
    root = resolve_outdir(app, outdir, project)
    files = render(app, root, notes)
    note = workflows_note(app, root, project)
    if note is not None and notes is not None:
        notes.append(note)
    return {folder: (check_output if check else write_output)(folder, tree, owner_line(app.name),
                                                               manifest_name(app, root, folder))
            for folder, tree in output_trees(app, root, files, project).items()}


def manifest_name(app: App, root: Path, folder: Path) -> str:
    """The list of shipform's files in ``folder``: the app's own, or one per app in the shared workflows folder."""
    return MANIFEST if folder == root / app.name else f".shipform-{app.name}.json"
