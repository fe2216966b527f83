"""GitOps providers: what applies an Environment's folder (Argo CD, Flux, or kubectl from CI) and how it orders a
first sync. ``Environment(gitops=...)`` names one of GITOPS."""

from __future__ import annotations

from shipform.providers.gitops.argocd import ArgoCD
from shipform.providers.gitops.flux import Flux
from shipform.providers.gitops.kubectl import Kubectl
from shipform.providers.gitops.protocol import GitOpsProvider
from shipform.providers.registry import Registry

GITOPS: Registry[GitOpsProvider] = Registry("GitOps", (ArgoCD(), Flux(), Kubectl()))
