"""``cosign`` (the program sigstore/cosign-installer's stand-in puts on PATH): sign, verify and verify-attestation
of images in the loopback registry, keyless, with cosign v3's semantics over the local Sigstore (act/sigstore.py).

- ``cosign sign [--yes] IMAGE``: signs the image's digest (a tag is resolved, with cosign's warning) with a
  certificate naming the workflow (``$GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF``, issuer
  token.actions.githubusercontent.com), as a DSSE in-toto statement of predicate type
  https://sigstore.dev/cosign/sign/v1 in a Sigstore bundle attached as an OCI referrer (cosign v3's default
  ``--new-bundle-format``). Needs the job's ``id-token: write``: without it there is no OIDC token.
- ``cosign verify`` / ``cosign verify-attestation [--type T]``: keyless verification needs
  --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]; exit 1 with cosign's message when no
  bundle verifies. ``--type`` maps as cosign's does (slsaprovenance and slsaprovenance02 are SLSA v0.2,
  slsaprovenance1 is v1, custom is cosign's own type, or a URI). ``--trusted-root FILE`` replaces the default
  trust (the public-good authority only).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path

from act import sigstore
from act.oci import ImageRef, OciError, Registry
from act.tools.common import folder, has_permission

PREDICATE_TYPES = {
    "custom": "https://cosign.sigstore.dev/attestation/v1",
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "link": "https://in-toto.io/attestation/link/v0.3",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "cyclonedx": "https://cyclonedx.org/bom",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "openvex": "https://openvex.dev/ns",
}
VERSION = "v3.0.6 (stand-in: tests/act/tools/cosign.py)"


class CosignError(Exception):
    """Printed as cosign prints its errors: ``Error: <message>``, exit 1."""


def resolve(text: str) -> tuple[Registry, ImageRef, str]:
    ref = ImageRef.parse(text)
    registry = Registry(ref.host)
    if ref.digest:
        return registry, ref, ref.digest
    print(f"WARNING: Image reference {ref} uses a tag, not a digest, to identify the image to sign.",
          file=sys.stderr)
    digest = registry.digest(ref.repository, ref.reference)
    if digest is None:
        raise CosignError(f"signing [{ref}]: accessing entity: GET http://{ref.host}/v2/{ref.repository}/manifests/"
                          f"{ref.reference}: MANIFEST_UNKNOWN: manifest unknown")
    return registry, ref, digest


def workflow_identity() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    ref = os.environ.get("GITHUB_WORKFLOW_REF")
    if not ref:
        raise CosignError("getting signer: no OIDC token: GITHUB_WORKFLOW_REF is not set (run through the runner)")
    return f"{server}/{ref}"


def sign(args: argparse.Namespace) -> None:
    if not args.yes:
        raise CosignError("signing needs --yes here: there is no terminal to confirm the transparency log upload")
    if not has_permission("id-token", "write"):
        raise CosignError("getting signer: getting key from Fulcio: retrieving cert: no ID token: the job lacks "
                          "`permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set)")
    trust = sigstore.Trust(folder("SIGSTORE"))
    for image in args.images:
        registry, ref, digest = resolve(image)
        key, cert = sigstore.issue(trust.authority("public-good"), workflow_identity(), sigstore.GITHUB_ISSUER)
        payload = sigstore.statement(digest, sigstore.COSIGN_SIGN_PREDICATE, {})
        sigstore.attach(registry, ref.repository, digest, sigstore.bundle(key, cert, payload),
                        sigstore.COSIGN_SIGN_PREDICATE)
        print(f"Pushing signature to: {ref.name}", file=sys.stderr)


def policy(args: argparse.Namespace) -> sigstore.Policy:
    if not (args.certificate_identity or args.certificate_identity_regexp):
        raise CosignError("--certificate-identity or --certificate-identity-regexp is required for verification in "
                          "keyless mode")
    if not (args.certificate_oidc_issuer or args.certificate_oidc_issuer_regexp):
        raise CosignError("--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for "
                          "verification in keyless mode")
    trust = sigstore.Trust(folder("SIGSTORE"))
    roots = sigstore.roots_from_trusted_root(Path(args.trusted_root)) if args.trusted_root else trust.roots()
    return sigstore.Policy(args.certificate_identity, args.certificate_identity_regexp,
                           args.certificate_oidc_issuer, args.certificate_oidc_issuer_regexp, roots)


def verify(args: argparse.Namespace, attestation: bool) -> None:
    accepted = policy(args)
    wanted = None
    if attestation:
        wanted = PREDICATE_TYPES.get(args.type, args.type)
        if "://" not in wanted:
            raise CosignError(f"invalid predicate type: {args.type}")
    for image in args.images:
        registry, ref, digest = resolve(image)
        verified, errors, seen = [], [], []
        for signed in sigstore.bundles(registry, ref.repository, digest):
            payload_type = _predicate_type(signed)
            if (payload_type == sigstore.COSIGN_SIGN_PREDICATE) == attestation:
                continue
            seen.append(payload_type)
            if attestation and payload_type != wanted:
                continue
            try:
                verified.append(sigstore.verify(signed, digest, accepted))
            except sigstore.Rejected as rejected:
                errors.append(str(rejected))
        if not verified:
            kind = "attestations" if attestation else "signatures"
            if attestation and seen and not errors:
                raise CosignError(f"none of the attestations matched the predicate type: {args.type}, found: "
                                  f"{','.join(seen)}")
            raise CosignError(f"no matching {kind}: " + ("\n ".join(errors) or f"no {kind} found"))
        print(f"\nVerification for {ref.name}@{digest} --\nThe following checks were performed on each of these "
              "signatures:\n  - The cosign claims were validated\n  - The code-signing certificate was verified "
              "using trusted certificate authority certificates", file=sys.stderr)
        print(json.dumps([{"critical": {"identity": {"docker-reference": ref.name},
                                        "image": {"docker-manifest-digest": digest}},
                           "optional": {"Subject": v.identity, "Issuer": v.issuer,
                                        "predicateType": v.statement.get("predicateType")}} for v in verified]))


def _predicate_type(signed: dict[str, object]) -> str:
    envelope = signed.get("dsseEnvelope")
    assert isinstance(envelope, dict)
    return str(json.loads(base64.b64decode(envelope["payload"])).get("predicateType"))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="cosign")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("version")
    signing = commands.add_parser("sign")
    signing.add_argument("--yes", "-y", action="store_true")
    for ignored in ("--recursive", "--tlog-upload"):
        signing.add_argument(ignored, nargs="?", const="true")
    signing.add_argument("-a", "--annotations", action="append", default=[])
    signing.add_argument("images", nargs="+")
    for name in ("verify", "verify-attestation"):
        checking = commands.add_parser(name)
        for option in ("--certificate-identity", "--certificate-identity-regexp", "--certificate-oidc-issuer",
                       "--certificate-oidc-issuer-regexp", "--trusted-root", "--output", "-o"):
            checking.add_argument(option)
        checking.add_argument("--type", default="custom")
        checking.add_argument("images", nargs="+")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "version":
            print(f"GitVersion:    {VERSION}")
        elif args.command == "sign":
            sign(args)
        else:
            verify(args, attestation=args.command == "verify-attestation")
    except (CosignError, OciError) as error:
        print(f"Error: {error}", file=sys.stderr)
        print(f"main.go:69: error during command execution: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
