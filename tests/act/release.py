"""What the scenarios read and plant around a release: the lock file as committed on a ref, tiny images pushed
straight to the loopback registry (an OCI image written here, for promotion scenarios that need a signed image
in dev without building one), signatures and attestations made with a chosen identity, and cosign's verdict."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from act import sigstore
from act.oci import OCI_MANIFEST, Registry, sha256

TESTS = Path(__file__).resolve().parents[1]
ISSUER = sigstore.GITHUB_ISSUER


def lock_file(app: str) -> str:
    return f"apps/{app}/shipform.lock.json"


def parse_lock(text: str | None) -> dict[str, dict[str, str]]:
    """{environment: {image (as written, with or without a tag): digest}} of a lock file's text."""
    if not text:
        return {}
    return {env: dict(images) for env, images in (json.loads(text).get("environments") or {}).items()}


def by_service(images: dict[str, str], app: str) -> dict[str, str]:
    """{service: digest} of one environment's lock entries for the images ``app`` builds."""
    found = {}
    for image, digest in images.items():
        repository = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
        if repository.startswith(f"{app}-"):
            found[repository.removeprefix(f"{app}-")] = digest
    return found


def push_tiny_image(registry: Registry, repository: str, tag: str, content: bytes, path: str = "hello.txt") -> str:
    """A one-layer OCI image (a single file at ``path`` holding ``content``) under ``tag``; its digest."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(content), 0o644
        tar.addfile(info, io.BytesIO(content))
    layer_bytes = layer.getvalue()
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [sha256(layer_bytes)]}}).encode()
    descriptors = []
    for data, media_type in ((config, "application/vnd.oci.image.config.v1+json"),
                             (layer_bytes, "application/vnd.oci.image.layer.v1.tar")):
        descriptors.append({"mediaType": media_type, "digest": registry.push_blob(repository, data),
                            "size": len(data)})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": descriptors[0],
                           "layers": descriptors[1:]}).encode()
    return registry.push_manifest(repository, tag, manifest, OCI_MANIFEST)


def workflow_identity(full_name: str, workflow: str, ref: str = "refs/heads/main") -> str:
    return f"https://github.com/{full_name}/.github/workflows/{workflow}@{ref}"


def sign(trust_folder: Path, registry: Registry, repository: str, digest: str, identity: str,
         authority: str = "public-good") -> None:
    """Sign ``digest`` as cosign would in a workflow whose identity is ``identity``."""
    trust = sigstore.Trust(trust_folder)
    key, cert = sigstore.issue(trust.authority(authority), identity, ISSUER)
    payload = sigstore.statement(digest, sigstore.COSIGN_SIGN_PREDICATE, {})
    sigstore.attach(registry, repository, digest, sigstore.bundle(key, cert, payload), sigstore.COSIGN_SIGN_PREDICATE)


def attest(trust_folder: Path, registry: Registry, repository: str, digest: str, identity: str,
           authority: str = "public-good") -> None:
    """A SLSA v1 provenance attestation of ``digest`` by ``identity``, as actions/attest attaches it."""
    trust = sigstore.Trust(trust_folder)
    key, cert = sigstore.issue(trust.authority(authority), identity, ISSUER)
    predicate = {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"},
                 "runDetails": {"builder": {"id": identity}}}
    payload = sigstore.statement(digest, "https://slsa.dev/provenance/v1", predicate,
                                 name=f"{registry.host}/{repository}")
    sigstore.attach(registry, repository, digest, sigstore.bundle(key, cert, payload),
                    "https://slsa.dev/provenance/v1")


def cosign(trust_folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The cosign stand-in, as a workflow step would run it (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(TESTS), "STANDIN_SIGSTORE": str(trust_folder)}
    return subprocess.run([sys.executable, "-m", "act.tools.cosign", *args], capture_output=True, text=True, env=env)
