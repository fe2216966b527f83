"""Every third-party action the generated workflows use, pinned by the commit SHA of one release tag.

Each SHA was read with ``git rev-parse '<tag>^{commit}'`` in a fetched copy of the action's own repository, and
the inputs and ``runs.using`` noted beside it were read from ``git show <tag>:action.yml`` at that same tag. The
fetched copies were snapshots, some months older than the check date; ``checked`` names the snapshot's last
commit. A newer release may exist upstream (known ones are noted per entry); move a pin only by reading the new
tag's SHA the same way, never by copying one from somewhere else.

The renderer writes ``uses: <repo>@<sha> # <version>``; :meth:`Action.uses` returns the ref without the comment.

Not pinned here, on purpose:

- actions/cache: no separate need. build-push-action caches layers with ``type=gha``, setup-python has its own
  ``cache`` input, and trivy-action restores its DB with actions/cache pinned inside it (v5.0.5,
  27d5ce7f107fe9357f9df03efb73ab90386fccae, the same commit our fetch shows for that tag).
- actions/attest-build-provenance (v4.1.0, a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32) and actions/attest-sbom
  (v4.1.0, c604332985a26aa8cf1bdc465b92731239ec6b9e): both are composite wrappers around the older
  actions/attest v4.1.0, and attest-sbom's README says it is deprecated in favour of actions/attest. actions/attest
  (below) covers both: provenance when no ``sbom-path`` is given, an SBOM attestation when it is.
- Actions no generated workflow uses, so that no pin is kept current for nothing: docker/setup-qemu-action
  (multi-platform builds), anchore/sbom-action (build-push-action writes the SBOM), google-github-actions/setup-gcloud
  (no job runs gcloud) and Azure/use-kubelogin (Entra ID AKS clusters).
- kubectl on an EKS cluster: ``aws eks update-kubeconfig`` runs with the aws CLI already on GitHub's Ubuntu
  runners, after configure-aws-credentials; no extra action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SHA = re.compile(r"[0-9a-f]{40}")
_DAY = "2026-11-29"


@dataclass(frozen=True)
class Action:
    repo: str  # "actions/checkout"
    version: str  # the release tag the SHA was read from, e.g. "v7.0.1"
    sha: str  # full 40-hex commit SHA of that tag
    checked: str  # where and when the SHA was read

    def __post_init__(self) -> None:
        if not _SHA.fullmatch(self.sha):
            raise ValueError(f"{self.repo}: pin {self.sha!r} is not a full 40-hex commit SHA")

    def uses(self) -> str:
        """The ref for ``uses:``; the renderer adds the ``# <version>`` comment."""
        return f"{self.repo}@{self.sha}"


def _fetched(repo: str, tag: str, snapshot: str, day: str) -> str:
    return (f"git rev-parse {tag}^{{commit}} in a fetch of github.com/{repo} (snapshot through {snapshot}), "
            f"{day}")


def _action(repo: str, version: str, sha: str, snapshot: str, day: str = _DAY) -> Action:
    return Action(repo, version, sha, _fetched(repo, version, snapshot, day))


ACTIONS: dict[str, Action] = {
    # --- source, Python, artifacts ---------------------------------------------------------------------------
    # node24. Inputs: persist-credentials: false (default true leaves the token in .git/config), fetch-depth,
    # ref. New in v7: allow-unsafe-pr-checkout (default false). Outputs: ref, commit.
    "checkout": _action("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", "2026-07-22"),
    # node24. Inputs: python-version or python-version-file, cache: pip, cache-dependency-path.
    # Outputs: python-version, python-path, cache-hit.
    "setup-python": _action("actions/setup-python", "v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97",
                            "2026-07-24"),
    # node24. uv, for a repository with uv.lock. Inputs: version (default: pyproject's [tool.uv] required-version,
    # else the latest), enable-cache (default auto: on, except for release, tag push, pull_request_target and
    # workflow_run events; 'true' turns it on for any event), cache-dependency-glob (relative to the working
    # directory), python-version, activate-environment. Outputs: uv-version, uv-path, cache-hit, cache-key, venv.
    "setup-uv": _action("astral-sh/setup-uv", "v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "2026-08-20",
                        "2026-12-07"),
    # node24. Inputs: name, path (required), if-no-files-found: error, retention-days, overwrite,
    # include-hidden-files, archive. Outputs: artifact-id, artifact-url, artifact-digest.
    # Newer upstream: v7.0.1 (2026-04, per third-party release notes); not in our snapshot, so not verified.
    "upload-artifact": _action("actions/upload-artifact", "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
                               "2026-03-01"),
    # node24. Inputs: name or pattern + merge-multiple, path, digest-mismatch: error (default).
    # Output: download-path.
    "download-artifact": _action("actions/download-artifact", "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
                                 "2026-05-04"),
    # node24. Provenance (default) or SBOM attestation (sbom-path: SPDX/CycloneDX JSON). Inputs: subject-name
    # (the image without tag), subject-digest (build-push-action's digest output), push-to-registry: true,
    # sbom-path. Job permissions: id-token: write, attestations: write, artifact-metadata: write (the README's
    # list), packages: write when pushing to ghcr.io. Outputs: bundle-path, attestation-id, attestation-url.
    "attest": _action("actions/attest", "v4.2.2", "1e69f48acb82d1966a394da916b4c1698aa569d6", "2026-08-04"),
    # node24. An installation access token of a GitHub App. Inputs: client-id (app-id is accepted but marked
    # deprecated in this tag's action.yml), private-key (required), owner, repositories, permission-<name>
    # (e.g. permission-contents: write), skip-token-revoke, github-api-url (default github.api_url, so GitHub
    # Enterprise works). Outputs: token, installation-id, app-slug. The token is revoked in the post step.
    "create-github-app-token": _action("actions/create-github-app-token", "v3.1.1",
                                       "1b10c78c7865c340bc4f6099eb2f838309f1e8c3", "2026-04-21"),
    # --- image build -----------------------------------------------------------------------------------------
    # node24. Inputs: version (buildx), driver (default docker-container, needed for type=gha cache and
    # attestations), platforms. Outputs: name, platforms.
    # Newer upstream: v4.4.0, v4.4.1 (per third-party release notes); not verified.
    "setup-buildx": _action("docker/setup-buildx-action", "v4.3.0", "37fe631027851001ddb9b187196cc803df7f5f0e",
                            "2026-08-18"),
    # node24. Inputs: registry, username, password, ecr, scope, logout (default true). No outputs.
    # Newer upstream: v4.2.0 .. v4.6.0 (checkout v7.0.1's own workflows use v4.4.0); our snapshot stops at
    # v4.1.0, so those are not verified.
    "docker-login": _action("docker/login-action", "v4.1.0", "4907a6ddec9925e35a0a9e82d7399ccc52663121",
                            "2026-04-30"),
    # node24. Inputs: context, file, push, tags, labels, platforms, provenance (e.g. mode=max), sbom: true,
    # cache-from: type=gha, cache-to: type=gha,mode=max, build-args, secrets. Outputs: digest, imageid,
    # metadata.
    "build-push": _action("docker/build-push-action", "v7.3.0", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
                          "2026-07-23"),
    # --- signing, scanning, SBOM, lint -----------------------------------------------------------------------
    # composite. Installs cosign; input cosign-release (default v3.0.6 at this tag), install-dir. No outputs.
    # Signing keyless needs id-token: write.
    "cosign-installer": _action("sigstore/cosign-installer", "v4.1.2", "6f9f17788090df1f26f669e9d70d6ae9567deba6",
                                "2026-07-20"),
    # composite. Installs trivy v0.70.0 by default at this tag (input version; set it explicitly), through
    # aquasecurity/setup-trivy pinned at 3fb12ec12f41e471780db15c232d5dd185dcb514 (v0.2.6) and actions/cache
    # v5.0.5. Inputs: scan-type (image/fs/config), image-ref or scan-ref, exit-code: 1, severity,
    # ignore-unfixed, format (sarif), output, trivyignores (our .trivyignore.yaml), version, cache.
    # v0.36.0 is an SSH-signed annotated tag on a master commit made after the March 2026 compromise, in
    # which tags up to 0.34.x were force-pushed to malicious commits (aquasecurity/trivy-action#541); never
    # pin this action by tag.
    "trivy": _action("aquasecurity/trivy-action", "v0.36.0", "ed142fd0673e97e23eac54620cfb913e5ce36c25",
                     "2026-07-01"),
    # docker (Linux runners only): builds its Dockerfile FROM ghcr.io/hadolint/hadolint:v2.14.0-debian (a tag,
    # not a digest) when the job starts. Inputs: dockerfile, config, recursive, failure-threshold, ignore,
    # trusted-registries, format, output-file. No outputs.
    # Newer upstream: v3.4.0, v3.5.0 (hadolint v2.15.1; per third-party release notes); not verified.
    "hadolint": _action("hadolint/hadolint-action", "v3.3.0", "2332a7b74a6de0dda2e2221d575162eba76ba5e5",
                        "2025-09-25"),
    # --- AWS -------------------------------------------------------------------------------------------------
    # node24. OIDC: role-to-assume, aws-region (required), role-session-name, audience (default
    # sts.amazonaws.com), mask-aws-account-id. Needs id-token: write. Output: aws-account-id.
    "aws-credentials": _action("aws-actions/configure-aws-credentials", "v6.2.3",
                               "e6de054238d6b7531b4efff3b6587d9aade6a06c", "2026-08-18"),
    # node24. Inputs: registries, registry-type (private/public), mask-password (default true). Output:
    # registry.
    "ecr-login": _action("aws-actions/amazon-ecr-login", "v2.1.7", "03f1aad4c6c7ffd436567f42f9384779290529bd",
                         "2026-08-21"),
    # --- Google Cloud ----------------------------------------------------------------------------------------
    # node24. Inputs: workload_identity_provider, service_account, token_format: access_token (for
    # docker-login to Artifact Registry with username oauth2accesstoken). Needs id-token: write.
    # Outputs: access_token, project_id, credentials_file_path.
    "gcp-auth": _action("google-github-actions/auth", "v3.0.0", "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093",
                        "2025-09-03"),
    # node24. kubeconfig for GKE after gcp-auth: cluster_name (required), location, project_id, namespace;
    # embeds a short-lived token by default (use_auth_provider: false). Output: kubeconfig_path.
    "gke-credentials": _action("google-github-actions/get-gke-credentials", "v3.0.0",
                               "3da1e46a907576cefaa90c484278bb5b259dd395", "2025-09-02"),
    # --- Azure -----------------------------------------------------------------------------------------------
    # Azure tags sit on releases/* branches (with the built lib/), not on main; that is how Azure publishes.
    # node24. OIDC: client-id, tenant-id, subscription-id (no creds secret). Needs id-token: write.
    "azure-login": _action("Azure/login", "v3.0.1", "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "2026-08-06"),
    # node24. kubeconfig for AKS after azure-login: resource-group, cluster-name (required), use-kubelogin
    # (Entra ID clusters; that also needs Azure/use-kubelogin, not pinned here), admin (default false).
    "aks-set-context": _action("Azure/aks-set-context", "v5.0.0", "60623acbdcbbdcf799ad50a1adf8703874339f8b",
                               "2026-08-05"),
    # --- any cluster: kubectl apply --server-side ------------------------------------------------------------
    # node24. Input: version (required, default latest; pin to the cluster's minor, e.g. v1.33.x). Output:
    # kubectl-path. The runner's preinstalled kubectl drifts; this pins it.
    "setup-kubectl": _action("Azure/setup-kubectl", "v5.1.0", "829323503d1be3d00ca8346e5391ca0b07a9ab0d",
                             "2026-07-20"),
    # node24. For a cluster reached by a kubeconfig secret (no cloud login): method: kubeconfig, kubeconfig
    # (the secret), context; or method: service-account with k8s-url and k8s-secret.
    "k8s-set-context": _action("Azure/k8s-set-context", "v5.0.1", "8698eba2499e9012f0d5085f8798077cce4bc526",
                               "2026-06-29"),
}


Step = dict[str, Any]


def uses(key: str, **inputs: Any) -> Step:
    """A step that runs the pinned action ``key`` with ``inputs``."""
    step: Step = {"uses": ACTIONS[key].uses()}
    if inputs:
        step["with"] = inputs
    return step


def named(name: str, key: str, **inputs: Any) -> Step:
    return {"name": name, **uses(key, **inputs)}
