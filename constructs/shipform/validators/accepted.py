"""Which findings do not fail validation, and why. Accepted risks are stated in the output where each tool reads
them (a checkov annotation or comment, which checkov honours itself; a .trivyignore.yaml entry with a statement,
which images.trivy_count honours); the tables below hold the few findings that are not a property of the output,
each with its reason. Nothing else is accepted: the tools run without any configuration file."""

from __future__ import annotations

from shipform.validators.tree import Finding

DIGEST_PINS = {
    ("checkov", "CKV_K8S_43"): "Image should use digest: images are pinned by exact tag; built images get their "
                               "digest only when CI pushes them, prebuilt ones when the lock file records it",
    ("compose-lint", "CL-0019"): "image pinned to a tag but not a digest: the prebuilt images (databases, "
                                 "redis, prebuilt services) get their digest from the lock file",
}
"""(tool, check) -> why: a digest comes from the lock file (`shipform lock`, CI's `shipform lock record`), which a
fresh checkout's output may not have yet."""

NOT_COUNTED = {
    ("trivy", "KSV-0125"): "'restrict container images to trusted registries' checks an organisation's own "
                           "allow-list of registries, not a property of the manifest",
}
"""(tool, check) -> why: an organisation's policy, not a property of the output."""


def accepted_because(finding: Finding) -> str | None:
    """Why the finding does not fail validation, or None when it does."""
    key = (finding.tool, finding.check)
    return DIGEST_PINS.get(key) or NOT_COUNTED.get(key)
