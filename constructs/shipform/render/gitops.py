"""What points the Environment's GitOps controller at its folder (an Argo CD Application in its AppProject, or a
Flux GitRepository, Kustomizations and the account they apply as), under ``gitops/<provider>/``. They are applied
once (or by an app of apps); from then on the controller keeps the cluster equal to the committed folder: it prunes
what was removed and undoes changes made by hand (self-heal). Each provider (providers.gitops) makes its own;
kubectl makes none (a deploy workflow applies the folder)."""

from __future__ import annotations

from shipform import spec
from shipform.render.gitops_objects import controller_manifests
from shipform.render.output import Context
from shipform.write.yaml_dump import dump


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``gitops/<provider>/[<folder>/]<kind>-<namespace>-<name>.yaml`` per object, when the App names its
    repository."""
    return {path: context.marker + dump(manifest) for path, manifest in controller_manifests(app, context).items()}
