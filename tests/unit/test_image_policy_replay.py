"""The generated ClusterImagePolicies admit what they promise, replayed by policy-controller's documented matching
(tests/unit/policy_controller_replay.py names the docs it follows): stand-in images signed with the local Sigstore of
tests/act/sigstore.py (ECDSA P-256 keys, certificates naming the workflow identity and GitHub's OIDC issuer, DSSE
bundles as cosign 3 and actions/attest make them), the bundles held in memory per digest as the registry's referrers
would hold them, and verified with the same code the act suite's cosign stand-in uses."""

from __future__ import annotations

import hashlib

import pytest

from act import sigstore
from shipform import App, Build, DataStorage, Environment, Health, Mesh, SecureNamespace, StatefulDB, WebService
from shipform.delivery.pins import pin
from shipform.render import image_policy
from shipform.render.namespaces import namespace
from unit.policy_controller_replay import Cluster, compile_glob, glob_matches, reference_name

REPOSITORY = "https://github.com/acme/shop.git"
BUILD = "https://github.com/acme/shop/.github/workflows/shop-build.yaml"
SIGN = sigstore.COSIGN_SIGN_PREDICATE
SLSA = "https://slsa.dev/provenance/v1"
POSTGRES = "sha256:" + "1" * 64


def digest_of(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture(scope="module")
def prod(module_app_root):
    """prod's spec, pinned by a lock that records postgres' digest, and dev's (local)."""
    app = App("shop", registry="ghcr.io/acme", root=module_app_root, repository=REPOSITORY)
    dev = Environment(app, "dev", local=True)
    prod = Environment(app, "prod", unpinned_images="a test app: its images are never pushed", mesh=Mesh(),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    for env in (dev, prod):
        ns = SecureNamespace(env, "shop", mesh="istio" if env is prod else None)
        db = StatefulDB(ns, "db", engine="postgres", version="16", storage="1Gi")
        WebService(ns, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                   health=Health.http("/healthz"), connects_to=[db])
    plain = app.to_spec()
    postgres = next(i for i in plain.environments[1].images() if "postgres" in i)
    return pin(plain, {"prod": {postgres: POSTGRES}})


@pytest.fixture(scope="module")
def trust(tmp_path_factory) -> sigstore.Trust:
    return sigstore.Trust(tmp_path_factory.mktemp("sigstore")).create()


class Registry:
    """Bundles by the digest they are attached to (what the registry's referrers list)."""

    def __init__(self, trust: sigstore.Trust):
        self.trust = trust
        self.attached: dict[str, list[dict]] = {}

    def sign(self, digest: str, identity: str, predicate: str = SIGN, issuer: str = sigstore.GITHUB_ISSUER,
             authority: str = "public-good", subject: str | None = None) -> None:
        key, cert = sigstore.issue(self.trust.authority(authority), identity, issuer)
        payload = sigstore.statement(subject or digest, predicate, {"builder": identity} if predicate == SLSA else {})
        self.attached.setdefault(digest, []).append(sigstore.bundle(key, cert, payload))

    def built(self, digest: str, identity: str = f"{BUILD}@refs/heads/main", provenance_by: str = "public-good"):
        """What the build workflow leaves: cosign's signature and actions/attest's provenance."""
        self.sign(digest, identity)
        self.sign(digest, identity, SLSA, authority=provenance_by)


def cluster(env, trust: sigstore.Trust, registry: Registry, **options) -> Cluster:
    roots = {"github": trust.roots(("github",))} if options.pop("github_trust_root", True) else {}
    return Cluster(image_policy.policies(env), lambda digest: registry.attached.get(digest, []),
                   trust.roots(("public-good",)), roots, **options)


def labels(env) -> dict[str, str]:
    [ns] = env.namespaces
    return namespace(ns, set())["metadata"]["labels"]


API = "ghcr.io/acme/shop-api"


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/tags/v1.4.2", "refs/tags/shop/v1.4.2"])
def test_an_image_the_build_workflow_signed_and_attested_is_admitted(prod, trust, ref):
    env, digest, registry = prod.environments[1], digest_of(ref), Registry(trust)
    registry.built(digest, f"{BUILD}@{ref}")
    assert cluster(env, trust, registry).admit(labels(env), f"{API}@{digest}").admitted


def test_provenance_from_githubs_sigstore_instance_is_admitted_where_its_trust_root_is_installed(prod, trust):
    """A private repository: actions/attest signs with GitHub's instance; cosign's signature stays public-good."""
    env, digest, registry = prod.environments[1], digest_of("private"), Registry(trust)
    registry.built(digest, provenance_by="github")
    assert cluster(env, trust, registry).admit(labels(env), f"{API}@{digest}").admitted
    refused = cluster(env, trust, registry, github_trust_root=False).admit(labels(env), f"{API}@{digest}")
    assert not refused.admitted and "trustRootRef github not found" in " ".join(refused.reasons)


def test_an_unsigned_image_is_refused(prod, trust):
    env = prod.environments[1]
    decision = cluster(env, trust, Registry(trust)).admit(labels(env), f"{API}@{digest_of('unsigned')}")
    assert not decision.admitted
    assert {r.split(":")[0] for r in decision.reasons} == {"shop-prod-signature", "shop-prod-provenance"}


@pytest.mark.parametrize(("identity", "issuer"), [
    ("https://github.com/acme/shop/.github/workflows/shop-ci.yaml@refs/heads/main", sigstore.GITHUB_ISSUER),
    ("https://github.com/acme/other/.github/workflows/shop-build.yaml@refs/heads/main", sigstore.GITHUB_ISSUER),
    ("https://github.com/evil/shop/.github/workflows/shop-build.yaml@refs/heads/main", sigstore.GITHUB_ISSUER),
    (f"{BUILD}@refs/heads/feature", sigstore.GITHUB_ISSUER),
    (f"{BUILD}@refs/tags/other/v1", sigstore.GITHUB_ISSUER),
    (f"{BUILD}@refs/heads/main", "https://accounts.google.com"),
    (f"{BUILD}@refs/heads/main", "https://token.actions.githubusercontent.com.evil.example"),
    ("https://github.com/acme/shop/.github/workflows/shop-build.yaml@refs/heads/main.evil", sigstore.GITHUB_ISSUER),
], ids=["another-workflow", "another-repository", "another-owner", "another-branch", "another-apps-tag",
        "another-issuer", "issuer-prefix", "branch-prefix"])
def test_an_image_signed_by_anyone_else_is_refused(prod, trust, identity, issuer):
    env, digest, registry = prod.environments[1], digest_of(identity + issuer), Registry(trust)
    registry.sign(digest, identity, issuer=issuer)
    registry.sign(digest, identity, SLSA, issuer=issuer)
    assert not cluster(env, trust, registry).admit(labels(env), f"{API}@{digest}").admitted


def test_a_signature_without_provenance_and_provenance_without_a_signature_are_refused(prod, trust):
    env, registry = prod.environments[1], Registry(trust)
    signed, attested = digest_of("signed only"), digest_of("attested only")
    registry.sign(signed, f"{BUILD}@refs/heads/main")
    registry.sign(attested, f"{BUILD}@refs/heads/main", SLSA)
    check = cluster(env, trust, registry)
    only_signed = check.admit(labels(env), f"{API}@{signed}")
    assert not only_signed.admitted and only_signed.reasons[0].startswith("shop-prod-provenance")
    only_attested = check.admit(labels(env), f"{API}@{attested}")
    assert not only_attested.admitted and only_attested.reasons[0].startswith("shop-prod-signature")


def test_bundles_of_another_image_do_not_count(prod, trust):
    env, registry = prod.environments[1], Registry(trust)
    digest, other = digest_of("this"), digest_of("that")
    registry.sign(digest, f"{BUILD}@refs/heads/main", subject=other)
    registry.sign(digest, f"{BUILD}@refs/heads/main", SLSA, subject=other)
    assert not cluster(env, trust, registry).admit(labels(env), f"{API}@{digest}").admitted


def test_a_certificate_from_an_unknown_authority_is_refused(prod, trust, tmp_path):
    forger = sigstore.Trust(tmp_path / "forger").create()
    env, digest, registry = prod.environments[1], digest_of("forged"), Registry(forger)
    registry.built(digest)
    assert not cluster(env, trust, registry).admit(labels(env), f"{API}@{digest}").admitted


def test_third_party_images_are_admitted_at_the_pinned_digest_only(prod, trust):
    env = prod.environments[1]
    check = cluster(env, trust, Registry(trust))
    assert check.admit(labels(env), f"postgres@{POSTGRES}").admitted
    assert check.admit(labels(env), f"docker.io/library/postgres:16@{POSTGRES}").admitted
    other = check.admit(labels(env), f"postgres@{digest_of('another postgres')}")
    assert not other.admitted and other.reasons == ("no matching policies",)


def test_the_meshs_sidecar_is_admitted_by_repository(prod, trust):
    env = prod.environments[1]
    assert cluster(env, trust, Registry(trust)).admit(labels(env), f"istio/proxyv2@{digest_of('istio')}").admitted


@pytest.mark.parametrize("image", [
    "nginx:1.27.3", f"ghcr.io/acme/shop-api-v2@{digest_of('x')}", f"ghcr.io/acme/other@{digest_of('y')}",
    f"ghcr.io/acme/shop-api/extra@{digest_of('z')}", f"registry.example.com/acme/shop-api@{digest_of('w')}"])
def test_an_image_no_policy_matches_is_refused_as_policy_controller_does_by_default(prod, trust, image):
    env = prod.environments[1]
    refused = cluster(env, trust, Registry(trust)).admit(labels(env), image)
    assert (refused.admitted, refused.reasons) == (False, ("no matching policies",))
    allowed = cluster(env, trust, Registry(trust), no_match_policy="allow").admit(labels(env), image)
    assert allowed.admitted


def test_an_environment_without_policies_does_not_opt_in(prod, trust):
    dev = prod.environments[0]
    assert image_policy.policies(dev) == [] and image_policy.INCLUDE not in labels(dev)
    assert Cluster([], lambda _: [], []).admit(labels(dev), "anything:latest").admitted


def test_the_replayed_glob_rules_are_policy_controllers():
    """Cases of pkg/apis/glob/glob_test.go: '*' stops at '/', '**' does not, Docker Hub names are qualified."""
    assert reference_name("ubuntu") == "index.docker.io/library/ubuntu:latest"
    assert reference_name("myuser/app:1@sha256:" + "a" * 64) == "index.docker.io/myuser/app@sha256:" + "a" * 64
    assert glob_matches("index.docker.io/library/*", "ubuntu") and glob_matches("*", "ubuntu")
    assert not glob_matches("gcr.io/foo/*", "gcr.io/foo/bar/baz")
    assert glob_matches("gcr.io/foo/**", "gcr.io/foo/bar/baz")
    assert glob_matches("ghcr.io/acme/shop-api:*", "ghcr.io/acme/shop-api:1.4.2")
    with pytest.raises(ValueError):
        compile_glob("ghcr.io/acme/[a-z]+")
