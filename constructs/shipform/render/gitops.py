"""What points the Environment's GitOps controller at its folder (an Argo CD Application, or a Flux GitRepository
and Kustomizations), under ``gitops/<provider>/``. They are applied once (or by an app of apps); from then on the
controller keeps the cluster equal to the committed folder: it prunes what was removed and undoes changes made
by hand (self-heal). Each provider (providers.gitops) makes its own; kubectl makes none (a deploy workflow
applies the folder)."""

from __future__ import annotations

import posixpath

from shipform import spec
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import is_one_off_job
from shipform.render.objects import file_name
from shipform.render.output import Context
from shipform.write.yaml_dump import dump


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``gitops/<provider>/<kind>-<namespace>-<name>.yaml`` per object, when the App names its repository."""
    if app.repository is None:
        return {}
    result: dict[str, str] = {}
    for env in app.environments:
        provider = GITOPS[env.gitops]
        path = posixpath.normpath(f"{context.repository_path}/k8s/{env.name}")
        has_jobs = provider.jobs_folder is not None and any(is_one_off_job(m) for m in context.manifests[env.name])
        for manifest in provider.controller_objects(app, env, app.repository, path, has_jobs):
            result[f"gitops/{env.gitops}/{file_name(manifest)}"] = context.marker + dump(manifest)
    return result
