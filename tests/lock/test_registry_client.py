"""The registry client against a registry served in process on 127.0.0.1: the anonymous token flow, the digest
from Docker-Content-Digest or, without it, from the manifest's bytes; names resolved the way docker does."""

from __future__ import annotations

import hashlib
import socket

import pytest

from lock.fake_registry import TOKEN, FakeRegistry
from shipform.delivery.registry import ACCEPT, Client, RegistryError, is_loopback, parse_reference

INDEX = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}'


def test_the_token_flow_asks_the_realm_and_retries_with_the_token():
    with FakeRegistry() as registry:
        expected = registry.add("acme/tools", "1.0", INDEX)
        assert Client(timeout=5).digest(f"{registry.host}/acme/tools:1.0") == expected
    first, token, retry = registry.seen
    assert (first.method, first.path, first.headers.get("Authorization")) == ("HEAD", "/v2/acme/tools/manifests/1.0",
                                                                               None)
    assert token.method == "GET" and token.path == "/token?service=fake-registry&scope=repository%3Aacme%2Ftools%3Apull"
    assert (retry.method, retry.headers["Authorization"]) == ("HEAD", f"Bearer {TOKEN}")
    accepted = [t.strip() for t in retry.headers["Accept"].split(",")]
    assert accepted == ["application/vnd.oci.image.index.v1+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json",
                        "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json"]
    assert retry.headers["Accept"] == ACCEPT


def test_a_client_keeps_its_token_for_the_next_image_of_the_repository():
    with FakeRegistry() as registry:
        registry.add("acme/tools", "1.0", INDEX)
        registry.add("acme/tools", "2.0", INDEX + b" ")
        client = Client(timeout=5)
        client.digest(f"{registry.host}/acme/tools:1.0")
        client.digest(f"{registry.host}/acme/tools:2.0")
    assert [s.method for s in registry.seen] == ["HEAD", "GET", "HEAD", "HEAD"]


def test_without_a_digest_header_the_digest_is_the_sha256_of_the_manifest_a_get_returns():
    body = b'{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}\n'
    with FakeRegistry(token_flow=False, digest_header=False) as registry:
        registry.add("tools", "1.0", body, "application/vnd.docker.distribution.manifest.v2+json")
        digest = Client(timeout=5).digest(f"{registry.host}/tools:1.0")
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert [(s.method, s.path) for s in registry.seen] == [("HEAD", "/v2/tools/manifests/1.0"),
                                                            ("GET", "/v2/tools/manifests/1.0")]


def test_with_the_header_there_is_no_get():
    with FakeRegistry(token_flow=False) as registry:
        expected = registry.add("tools", "1.0", INDEX)
        assert Client(timeout=5).digest(f"{registry.host}/tools:1.0") == expected
    assert [s.method for s in registry.seen] == ["HEAD"]


def one_line(err: pytest.ExceptionInfo[RegistryError], registry: str, image: str) -> str:
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{registry}: cannot resolve {image}: ") and ". Fix: " in message
    return message


def test_an_unknown_tag_is_one_line_naming_registry_and_image():
    with FakeRegistry() as registry, pytest.raises(RegistryError) as err:
        Client(timeout=5).digest(f"{registry.host}/acme/tools:9.9")
    image = f"{registry.host}/acme/tools:9.9"
    assert "the registry has no tag '9.9' of acme/tools" in one_line(err, registry.host, image)


def test_a_registry_that_wants_credentials_is_one_line():
    with FakeRegistry(challenge='Basic realm="private"') as registry, pytest.raises(RegistryError) as err:
        Client(timeout=5).digest(f"{registry.host}/acme/tools:1.0")
    assert "wants credentials (Basic challenge)" in one_line(err, registry.host, f"{registry.host}/acme/tools:1.0")


def test_a_realm_that_is_not_https_elsewhere_than_loopback_is_refused():
    challenge = 'Bearer realm="http://auth.example.com/token",service="x"'
    with FakeRegistry(challenge=challenge) as registry, pytest.raises(RegistryError) as err:
        Client(timeout=5).digest(f"{registry.host}/acme/tools:1.0")
    assert "token realm shipform will not use" in one_line(err, registry.host, f"{registry.host}/acme/tools:1.0")
    assert [s.path for s in registry.seen] == ["/v2/acme/tools/manifests/1.0"]


def test_a_registry_nobody_listens_on_is_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RegistryError) as err:
        Client(timeout=5).digest(f"127.0.0.1:{port}/acme/tools:1.0")
    image = f"127.0.0.1:{port}/acme/tools:1.0"
    assert f"cannot reach http://127.0.0.1:{port}" in one_line(err, f"127.0.0.1:{port}", image)


@pytest.mark.parametrize(("image", "registry", "repository", "tag"), [
    ("postgres:16.6-bookworm", "registry-1.docker.io", "library/postgres", "16.6-bookworm"),
    ("amazon/aws-cli:2.22.12", "registry-1.docker.io", "amazon/aws-cli", "2.22.12"),
    ("docker.io/library/redis:7.4.1", "registry-1.docker.io", "library/redis", "7.4.1"),
    ("docker.io/redis:7.4.1", "registry-1.docker.io", "library/redis", "7.4.1"),
    ("index.docker.io/bitnami/redis:7", "registry-1.docker.io", "bitnami/redis", "7"),
    ("ghcr.io/acme/shop-api:1.4.2", "ghcr.io", "acme/shop-api", "1.4.2"),
    ("localhost/acme/x:1", "localhost", "acme/x", "1"),
    ("localhost:5000/x:1@sha256:" + "a" * 64, "localhost:5000", "x", "1"),
    ("[::1]:5000/a/b/c:2", "[::1]:5000", "a/b/c", "2"),
    ("acme-registry/tools:1", "registry-1.docker.io", "acme-registry/tools", "1"),
])
def test_names_resolve_the_way_docker_resolves_them(image, registry, repository, tag):
    ref = parse_reference(image)
    assert (ref.registry, ref.repository, ref.tag) == (registry, repository, tag)


@pytest.mark.parametrize(("registry", "loopback"), [
    ("localhost", True), ("localhost:5000", True), ("127.0.0.1:5000", True), ("127.1.2.3", True),
    ("[::1]:5000", True), ("[::1]", True), ("ghcr.io", False), ("10.0.0.1:5000", False), ("localhost.example", False),
    ("registry-1.docker.io", False),
])
def test_plain_http_only_on_loopback(registry, loopback):
    assert is_loopback(registry) is loopback
    assert parse_reference(f"{registry}/x/y:1").scheme == ("http" if loopback else "https")
