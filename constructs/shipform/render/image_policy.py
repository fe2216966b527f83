"""Signature verification at admission: per Environment that is not local, ClusterImagePolicies of sigstore's
policy-controller (https://docs.sigstore.dev/policy-controller/overview/) that admit into its namespaces the images
the app builds only when this repository's build workflow signed them and attested their build provenance, and the
third-party images it runs at the digest the lock file pins (by repository until it pins one). Its Namespaces opt
in (``policy.sigstore.dev/include``); an image no policy matches is refused by policy-controller itself (its
``no-match-policy``, deny by default).

How the controller reads these objects (tests/unit/test_image_policy_replay.py replays it):

- ``images[].glob`` is matched against the image reference fully qualified (``index.docker.io/library/postgres``
  for ``postgres``) with its tag or digest; ``*`` matches within one path segment. The controller's mutating
  webhook resolves tags to digests first, so the images the app builds are matched as ``<name>:*`` and
  ``<name>@*``, never by a prefix another repository could share.
- Every policy that matches an image must pass (AND); within one, any authority (OR).
- cosign 3 stores the signature as a Sigstore bundle whose DSSE statement has predicate type
  ``https://sigstore.dev/cosign/sign/v1``, beside actions/attest's provenance (``https://slsa.dev/provenance/v1``),
  both as OCI referrers. policy-controller reads bundles only through an authority's ``attestations``
  (``signatureFormat: bundle``; its signature path has no bundle support), so the signature is required as an
  attestation of that predicate type.
- The signature is cosign's, from the public-good Sigstore instance. The provenance comes from the public-good
  instance in a public repository and from GitHub's own in a private one: that authority needs GitHub's TrustRoot
  named ``github`` in the cluster (GitHub's trust-policies Helm chart installs it), and without it the public-good
  authority still decides.
"""

from __future__ import annotations

import re

from shipform import spec
from shipform.providers.mesh import MESHES
from shipform.providers.scaling.knative import QUEUE_PROXY
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

API = "policy.sigstore.dev/v1beta1"
KIND = "ClusterImagePolicy"
INCLUDE = "policy.sigstore.dev/include"
"""The Namespace label that opts a namespace in to policy-controller's webhooks."""
ISSUER = "https://token.actions.githubusercontent.com"
"""GitHub Actions' OIDC issuer, as the promotion's verify step names it."""
SIGNATURE = "https://sigstore.dev/cosign/sign/v1"
PROVENANCE = "https://slsa.dev/provenance/v1"
Instance = dict[str, dict[str, str | bool]]
PUBLIC_GOOD: Instance = {"keyless": {"url": "https://fulcio.sigstore.dev"},
                         "ctlog": {"url": "https://rekor.sigstore.dev"}}
GITHUB: Instance = {"keyless": {"url": "https://fulcio.githubapp.com", "trustRootRef": "github",
                                "insecureIgnoreSCT": True},
                    "rfc3161timestamp": {"trustRootRef": "github"}}
"""GitHub's Sigstore instance (actions/attest in a private repository): no transparency log, a timestamp authority
instead, and no SCT in its certificates, as GitHub's own policy for policy-controller configures it."""
DOCKER_HUB = "index.docker.io"


def names(env: spec.Environment) -> dict[str, str]:
    """{role: policy name} of the Environment's policies (cluster-scoped, so named after app and Environment)."""
    if not env.verifies_images:
        return {}
    images = env.images()
    roles = (["signature", "provenance"] if any(images.values()) else []) + \
        (["third-party"] if not all(images.values()) or injected(env) else [])
    return {role: f"{env.app}-{env.name}-{role}" for role in roles}


def keys(env: spec.Environment) -> tuple[ObjectKey, ...]:
    return tuple(ObjectKey(f"image-policy:{role}", API, KIND, name, "") for role, name in names(env).items())


def policies(env: spec.Environment) -> list[Manifest]:
    """The bodies of :func:`keys`, in that order."""
    source = env.signed_by
    if source is None:
        return []
    images = env.images()
    built = sorted({repository(i) for i, is_built in images.items() if is_built})
    subject = {"issuer": ISSUER, "subjectRegExp": identity(env.app, source)}
    bodies = {
        "signature": {"images": _globs(built), "authorities": [
            _keyless("public-good", PUBLIC_GOOD, subject, "signature", SIGNATURE)]},
        "provenance": {"images": _globs(built), "authorities": [
            _keyless("github", GITHUB, subject, "provenance", PROVENANCE),
            _keyless("public-good", PUBLIC_GOOD, subject, "provenance", PROVENANCE)]},
        "third-party": {"images": [{"glob": g} for i, b in sorted(images.items()) if not b for g in third_party(i)]
                        + _globs(injected(env)),
                        "authorities": [{"name": "third-party", "static": {"action": "pass"}}]},
    }
    return [{"apiVersion": API, "kind": KIND, "metadata": {"name": name, "labels": spec.shipform_labels(env.app)},
             "spec": bodies[role]} for role, name in names(env).items()]


def injected(env: spec.Environment) -> list[str]:
    """The repositories of the containers added to the Environment's pods by others, admitted by repository: the
    sidecars of its namespaces' meshes and Knative's queue-proxy."""
    found = {image for ns in env.namespaces if ns.mesh is not None for image in MESHES[ns.mesh].injected_images}
    if any(w.facet(spec.ServerlessRun) is not None for w in env.workloads):
        found.add(QUEUE_PROXY)
    return sorted({repository(image) for image in found})


def _keyless(name: str, instance: Instance, subject: dict[str, str], attestation: str,
             predicate: str) -> dict[str, object]:
    keyless = {**instance["keyless"], "identities": [subject]}
    return {"name": name, **instance, "keyless": keyless, "signatureFormat": "bundle",
            "attestations": [{"name": attestation, "predicateType": predicate}]}


def _globs(repositories: list[str]) -> list[dict[str, str]]:
    return [{"glob": f"{r}{separator}*"} for r in repositories for separator in (":", "@")]


def build_workflow(app: str) -> str:
    """The build workflow's file, as the workflows output writes it and a certificate names it."""
    return f".github/workflows/{app}-build.yaml"


def identity(app: str, source: spec.SourceRepository) -> str:
    """The certificate subject of the build workflow run on the default branch or a release tag (``v*``,
    ``<app>/v*``), as the promotion's verify step accepts it: a Go regular expression, anchored."""
    workflow = escaped(f"{source.server}/{source.name}/{build_workflow(app)}")
    return f"^{workflow}@refs/(heads/{escaped(source.branch)}|tags/v.+|tags/{escaped(app)}/v.+)$"


def escaped(text: str) -> str:
    """``text`` matched literally by a Go (RE2) regular expression."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text)


def reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository fully qualified, tag, digest) of an image reference, as policy-controller matches it
    (go-containerregistry's names: Docker Hub is ``index.docker.io``, its official images are under ``library/``)."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    tag = None
    if ":" in name[slash + 1:]:
        name, _, tag = name.rpartition(":")
    first, _, rest = name.partition("/")
    if rest and (first == "localhost" or "." in first or ":" in first):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    if registry == "docker.io":
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return f"{registry}/{path}", tag, digest or None


def repository(image: str) -> str:
    return reference(image)[0]


def third_party(image: str) -> list[str]:
    """Its globs: exactly the digest the lock pins; by tag and any digest (the tag resolved at admission) when
    the lock pins none yet."""
    name, tag, digest = reference(image)
    if digest is not None:
        return [f"{name}@{digest}"]
    return [f"{name}:{tag or 'latest'}", f"{name}@*"]


def unpinned_third_party(env: spec.Environment) -> list[str]:
    """The third-party images the Environment runs without a digest (admitted by repository)."""
    return sorted(i for i, built in env.images().items() if not built and "@" not in i)


def statement(env: spec.Environment) -> str:
    """What admits the images the Environment runs, for trivy's KSV-0125 (trusted registries): its policies, each
    named with what it admits, or why it has none."""
    found = names(env)
    source = env.signed_by
    if source is None or not found:
        return ("Which registries are trusted is an organisation's allow-list; trivy's default list names none of "
                f"them. shipform renders no image policy for this Environment: {_why_none(env)}.")
    parts = []
    if "signature" in found:
        built = sorted({repository(i) for i, b in env.images().items() if b})
        parts.append(f"ClusterImagePolicies {found['signature']} and {found['provenance']} admit the images the app "
                     f"builds ({', '.join(built)}) only with a cosign signature and a SLSA provenance attestation "
                     f"made by {source.server}/{source.name}/{build_workflow(env.app)} on {source.branch} or a "
                     "release tag (OIDC issuer " + ISSUER + ")")
    if "third-party" in found:
        parts.append(f"{found['third-party']} admits the third-party images: " + ", ".join(_third_party_terms(env)))
    return ("Images are admitted into this Environment's namespaces (labelled policy.sigstore.dev/include) by "
            "sigstore's policy-controller: " + "; ".join(parts) + ". An image no policy matches is refused "
            "(policy-controller's no-match-policy denies by default). trivy's default list of trusted registries "
            "names none of these.")


def _third_party_terms(env: spec.Environment) -> list[str]:
    images = env.images()
    pinned = sorted(repository(i) for i, built in images.items() if not built and "@" in i)
    unpinned = sorted(repository(i) for i in unpinned_third_party(env))
    terms = [f"{', '.join(pinned)} at the digest the lock file pins"] if pinned else []
    if unpinned:
        terms.append(f"{', '.join(unpinned)} by repository (the lock has no digest for them yet: `shipform lock` "
                     "pins them)")
    if injected(env):
        terms.append(f"{', '.join(injected(env))} by repository (added to its pods by a mesh or Knative)")
    return terms


def _why_none(env: spec.Environment) -> str:
    if env.local:
        return "it is the local Environment (images built on a developer's machine are not signed)"
    if env.unsigned_images is not None:
        return f"it states unsigned_images: {env.unsigned_images}"
    if env.signed_by is None:
        return "the App names no GitHub repository (App(repository=...)) whose build workflow signs its images"
    return "it runs no image"
