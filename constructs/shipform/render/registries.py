"""How a workflow logs in to the App's registry: GHCR with the workflow's own token, the clouds through OIDC
(no long-lived keys), Docker Hub with an access token kept as a GitHub secret. Settings that are not secret
(account, region, identity provider) come from GitHub repository variables (``vars.*``)."""

from __future__ import annotations

import re

from shipform import spec
from shipform.render.actions import Step, named

# Not secret: which identity the workflow's OIDC token is exchanged for, from GitHub repository variables.
_GCP_IDENTITY = {"workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                 "service_account": "${{ vars.GCP_SERVICE_ACCOUNT }}"}
_AZURE_IDENTITY = {"client-id": "${{ vars.AZURE_CLIENT_ID }}", "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
                   "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}"}


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


def _aws_login(region: str) -> Step:
    return named("AWS credentials (OIDC)", "aws-credentials", **{"role-to-assume": "${{ vars.AWS_ROLE_ARN }}",
                                                                 "aws-region": region})


def login_steps(registry: str) -> list[Step]:
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
        return [_aws_login(region), named("Log in to ECR", "ecr-login")]
    if kind == "gcp":
        return [{**named("Google Cloud credentials (OIDC)", "gcp-auth", **_GCP_IDENTITY, token_format="access_token"),
                 "id": "gcp"},
                named("Log in to Artifact Registry", "docker-login", registry=host, username="oauth2accesstoken",
                      password="${{ steps.gcp.outputs.access_token }}")]
    if kind == "acr":
        return [named("Azure login (OIDC)", "azure-login", **_AZURE_IDENTITY),
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


def cluster_login(cluster: spec.ClusterSpec) -> list[Step]:
    """A kubeconfig for the deploy job: the clouds through OIDC, any other cluster from the GitHub
    environment's secret KUBECONFIG."""
    if cluster.kind == "eks":
        return [_aws_login(cluster.location),
                {"name": "kubeconfig for EKS", "env": {"CLUSTER": cluster.name, "REGION": cluster.location},
                 "run": 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"'}]
    if cluster.kind == "gke":
        return [named("Google Cloud credentials (OIDC)", "gcp-auth", **_GCP_IDENTITY),
                named("kubeconfig for GKE", "gke-credentials", cluster_name=cluster.name, location=cluster.location)]
    if cluster.kind == "aks":
        return [named("Azure login (OIDC)", "azure-login", **_AZURE_IDENTITY),
                named("kubeconfig for AKS", "aks-set-context", **{
                    "resource-group": cluster.location, "cluster-name": cluster.name})]
    return [named("kubeconfig from the environment's secret", "k8s-set-context", method="kubeconfig",
                  kubeconfig="${{ secrets.KUBECONFIG }}")]
