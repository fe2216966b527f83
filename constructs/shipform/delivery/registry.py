"""The digest of an image tag, read from its registry over the Docker Registry HTTP API v2 (OCI distribution),
with the standard library only.

``HEAD /v2/<name>/manifests/<tag>`` accepting an OCI image index, a Docker manifest list, an OCI manifest and
a Docker manifest v2 (so a multi-platform tag resolves to its index, as ``docker pull`` does); the digest is
the ``Docker-Content-Digest`` header, else the sha256 of the manifest a GET returns. Registries that want a
token answer 401 with ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``: the client asks the realm
for an anonymous token and retries. Names resolve the way docker resolves them (``postgres`` is
``registry-1.docker.io/library/postgres``); plain http is used for loopback registries only (localhost,
127.0.0.0/8, ::1), which docker treats as insecure by default, https everywhere else. Every failure is one
:class:`RegistryError` line naming the registry and the image.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import IO

from shipform.values.checks import DIGEST, matches

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

DOCKER_HUB = "registry-1.docker.io"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""Registries refuse larger manifests (distribution's default limit); a larger answer is not a manifest."""
DEFAULT_TIMEOUT = 30.0

_PARAM = re.compile(r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


class RegistryError(Exception):
    """An image's digest cannot be read: one line, ``<registry>: cannot resolve <image>: <why>. Fix: <what>``."""

    def __init__(self, registry: str, image: str, problem: str, fix: str, unreachable: bool = False):
        self.registry = registry
        self.image = image
        self.problem = problem
        self.fix = fix
        self.unreachable = unreachable
        """The registry did not answer at all (its other images need not be tried)."""
        super().__init__(f"{registry}: cannot resolve {image}: {problem}. Fix: {fix}")


@dataclass(frozen=True)
class Reference:
    """An image tag as the registry API addresses it."""

    registry: str
    """host[:port] the API is served on (Docker Hub's is registry-1.docker.io)."""
    repository: str
    tag: str

    @property
    def scheme(self) -> str:
        return "http" if is_loopback(self.registry) else "https"

    @property
    def manifest_url(self) -> str:
        return f"{self.scheme}://{self.registry}/v2/{self.repository}/manifests/{self.tag}"


def parse_reference(image: str) -> Reference:
    """``name:tag`` (any digest is dropped) as registry, repository and tag, by docker's rules: the first
    path component is a registry host when it has a '.' or a ':' or is 'localhost'; else the image is on
    Docker Hub, where one-component names are official images under ``library/``."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    if ":" not in name[slash + 1:]:
        raise ValueError(f"{image!r} has no tag")
    name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name
    if registry in ("docker.io", "index.docker.io"):
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    return Reference(registry, repository, tag)


def is_loopback(registry: str) -> bool:
    """True for localhost, 127.0.0.0/8 and [::1] (with or without a port)."""
    host = registry
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    headers: Message
    body: bytes


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but never from https to plain http on a host that is not loopback."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        target = urllib.parse.urlsplit(newurl)
        if target.scheme != "https" and not is_loopback(target.netloc):
            raise urllib.error.HTTPError(newurl, code, f"redirect to insecure {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Client:
    """Resolves tags to digests; keeps the anonymous tokens it was given for the rest of its life."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._tokens: dict[tuple[str, str], str] = {}
        # Loopback registries are reached directly, never through an http(s)_proxy from the environment.
        self._direct = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoDowngrade)
        self._proxied = urllib.request.build_opener(_NoDowngrade)

    def digest(self, image: str) -> str:
        """``sha256:<64 hex>`` of the manifest (or index) the tag of ``image`` points to."""
        try:
            ref = parse_reference(image)
        except ValueError as err:
            raise RegistryError("registry", image, str(err), "name the image as name:tag") from None
        answer = self._manifest(ref, image, "HEAD")
        header = answer.headers.get("Docker-Content-Digest", "").strip()
        if matches(DIGEST, header):
            return header
        # No digest header (or one of another algorithm): hash the manifest exactly as the registry serves it.
        answer = self._manifest(ref, image, "GET")
        return "sha256:" + hashlib.sha256(answer.body).hexdigest()

    def _manifest(self, ref: Reference, image: str, method: str) -> _Answer:
        headers = {"Accept": ACCEPT}
        key = (ref.registry, ref.repository)
        answer = self._send(ref, image, method, ref.manifest_url, headers, self._tokens.get(key))
        if answer.status == 401:  # no token yet, or it expired: ask for one (once per request)
            self._tokens[key] = self._token(ref, image, answer.headers)
            answer = self._send(ref, image, method, ref.manifest_url, headers, self._tokens[key])
        if answer.status == 200:
            return answer
        raise RegistryError(ref.registry, image, *_failure(ref, answer))

    def _token(self, ref: Reference, image: str, headers: Message) -> str:
        """An anonymous pull token from the realm the registry's Bearer challenge names."""
        challenge = headers.get("WWW-Authenticate", "")
        scheme, _, rest = challenge.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise RegistryError(ref.registry, image, f"the registry wants credentials ({scheme or 'no'} "
                                "challenge) and shipform pulls anonymously",
                                "make the image public, or give it a digest in the app (image='name:tag@sha256:...')")
        params = {m[1].lower(): re.sub(r"\\(.)", r"\1", m[2]) if m[2] is not None else m[3]
                  for m in _PARAM.finditer(rest)}
        realm = params.get("realm", "")
        target = urllib.parse.urlsplit(realm)
        if target.scheme not in ("http", "https") or not target.netloc or (
                target.scheme == "http" and not is_loopback(target.netloc)):
            raise RegistryError(ref.registry, image, f"the registry names a token realm shipform will not use: "
                                f"{realm!r}", "check that the registry name is right")
        query = [("service", params["service"])] if params.get("service") else []
        query.append(("scope", params.get("scope") or f"repository:{ref.repository}:pull"))
        separator = "&" if target.query else "?"
        url = realm + separator + urllib.parse.urlencode(query)
        answer = self._send(ref, image, "GET", url, {"Accept": "application/json"}, None)
        if answer.status != 200:
            raise RegistryError(ref.registry, image, f"the token service {target.netloc} answered "
                                f"{answer.status} {answer.reason}".rstrip(),
                                "check that the image exists and is public, then run it again")
        try:
            data = json.loads(answer.body)
            token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        except ValueError:
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(ref.registry, image, f"the token service {target.netloc} sent no token",
                                "check that the registry name is right")
        return token

    def _send(self, ref: Reference, image: str, method: str, url: str, headers: dict[str, str],
              token: str | None) -> _Answer:
        request = urllib.request.Request(url, method=method, headers=headers)
        if token is not None:
            # Not repeated on a redirect: blob stores behind a registry get no token of the registry's.
            request.add_unredirected_header("Authorization", f"Bearer {token}")
        host = urllib.parse.urlsplit(url).netloc
        opener = self._direct if is_loopback(host) else self._proxied
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return _Answer(response.status, response.reason, response.headers, _read(response, method))
        except urllib.error.HTTPError as err:
            with err:
                body = b"" if method == "HEAD" else _read(err, method)
                return _Answer(err.code, str(err.reason), err.headers, body)
        except _TooLarge:
            raise RegistryError(ref.registry, image, f"{host} sent more than {MAX_MANIFEST_BYTES} bytes, which no "
                                "manifest is", "check that the registry name is right") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
            reason = getattr(err, "reason", None) or err
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                problem = f"{host} did not answer within {self.timeout:g} s"
            else:
                problem = f"cannot reach {urllib.parse.urlsplit(url).scheme}://{host}: {reason}"
            raise RegistryError(ref.registry, image, problem,
                                "check the network and the registry's name, then run it again", True) from None


class _TooLarge(Exception):
    pass


def _read(response: IO[bytes], method: str) -> bytes:
    if method == "HEAD":
        return b""
    body = response.read(MAX_MANIFEST_BYTES + 1)
    if len(body) > MAX_MANIFEST_BYTES:
        raise _TooLarge
    return body


def _failure(ref: Reference, answer: _Answer) -> tuple[str, str]:
    """(problem, fix) for a manifest request that did not succeed."""
    code = ""
    try:
        errors = json.loads(answer.body).get("errors") or []
        code = f" ({errors[0]['code']})" if errors and isinstance(errors[0], dict) and errors[0].get("code") else ""
    except (ValueError, AttributeError, TypeError):
        pass
    if answer.status == 404:
        return (f"the registry has no tag {ref.tag!r} of {ref.repository}{code}",
                "check the image's name and tag in the app")
    if answer.status in (401, 403):
        return (f"anonymous pull refused ({answer.status}{code}): the image is private or does not exist",
                "make the image public, or give it a digest in the app (image='name:tag@sha256:...')")
    if answer.status == 429:
        return "the registry limits requests (429 Too Many Requests)", "wait a while and run it again"
    return (f"the registry answered {answer.status} {answer.reason}{code}".rstrip(),
            "check the registry's status and run it again")
