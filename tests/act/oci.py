"""A small client of the OCI distribution API for the loopback registry (plain http, no auth): what the stand-ins
push (signatures, attestations) and what the tests read back (tags, digests, referrers).

The registry here is Debian's distribution 2.8, which has no referrers API (``GET /v2/<name>/referrers/<digest>``
answers 404). Clients then use the referrers tag schema of the distribution spec 1.1: an image index tagged
``sha256-<hex of the subject>`` lists the subject's referrers. go-containerregistry (so cosign) and the npm
package @sigstore/oci behind actions/attest both do that; so does :func:`attach_referrer`.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2}


class OciError(RuntimeError):
    """A registry request failed: the message names the request and the registry's answer."""


@dataclass(frozen=True)
class ImageRef:
    """``host[:port]/repository`` plus a tag or a digest."""

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        name, _, digest = text.partition("@")
        host, _, rest = name.partition("/")
        repository, tag = rest, None
        last = rest.rsplit("/", 1)[-1]
        if ":" in last:
            repository, _, tag = rest.rpartition(":")
        if not host or not repository:
            raise OciError(f"{text!r} is not an image reference (host/repository[:tag][@digest])")
        return cls(host, repository, tag, digest or None)

    @property
    def name(self) -> str:
        return f"{self.host}/{self.repository}"

    @property
    def reference(self) -> str:
        """The tag or digest the manifest is addressed by (the digest when both are given)."""
        found = self.digest or self.tag
        if not found:
            raise OciError(f"{self.name} names neither a tag nor a digest")
        return found

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _request(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
             ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError as error:
        raise OciError(f"{method} {url}: {error}") from error


class Registry:
    """The loopback registry at ``host`` (``127.0.0.1:<port>``)."""

    def __init__(self, host: str):
        self.host = host

    def _url(self, path: str) -> str:
        return f"http://{self.host}/v2/{path}"

    def manifest(self, repository: str, reference: str) -> tuple[bytes, str] | None:
        """(the raw manifest, its media type) of a tag or digest; None when the registry has none."""
        status, headers, body = _request("GET", self._url(f"{repository}/manifests/{reference}"),
                                         headers={"Accept": ACCEPT})
        if status == 404:
            return None
        if status != 200:
            raise OciError(f"GET {repository}/manifests/{reference}: HTTP {status}: {body[:300]!r}")
        media_type = headers.get("Content-Type") or json.loads(body).get("mediaType", "")
        return body, media_type

    def digest(self, repository: str, reference: str) -> str | None:
        """The digest a tag points at (the sha256 of the manifest the registry serves); None when it has none."""
        found = self.manifest(repository, reference)
        return None if found is None else sha256(found[0])

    def tags(self, repository: str) -> list[str]:
        status, _, body = _request("GET", self._url(f"{repository}/tags/list"))
        if status == 404:
            return []
        if status != 200:
            raise OciError(f"GET {repository}/tags/list: HTTP {status}: {body[:300]!r}")
        return sorted(json.loads(body).get("tags") or [])

    def repositories(self) -> list[str]:
        status, _, body = _request("GET", self._url("_catalog"))
        if status != 200:
            raise OciError(f"GET _catalog: HTTP {status}: {body[:300]!r}")
        return sorted(json.loads(body).get("repositories") or [])

    def blob(self, repository: str, digest: str) -> bytes:
        status, _, body = _request("GET", self._url(f"{repository}/blobs/{digest}"))
        if status != 200:
            raise OciError(f"GET {repository}/blobs/{digest}: HTTP {status}")
        return body

    def push_blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` (monolithic POST then PUT) unless the registry has it; returns its digest."""
        digest = sha256(data)
        status, _, _ = _request("HEAD", self._url(f"{repository}/blobs/{digest}"))
        if status == 200:
            return digest
        status, headers, body = _request("POST", self._url(f"{repository}/blobs/uploads/"))
        if status != 202:
            raise OciError(f"POST {repository}/blobs/uploads/: HTTP {status}: {body[:300]!r}")
        location = headers["Location"]
        if location.startswith("/"):
            location = f"http://{self.host}{location}"
        separator = "&" if "?" in location else "?"
        status, _, body = _request("PUT", f"{location}{separator}digest={digest}", data,
                                   {"Content-Type": "application/octet-stream"})
        if status != 201:
            raise OciError(f"PUT blob {digest} to {repository}: HTTP {status}: {body[:300]!r}")
        return digest

    def push_manifest(self, repository: str, reference: str, manifest: bytes, media_type: str) -> str:
        status, _, body = _request("PUT", self._url(f"{repository}/manifests/{reference}"), manifest,
                                   {"Content-Type": media_type})
        if status != 201:
            raise OciError(f"PUT {repository}/manifests/{reference}: HTTP {status}: {body[:300]!r}")
        return sha256(manifest)

    def referrers(self, repository: str, subject: str) -> list[dict[str, Any]]:
        """The descriptors of the manifests that name ``subject``: the referrers API when the registry has one,
        else the index at the fallback tag ``sha256-<hex>``."""
        status, _, body = _request("GET", self._url(f"{repository}/referrers/{subject}"),
                                   headers={"Accept": OCI_INDEX})
        if status == 200:
            return list(json.loads(body).get("manifests") or [])
        found = self.manifest(repository, fallback_tag(subject))
        return [] if found is None else list(json.loads(found[0]).get("manifests") or [])


def fallback_tag(subject: str) -> str:
    """The referrers tag schema's tag for ``subject`` ('sha256:ab..' -> 'sha256-ab..')."""
    return subject.replace(":", "-", 1)


def attach_referrer(registry: Registry, repository: str, subject: str, artifact_type: str, layer: bytes,
                    annotations: dict[str, str]) -> str:
    """Push ``layer`` as an OCI 1.1 artifact whose ``subject`` is the manifest ``subject`` and add it to the
    subject's referrers (the fallback tag's index: this registry has no referrers API). Returns its digest."""
    found = registry.manifest(repository, subject)
    if found is None:
        raise OciError(f"{registry.host}/{repository}@{subject}: no such manifest to attach to")
    raw, media_type = found
    registry.push_blob(repository, b"{}")
    layer_digest = registry.push_blob(repository, layer)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
                "config": EMPTY_CONFIG,
                "layers": [{"mediaType": artifact_type, "digest": layer_digest, "size": len(layer)}],
                "subject": {"mediaType": media_type, "digest": subject, "size": len(raw)},
                "annotations": annotations}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    digest = registry.push_manifest(repository, sha256(body), body, OCI_MANIFEST)
    descriptor = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body), "artifactType": artifact_type,
                  "annotations": annotations}
    tag = fallback_tag(subject)
    existing = registry.manifest(repository, tag)
    index = json.loads(existing[0]) if existing else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    index["manifests"] = [m for m in index["manifests"] if m.get("digest") != digest] + [descriptor]
    registry.push_manifest(repository, tag, json.dumps(index, separators=(",", ":")).encode(), OCI_INDEX)
    return digest
