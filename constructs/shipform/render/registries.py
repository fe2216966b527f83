"""How a workflow logs in to the App's registry: GHCR with the workflow's own token, the clouds through OIDC
(no long-lived keys), Docker Hub with an access token kept as a GitHub secret. Settings that are not secret
(account, region, identity provider) come from GitHub repository variables (``vars.*``).

Each cloud login names one of three identities, each from variables of its own, so that no job can take another's
power: 'push' (the build's image job: pushes, signs, attests), 'read' (the promotion: reads signatures and
attestations) and 'deploy' (the deploy jobs: the cluster). The build's image job runs the repository's own build
steps; with one shared identity it could deploy to prod. What each identity's trust policy must require is written
per App by :mod:`shipform.render.trust`."""

from __future__ import annotations

import re
from typing import Literal

from shipform import spec
from shipform.render.actions import Step, named

Purpose = Literal["push", "read", "deploy"]
PURPOSES: tuple[Purpose, ...] = ("push", "read", "deploy")
CLOUD_REGISTRIES = ("ecr", "gcp", "acr")
"""Registry kinds a workflow logs in to through the cloud's OIDC identity."""


def identity_variable(cloud: Literal["aws", "gcp", "azure"], purpose: Purpose) -> str:
    """The GitHub variable naming the identity of ``purpose``: the AWS role, the GCP service account, the Azure
    application (client). Shared by all three, as they name no identity: GCP_WORKLOAD_IDENTITY_PROVIDER (the pool's
    provider only checks the token; each service account's own binding decides which subject may impersonate it),
    AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID."""
    name = {"aws": "AWS_{}_ROLE_ARN", "gcp": "GCP_{}_SERVICE_ACCOUNT", "azure": "AZURE_{}_CLIENT_ID"}[cloud]
    return name.format(purpose.upper())


def _var(name: str) -> str:
    return f"${{{{ vars.{name} }}}}"


def _gcp_identity(purpose: Purpose) -> dict[str, str]:
    return {"workload_identity_provider": _var("GCP_WORKLOAD_IDENTITY_PROVIDER"),
            "service_account": _var(identity_variable("gcp", purpose))}


def _azure_identity(purpose: Purpose) -> dict[str, str]:
    return {"client-id": _var(identity_variable("azure", purpose)), "tenant-id": _var("AZURE_TENANT_ID"),
            "subscription-id": _var("AZURE_SUBSCRIPTION_ID")}


def kind_of(registry: str) -> str:
    host = registry.split("/", 1)[0]
    if host == "ghcr.io":
        return "ghcr"
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        return "dockerhub"
    if re.fullmatch(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com", host):
        return "ecr"
    if host.endswith("-docker.pkg.dev") or host == "gcr.io" or host.endswith(".gcr.io"):
        return "gcp"
    if host.endswith(".azurecr.io"):
        return "acr"
    return "other"


def _aws_login(region: str, purpose: Purpose) -> Step:
    return named("AWS credentials (OIDC)", "aws-credentials", **{
        "role-to-assume": _var(identity_variable("aws", purpose)), "aws-region": region})


def login_steps(registry: str, purpose: Literal["push", "read"] = "push") -> list[Step]:
    """The registry login of the build's image job ('push') or of the promotion ('read')."""
    host = registry.split("/", 1)[0]
    kind = kind_of(registry)
    if kind == "ghcr":
        return [named("Log in to GHCR", "docker-login", registry="ghcr.io", username="${{ github.actor }}",
                      password="${{ secrets.GITHUB_TOKEN }}")]
    if kind == "dockerhub":
        return [named("Log in to Docker Hub", "docker-login", username="${{ vars.DOCKERHUB_USERNAME }}",
                      password="${{ secrets.DOCKERHUB_TOKEN }}")]
    if kind == "ecr":
        region = host.split(".")[3]
        return [_aws_login(region, purpose), named("Log in to ECR", "ecr-login")]
    if kind == "gcp":
        return [{**named("Google Cloud credentials (OIDC)", "gcp-auth", **_gcp_identity(purpose),
                         token_format="access_token"), "id": "gcp"},
                named("Log in to Artifact Registry", "docker-login", registry=host, username="oauth2accesstoken",
                      password="${{ steps.gcp.outputs.access_token }}")]
    if kind == "acr":
        return [named("Azure login (OIDC)", "azure-login", **_azure_identity(purpose)),
                {"name": "Log in to ACR", "env": {"REGISTRY": host.split(".")[0]},
                 "run": 'az acr login --name "$REGISTRY"'}]
    return [named(f"Log in to {host}", "docker-login", registry=host, username="${{ vars.REGISTRY_USERNAME }}",
                  password="${{ secrets.REGISTRY_PASSWORD }}")]


def registry_permissions(registry: str, push: bool = True) -> dict[str, str]:
    """GHCR takes the workflow's token (packages: write to push, read to read signatures); the clouds take an
    OIDC token (id-token: write, which a job that pushes holds anyway, for signing)."""
    kind = kind_of(registry)
    if kind == "ghcr":
        return {"packages": "write" if push else "read"}
    return {"id-token": "write"} if kind in ("ecr", "gcp", "acr") and not push else {}


def uses_secrets(registry: str) -> bool:
    """Whether logging in reads a secret other than the workflow's token (Docker Hub, any other registry): the
    job then runs in a GitHub environment (see workflow_common.RELEASE_ENVIRONMENT)."""
    return kind_of(registry) in ("dockerhub", "other")


def uses_cloud_identity(registry: str) -> bool:
    """Whether logging in exchanges the job's OIDC token for a cloud identity. The image job then runs in the
    GitHub environment 'release' too: its token's subject is ``repo:<owner>/<repo>:environment:release``, one
    exact value every cloud can match (Azure's federated credentials match the subject exactly, and a release tag's
    ref varies), and the environment's deployment branch rule keeps the push identity to the default branch and
    release tags."""
    return kind_of(registry) in CLOUD_REGISTRIES


def cluster_login(cluster: spec.ClusterSpec) -> list[Step]:
    """A kubeconfig for the deploy job: the clouds through OIDC, any other cluster from the GitHub
    environment's secret KUBECONFIG."""
    if cluster.kind == "eks":
        return [_aws_login(cluster.location, "deploy"),
                {"name": "kubeconfig for EKS", "env": {"CLUSTER": cluster.name, "REGION": cluster.location},
                 "run": 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"'}]
    if cluster.kind == "gke":
        return [named("Google Cloud credentials (OIDC)", "gcp-auth", **_gcp_identity("deploy")),
                named("kubeconfig for GKE", "gke-credentials", cluster_name=cluster.name, location=cluster.location)]
    if cluster.kind == "aks":
        return [named("Azure login (OIDC)", "azure-login", **_azure_identity("deploy")),
                named("kubeconfig for AKS", "aks-set-context", **{
                    "resource-group": cluster.location, "cluster-name": cluster.name})]
    return [named("kubeconfig from the environment's secret", "k8s-set-context", method="kubeconfig",
                  kubeconfig="${{ secrets.KUBECONFIG }}")]
