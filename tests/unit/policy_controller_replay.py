"""A replay of sigstore policy-controller's admission of one container image, where the controller cannot run:
which ClusterImagePolicies match the image, and whether each is satisfied by the Sigstore bundles attached to it.
It follows the controller's documentation and, where the documentation points to it, the code it names:

- docs.sigstore.dev/policy-controller/overview/ (sigstore/docs content/en/policy-controller/overview.md):
  "Configure policy-controller admission controller for namespaces" (only namespaces labelled
  ``policy.sigstore.dev/include: "true"`` are validated); "Admission of images" (every matching policy must pass,
  AND; within a policy any authority, OR; an image no policy matches is refused unless ``no-match-policy`` in the
  ``config-policy-controller`` ConfigMap says allow or warn); "Configuring image patterns" (``spec.images[].glob``
  against the fully qualified image reference, ``**`` for any characters; the glob's own rules are
  pkg/apis/glob/glob.go of sigstore/policy-controller, replayed in :func:`glob_matches`); "Configuring `keyless`
  authorities" (``identities``: ``issuer``/``subject`` or their ``issuerRegExp``/``subjectRegExp`` variants; cosign's
  CheckCertificatePolicy: an identity matches when both its issuer and subject match, a regexp is Go's MatchString,
  unanchored, and takes precedence over the exact value); "Sigstore bundle format" (``signatureFormat: bundle``:
  bundles are read as attestations; cosign's library verifies no bundle as an image signature); "Configuring
  `static` authorities" (``action: pass``/``fail``, nothing verified); "Configuring policy that validates
  attestations" (each ``attestations[].predicateType`` needs a verified attestation of that exact type; without a
  policy only its existence is checked).
- go-containerregistry's pkg/name (what ``ref.Name()`` is): Docker Hub is ``index.docker.io``, its single-name
  images are under ``library/``, a reference with a digest is named ``<repository>@<digest>`` (its tag dropped), one
  without either gets ``:latest``.

Verification of one bundle (certificate chain, identity, DSSE signature, statement subject) is tests/act/sigstore.py's
``verify``, the same code the cosign stand-in of the act suite uses; bundles are handed in per digest, as the
controller reads them from the registry's referrers. Not replayed: the transparency log and timestamps (the local
Sigstore has neither), tag resolution by the mutating webhook (callers pass the digest reference it produces),
``match`` resource selectors, CIP-level and attestation-level CUE/Rego policies, and ``mode: warn`` (shipform
renders none of these).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from act import sigstore

INCLUDE = "policy.sigstore.dev/include"
DOCKER_HUB = "index.docker.io"
_VALID_GLOB = re.compile(r"^[a-zA-Z0-9-_:/*.@]+$")
PUBLIC_GOOD_FULCIO = "https://fulcio.sigstore.dev"


@dataclass(frozen=True)
class Decision:
    admitted: bool
    reasons: tuple[str, ...] = ()
    """Why it was refused (per failing policy), or why nothing was checked."""


@dataclass
class Cluster:
    """What the controller knows: the ClusterImagePolicies, its ``no-match-policy``, the roots of its Sigstore
    instances (the public-good one by default; TrustRoots by name), and where bundles come from."""

    policies: Sequence[Mapping[str, Any]]
    bundles: Callable[[str], list[dict[str, Any]]]
    """The Sigstore bundles attached to a manifest digest (the registry's referrers)."""
    public_good: list[x509.Certificate]
    trust_roots: Mapping[str, list[x509.Certificate]] = field(default_factory=dict)
    no_match_policy: str = "deny"

    def admit(self, namespace_labels: Mapping[str, str], image: str) -> Decision:
        if namespace_labels.get(INCLUDE) != "true":
            return Decision(True, ("the namespace does not opt in: the webhook is not called",))
        matching = [p for p in self.policies if any(glob_matches(g["glob"], image) for g in p["spec"]["images"])]
        if not matching:
            if self.no_match_policy in ("allow", "warn"):
                return Decision(True, ("no matching policies",))
            return Decision(False, ("no matching policies",))
        failures = [f"{p['metadata']['name']}: {why}" for p in matching
                    if (why := self._policy_fails(p, image)) is not None]
        return Decision(not failures, tuple(failures))

    def _policy_fails(self, policy: Mapping[str, Any], image: str) -> str | None:
        """None when at least one authority passes (OR); else every authority's error."""
        errors = []
        for authority in policy["spec"]["authorities"]:
            why = self._authority_fails(authority, image)
            if why is None:
                return None
            errors.append(f"{authority.get('name', '?')}: {why}")
        return "; ".join(errors)

    def _authority_fails(self, authority: Mapping[str, Any], image: str) -> str | None:
        if "static" in authority:
            static = authority["static"]
            return None if static["action"] == "pass" else f"disallowed by static policy: {static.get('message', '')}"
        keyless = authority.get("keyless")
        if keyless is None or not keyless.get("url"):
            return "no Keyless URL specified"
        bundle_format = authority.get("signatureFormat") == "bundle"
        if not authority.get("attestations"):
            return None if not bundle_format else "bundle support for image signatures is not yet implemented"
        if not bundle_format:
            return "no bundle: legacy .att signatures are not what cosign 3 and actions/attest store"
        roots = self._roots(keyless)
        if roots is None:
            return f"trustRootRef {keyless['trustRootRef']} not found"
        digest = image.partition("@")[2]
        if not digest:
            return "the image has no digest (the mutating webhook resolves tags first)"
        verified = [found for bundle in self.bundles(digest)
                    if (found := _verified(bundle, digest, keyless["identities"], roots)) is not None]
        if not verified:
            return "no matching attestations"
        for wanted in authority["attestations"]:
            if not any(statement.get("predicateType") == wanted["predicateType"] for statement in verified):
                types = sorted({s.get("predicateType", "") for s in verified})
                return f"no matching attestations with type {wanted['predicateType']}, checked {types}"
        return None

    def _roots(self, keyless: Mapping[str, Any]) -> list[x509.Certificate] | None:
        name = keyless.get("trustRootRef")
        if name:
            return list(self.trust_roots[name]) if name in self.trust_roots else None
        return self.public_good


def _verified(bundle: dict[str, Any], digest: str, identities: list[Mapping[str, str]],
              roots: list[x509.Certificate]) -> dict[str, Any] | None:
    """The bundle's statement when it verifies for any of the identities (cosign's CheckCertificatePolicy)."""
    for identity in identities:
        policy = sigstore.Policy(identity.get("subject"), identity.get("subjectRegExp"), identity.get("issuer"),
                                 identity.get("issuerRegExp"), roots)
        try:
            return sigstore.verify(bundle, digest, policy).statement
        except sigstore.Rejected:
            continue
    return None


def reference_name(image: str) -> str:
    """go-containerregistry's ``ParseReference(image).Name()``."""
    base, _, digest = image.partition("@")
    last = base.rfind("/")
    tag = "latest"
    if ":" in base[last + 1:]:
        base, _, tag = base.rpartition(":")
    first, _, rest = base.partition("/")
    registry, repository = (first, rest) if rest and (first == "localhost" or "." in first or ":" in first) \
        else (DOCKER_HUB, base)
    if registry == "docker.io":
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return f"{registry}/{repository}" + (f"@{digest}" if digest else f":{tag}")


def compile_glob(glob: str) -> re.Pattern[str]:
    """pkg/apis/glob/glob.go ``Compile``: '*' and '*/*' mean Docker Hub; '**' any characters, '*' any but '/'."""
    if glob == "*/*":
        glob = "index.docker.io/*/*"
    if glob == "*":
        glob = "index.docker.io/library/*"
    if not _VALID_GLOB.match(glob):
        raise ValueError(f"invalid glob {glob!r}")
    pattern = glob.replace(".", r"\.").replace("**", "#").replace("*", "[^/]*").replace("#", ".*")
    return re.compile(f"^{pattern}$")


def glob_matches(glob: str, image: str) -> bool:
    """pkg/apis/glob/glob.go ``Match``: against the fully qualified name, then the reference as written."""
    pattern = compile_glob(glob)
    name = reference_name(image)
    return bool(pattern.match(name)) or (name != image and bool(pattern.match(image)))
