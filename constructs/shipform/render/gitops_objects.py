"""The objects that point each Environment's GitOps controller at its folder, by the path they are written to
(``gitops/<provider>/[<folder>/]<kind>-<namespace>-<name>.yaml``): the GitOps output writes them, the accepted
risks read the Roles among them."""

from __future__ import annotations

import posixpath

from shipform import spec
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import is_one_off_job
from shipform.render.objects import file_name
from shipform.render.output import Context
from shipform.spec.manifest import Manifest


def controller_manifests(app: spec.App, context: Context) -> dict[str, Manifest]:
    """{path: object} of every Environment's controller objects; none unless the App names its repository (the
    folder: where the provider keeps objects applied in another cluster)."""
    if app.repository is None:
        return {}
    result: dict[str, Manifest] = {}
    for env in app.environments:
        provider = GITOPS[env.gitops]
        path = posixpath.normpath(f"{context.repository_path}/k8s/{env.name}")
        objects = context.manifests[env.name]
        has_jobs = provider.jobs_folder is not None and any(is_one_off_job(m) for m in objects)
        folder = posixpath.join("gitops", env.gitops, provider.folder(env))
        for manifest in provider.controller_objects(app, env, app.repository, path, has_jobs, objects):
            result[posixpath.join(folder, file_name(manifest))] = manifest
    return result
