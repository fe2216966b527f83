"""A local Sigstore: two certificate authorities standing in for Fulcio, keyless signing with the workflow's
identity, Sigstore bundles (v0.3, DSSE) attached to images as OCI referrers, and their verification with
cosign's rules. Used by the cosign and actions/attest stand-ins and by the tests (to plant bad signatures).

What is real: ECDSA P-256 keys and signatures (python ``cryptography``), X.509 certificates whose subject
alternative name is the identity (``https://github.com/<owner>/<repo>/.github/workflows/<file>@<ref>``) and
whose Fulcio extension 1.3.6.1.4.1.57264.1.8 is the OIDC issuer, DSSE's pre-authentication encoding, in-toto
statements, the bundle layout and where it is stored in the registry. What is not: there is no OIDC token
exchange (the identity is read from the run's environment), no transparency log (bundles carry no tlog entry and
nothing checks one), no certificate validity window.

Two authorities, as on GitHub: ``public-good`` (Sigstore's public Fulcio, which cosign trusts by default) and
``github`` (GitHub's own Sigstore instance, which actions/attest uses for private repositories and which cosign
trusts only when given ``--trusted-root`` with its root, e.g. from ``gh attestation trusted-root``).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from act.oci import Registry, attach_referrer

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
AUTHORITIES = ("public-good", "github")
# Each authority's Fulcio, as the real trusted roots name them (GitHub's is the one a private repository's
# attestations chain to).
FULCIO_URIS = {"public-good": "https://fulcio.sigstore.dev", "github": "fulcio.githubapp.com"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Authority:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


class Trust:
    """The folder that holds the authorities' keys (made once per test session, read by the stand-ins)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def create(self) -> Trust:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in AUTHORITIES:
            if not (self.folder / f"{name}.pem").exists():
                self._new_authority(name)
        return self

    def _new_authority(self, name: str) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"shipform test sigstore ({name})"),
                             x509.NameAttribute(NameOID.COMMON_NAME, f"{name}-fulcio")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        (self.folder / f"{name}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (self.folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def authority(self, name: str) -> Authority:
        key = serialization.load_pem_private_key((self.folder / f"{name}.key").read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return Authority(name, key, x509.load_pem_x509_certificate((self.folder / f"{name}.pem").read_bytes()))

    def roots(self, names: tuple[str, ...] = ("public-good",)) -> list[x509.Certificate]:
        return [x509.load_pem_x509_certificate((self.folder / f"{name}.pem").read_bytes()) for name in names]

    def trusted_root_json(self) -> str:
        """Every authority's certificate in the layout of Sigstore's trusted_root.json (what cosign's
        ``--trusted-root`` reads and ``gh attestation trusted-root`` prints, one JSON document per line)."""
        lines = []
        for name, cert in zip(AUTHORITIES, self.roots(AUTHORITIES), strict=True):
            der = cert.public_bytes(serialization.Encoding.DER)
            lines.append(json.dumps({"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                                     "certificateAuthorities": [{"uri": FULCIO_URIS[name], "certChain": {
                                         "certificates": [{"rawBytes": _b64(der)}]}}]}))
        return "\n".join(lines) + "\n"


def roots_from_trusted_root(path: Path) -> list[x509.Certificate]:
    """The CA certificates of a trusted_root.json (one document, or one per line)."""
    certs = []
    for line in path.read_text().splitlines() or [path.read_text()]:
        if not line.strip():
            continue
        for authority in json.loads(line).get("certificateAuthorities", []):
            for entry in authority.get("certChain", {}).get("certificates", []):
                certs.append(x509.load_der_x509_certificate(base64.b64decode(entry["rawBytes"])))
    return certs


def issue(authority: Authority, identity: str, issuer: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An ephemeral key and a certificate for it naming ``identity`` (SAN URI) and ``issuer``, as Fulcio issues."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(authority.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(minutes=10))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V2_OID, _der_utf8(issuer)), critical=False)
            .sign(authority.key, hashes.SHA256()))
    return key, cert


def _der_utf8(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 128, "short form length only"
    return bytes([0x0C, len(data)]) + data


def statement(digest: str, predicate_type: str, predicate: dict[str, Any], name: str | None = None) -> bytes:
    algorithm, _, hex_digest = digest.partition(":")
    subject: dict[str, Any] = {"digest": {algorithm: hex_digest}}
    if name:
        subject = {"name": name, **subject}
    return json.dumps({"_type": STATEMENT_TYPE, "subject": [subject], "predicateType": predicate_type,
                       "predicate": predicate}, separators=(",", ":")).encode()


def bundle(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, payload: bytes) -> dict[str, Any]:
    """A Sigstore bundle v0.3 holding a DSSE envelope of ``payload`` (an in-toto statement) signed by ``key``."""
    signature = key.sign(pae(INTOTO_PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    return {"mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {"certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                                     "tlogEntries": []},
            "dsseEnvelope": {"payload": _b64(payload), "payloadType": INTOTO_PAYLOAD_TYPE,
                             "signatures": [{"sig": _b64(signature)}]}}


def attach(registry: Registry, repository: str, digest: str, signed: dict[str, Any], predicate_type: str) -> str:
    """Store ``signed`` the way cosign v3 and actions/attest do: an OCI referrer of the image's manifest."""
    annotations = {"dev.sigstore.bundle.content": "dsse-envelope",
                   "dev.sigstore.bundle.predicateType": predicate_type,
                   "org.opencontainers.image.created": datetime.datetime.now(datetime.UTC).strftime(
                       "%Y-%m-%dT%H:%M:%SZ")}
    return attach_referrer(registry, repository, digest, BUNDLE_MEDIA_TYPE,
                           json.dumps(signed).encode(), annotations)


def bundles(registry: Registry, repository: str, digest: str) -> list[dict[str, Any]]:
    """Every Sigstore bundle attached to the manifest ``digest``."""
    found = []
    for descriptor in registry.referrers(repository, digest):
        if descriptor.get("artifactType") != BUNDLE_MEDIA_TYPE:
            continue
        raw = registry.manifest(repository, descriptor["digest"])
        if raw is None:
            continue
        for layer in json.loads(raw[0]).get("layers", []):
            if layer.get("mediaType") == BUNDLE_MEDIA_TYPE:
                found.append(json.loads(registry.blob(repository, layer["digest"])))
    return found


@dataclass(frozen=True)
class Policy:
    """What a verifier accepts: cosign's --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]
    (a regexp matches anywhere in the value, as Go's MatchString does), and the roots it trusts."""

    identity: str | None
    identity_regexp: str | None
    issuer: str | None
    issuer_regexp: str | None
    roots: list[x509.Certificate]


@dataclass(frozen=True)
class Verified:
    identity: str
    issuer: str
    statement: dict[str, Any]


class Rejected(Exception):
    """Why one bundle does not verify."""


def verify(signed: dict[str, Any], digest: str, policy: Policy) -> Verified:
    """The bundle's certificate chains to a trusted root, names an accepted identity and issuer, its key signed
    the envelope, and the statement's subject is ``digest``; else :class:`Rejected` saying which failed."""
    cert = x509.load_der_x509_certificate(base64.b64decode(signed["verificationMaterial"]["certificate"]["rawBytes"]))
    if not any(_issued_by(cert, root) for root in policy.roots):
        raise Rejected(f"certificate issued by {cert.issuer.rfc4514_string()} does not chain to a trusted root "
                       f"(x509: certificate signed by unknown authority)")
    identity = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.UniformResourceIdentifier)[0]
    issuer = _issuer(cert)
    if not (_matches(issuer, policy.issuer, policy.issuer_regexp) and
            _matches(identity, policy.identity, policy.identity_regexp)):
        raise Rejected(f"none of the expected identities matched what was in the certificate, got subjects "
                       f"[{identity}] with issuer {issuer}")
    envelope = signed["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"])
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    try:
        public_key.verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae(envelope["payloadType"], payload),
                          ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Rejected("invalid signature when validating ASN.1 encoded signature") from None
    found = json.loads(payload)
    algorithm, _, hex_digest = digest.partition(":")
    if not any(s.get("digest", {}).get(algorithm) == hex_digest for s in found.get("subject", [])):
        raise Rejected(f"the statement's subject is not {digest}")
    return Verified(identity, issuer, found)


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    public_key = root.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    try:
        public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return cert.issuer == root.subject


def _issuer(cert: x509.Certificate) -> str:
    value = cert.extensions.get_extension_for_oid(ISSUER_V2_OID).value
    assert isinstance(value, x509.UnrecognizedExtension)
    return value.value[2:].decode()


def _matches(value: str, exact: str | None, pattern: str | None) -> bool:
    if pattern is not None:
        return re.search(pattern, value) is not None
    return exact is None or value == exact
