"""kubectl: no controller in the cluster; the deploy workflow applies the Environment's folder from CI, waits for
the databases and services, then applies the one-off Jobs of the jobs folder (replacing a changed one itself)."""

from __future__ import annotations

from collections.abc import Sequence

from shipform import spec
from shipform.providers.gitops.protocol import JOBS_FOLDER, Placed
from shipform.spec.manifest import Manifest


class Kubectl:
    """No controller: CI applies each Environment's folder with kubectl (an ApplySet per namespace that prunes), Jobs
    after the rest."""

    name = "kubectl"
    default_namespace = "flux-system"  # unused: nothing is deployed for a controller
    hooks = False
    from_ci = True
    jobs_folder = JOBS_FOLDER
    admission_folder = None  # the deploy applies cluster-scoped objects (the policies) before the namespaces' own
    destinations = ()
    destination_note = "CI deploys the Environment itself, to the cluster its 'cluster' prop names"
    destination_fix = "drop destination (cluster=Cluster.eks(...) says where the deploy workflow applies it)"

    def folder(self, env: spec.Environment) -> str:
        return ""

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        return [o.manifest for o in objects]

    def controller_objects(self, app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
                           has_jobs: bool, objects: Sequence[Manifest]) -> list[Manifest]:
        return []
