"""actions/attest's stand-in: an in-toto statement about the subject (SLSA provenance v1 by default, an SBOM
with ``sbom-path``, or ``predicate-type`` + ``predicate``/``predicate-path``), signed with the workflow's
identity by the local Sigstore, written to ``bundle-path`` and, with ``push-to-registry``, attached to the image
as an OCI referrer (what actions/attest does through @actions/attest and @sigstore/oci).

As the real action: it fails without the job's ``id-token: write`` (its own message), pushing needs credentials
for the registry in ~/.docker/config.json (docker/login-action's stand-in writes them), and the authority is
GitHub's own Sigstore instance unless the repository is public (the event's ``repository.visibility``), so that
cosign verifies an attestation of a private repository only with ``--trusted-root`` naming GitHub's root.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from act import sigstore
from act.oci import ImageRef, Registry
from act.tools.common import event, fail, flag, folder, has_permission, output, say, value

SLSA_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"


def provenance() -> dict[str, Any]:
    """The SLSA v1 predicate @actions/attest builds from the run's context."""
    env = os.environ
    server, repo = env.get("GITHUB_SERVER_URL", "https://github.com"), env.get("GITHUB_REPOSITORY", "")
    workflow_ref = env.get("GITHUB_WORKFLOW_REF", "")
    path = workflow_ref.split("@", 1)[0].removeprefix(f"{repo}/")
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {"workflow": {"ref": env.get("GITHUB_REF", ""),
                                                "repository": f"{server}/{repo}", "path": path}},
            "internalParameters": {"github": {"event_name": env.get("GITHUB_EVENT_NAME", ""),
                                              "runner_environment": "github-hosted"}},
            "resolvedDependencies": [{"uri": f"git+{server}/{repo}@{env.get('GITHUB_REF', '')}",
                                      "digest": {"gitCommit": env.get("GITHUB_SHA", "")}}],
        },
        "runDetails": {"builder": {"id": f"{server}/{workflow_ref}"},
                       "metadata": {"invocationId": f"{server}/{repo}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
                                                    f"/attempts/{env.get('GITHUB_RUN_ATTEMPT', '1')}"}},
    }


def predicate() -> tuple[str, dict[str, Any]]:
    if value("sbom-path"):
        sbom = json.loads(Path(value("sbom-path")).read_text())
        kind = "https://spdx.dev/Document/v2.3" if "spdxVersion" in sbom else "https://cyclonedx.org/bom"
        return kind, sbom
    if value("predicate-type"):
        text = Path(value("predicate-path")).read_text() if value("predicate-path") else value("predicate") or "{}"
        return value("predicate-type"), json.loads(text)
    return SLSA_V1, provenance()


def has_credentials(host: str) -> bool:
    config = Path.home() / ".docker" / "config.json"
    return config.exists() and host in json.loads(config.read_text()).get("auths", {})


def main() -> int:
    if not has_permission("id-token", "write"):
        fail('missing "id-token" permission. Please add "permissions: id-token: write" to your workflow.')
    name, digest = value("subject-name"), value("subject-digest")
    if not name or not digest:
        fail("the stand-in supports subject-name with subject-digest only (no subject-path or subject-checksums)")
    predicate_type, body = predicate()
    repository = event().get("repository")
    public = isinstance(repository, dict) and repository.get("visibility") == "public"
    instance = "public-good" if public else "github"
    trust = sigstore.Trust(folder("SIGSTORE"))
    identity = f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{os.environ['GITHUB_WORKFLOW_REF']}"
    key, cert = sigstore.issue(trust.authority(instance), identity, sigstore.GITHUB_ISSUER)
    signed = sigstore.bundle(key, cert, sigstore.statement(digest, predicate_type, body, name=name.lower()))
    bundle_path = Path(tempfile.mkdtemp(dir=os.environ.get("RUNNER_TEMP"))) / "attestation.json"
    bundle_path.write_text(json.dumps(signed) + "\n")
    output("bundle-path", str(bundle_path))
    say(f"{predicate_type} attestation for {name}@{digest} signed by the {instance} Sigstore instance")
    if not has_permission("attestations", "write"):
        fail("Failed to persist attestation: Resource not accessible by integration - "
             "https://docs.github.com/rest/repos/attestations#create-an-attestation")
    attestation_id = str(uuid.uuid4().int % 10**8)
    store = folder("ROOT") / "attestations"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{attestation_id}.json").write_text(json.dumps(signed))
    output("attestation-id", attestation_id)
    output("attestation-url", f"https://github.com/{os.environ.get('GITHUB_REPOSITORY')}/attestations/{attestation_id}")
    if flag("push-to-registry"):
        ref = ImageRef.parse(f"{name}@{digest}")
        if not has_credentials(ref.host):
            fail(f"No credentials found for registry {ref.host}")
        sigstore.attach(Registry(ref.host), ref.repository, digest, signed, predicate_type)
        say(f"attestation attached to {ref.name}@{digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
