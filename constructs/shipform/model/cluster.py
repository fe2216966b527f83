"""Where an Environment without a GitOps controller is deployed from CI: the cluster and how a workflow logs
in to it (through OIDC for the clouds, never long-lived keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

ClusterKind = Literal["eks", "gke", "aks", "kubeconfig"]


@value_object
@dataclass(frozen=True)
class Cluster:
    """``Environment(..., gitops="kubectl", cluster=Cluster.eks("shop-prod", "eu-west-1"))``.

    :param kind: 'eks', 'gke', 'aks' or 'kubeconfig' (use the constructors).
    :param name: the cluster's name (not used by 'kubeconfig').
    :param location: the AWS region, the GKE location or the AKS resource group.
    :param kubectl_version: Default: 'v1.33.6'. The kubectl the deploy job installs (match the cluster).
    """

    kind: ClusterKind
    name: str = ""
    location: str = ""
    kubectl_version: str = "v1.33.6"
    prop_example: ClassVar[str] = "Cluster.eks('shop-prod', 'eu-west-1')"

    @classmethod
    def eks(cls, name: str, region: str, kubectl_version: str = "v1.33.6") -> Cluster:
        """EKS through OIDC: the role to assume comes from the GitHub variable AWS_DEPLOY_ROLE_ARN."""
        return cls("eks", name, region, kubectl_version)

    @classmethod
    def gke(cls, name: str, location: str, kubectl_version: str = "v1.33.6") -> Cluster:
        """GKE through workload identity federation (variables GCP_WORKLOAD_IDENTITY_PROVIDER,
        GCP_DEPLOY_SERVICE_ACCOUNT)."""
        return cls("gke", name, location, kubectl_version)

    @classmethod
    def aks(cls, name: str, resource_group: str, kubectl_version: str = "v1.33.6") -> Cluster:
        """AKS through OIDC (variables AZURE_DEPLOY_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID)."""
        return cls("aks", name, resource_group, kubectl_version)

    @classmethod
    def kubeconfig(cls, kubectl_version: str = "v1.33.6") -> Cluster:
        """Any cluster, from a kubeconfig kept in the GitHub environment's secret KUBECONFIG."""
        return cls("kubeconfig", kubectl_version=kubectl_version)

    def to_spec(self, path: str) -> spec.ClusterSpec:
        check_fields(path, "cluster", self)
        for prop in ("name", "location") if self.kind != "kubeconfig" else ():
            value = getattr(self, prop)
            if not checks.matches(r"[A-Za-z0-9][A-Za-z0-9._()-]{0,89}", value):
                raise ShipformError(path, f"cluster.{prop}", "must be a cloud resource name (letters, digits, '.', "
                                    "'_', '-', '(' and ')')", value, "write the name as the cloud console shows it")
        checks.kubectl_version(path, "cluster.kubectl_version", self.kubectl_version)
        return spec.ClusterSpec(self.kind, self.name, self.location, self.kubectl_version)
