"""Where a LogShipper sends container logs: Loki, Elasticsearch/OpenSearch or an OTLP endpoint, each a server
declared as an :class:`External` (its address ranges become the shipper's only egress besides DNS and the API
server), with credentials only by SecretRef."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.errors import ShipformError
from shipform.model.external import External
from shipform.model.fluent_bit import Output
from shipform.values import checks
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object


def _tls(at: External) -> tuple[tuple[str, str], ...]:
    """TLS unless the External's scheme says plain 'http'; the certificate is always checked."""
    on = at.scheme != "http"
    return (("tls", "On" if on else "Off"),) + ((("tls.verify", "On"),) if on else ())


def _basic(user: str | None, password: SecretRef | None, var: str) -> tuple[tuple[str, str], ...]:
    return (("HTTP_User", user), ("HTTP_Passwd", "${" + var + "}")) if user and password else ()


@value_object
@dataclass(frozen=True)
class Loki:
    """Grafana Loki's push API.

    :param at: the server (an :class:`External`).
    :param tenant: Default: None. X-Scope-OrgID, for a multi-tenant Loki.
    :param user: Default: None (no authentication). With ``password``, basic authentication.
    :param password: Default: None. With ``user``: the :class:`SecretRef` of its password."""

    at: External
    tenant: str | None = None
    user: str | None = None
    password: SecretRef | None = None

    def output(self, path: str) -> Output:
        _credentials(path, "to", self.user, self.password)
        labels = "job=fluent-bit, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name'], " \
                 "container=$kubernetes['container_name']"
        tenant = (("Tenant_ID", self.tenant),) if self.tenant else ()
        return Output("loki", (("Host", self.at.host), ("Port", str(self.at.port)), ("Labels", labels),
                               ("Line_Format", "json"), *tenant, *_basic(self.user, self.password, "LOKI_PASSWORD"),
                               *_tls(self.at)), _secret("LOKI_PASSWORD", self.password))


@value_object
@dataclass(frozen=True)
class Elasticsearch:
    """Elasticsearch or OpenSearch's bulk API.

    :param at: the server (an :class:`External`).
    :param index: the index written (required).
    :param user: with ``password``, basic authentication (required: a cluster open to anyone is not a destination).
    :param password: the :class:`SecretRef` of ``user``'s password (required)."""

    at: External
    index: str
    user: str
    password: SecretRef

    def output(self, path: str) -> Output:
        _credentials(path, "to", self.user, self.password)
        if not checks.is_label_value(self.index) or not self.index or self.index != self.index.lower():
            raise ShipformError(path, "to.index", "must be a lower-case index name of letters, digits, '-', '_', '.'",
                                self.index, "write e.g. 'logs-prod'")
        return Output("es", (("Host", self.at.host), ("Port", str(self.at.port)), ("Index", self.index),
                             ("Suppress_Type_Name", "On"), ("Replace_Dots", "On"), ("Trace_Error", "On"),
                             *_basic(self.user, self.password, "ES_PASSWORD"), *_tls(self.at)),
                      _secret("ES_PASSWORD", self.password))


@value_object
@dataclass(frozen=True)
class Otlp:
    """An OpenTelemetry collector's OTLP/HTTP endpoint; logs go to ``logs_path``.

    :param at: the collector (an :class:`External`).
    :param logs_path: Default: '/v1/logs'. The path logs are posted to."""

    at: External
    logs_path: str = "/v1/logs"

    def output(self, path: str) -> Output:
        if not checks.is_plain_path(self.logs_path):
            raise ShipformError(path, "to.logs_path", "must be an absolute URL path", self.logs_path,
                                "write e.g. '/v1/logs'")
        return Output("opentelemetry", (("Host", self.at.host), ("Port", str(self.at.port)),
                                        ("Logs_uri", self.logs_path), *_tls(self.at)))


LogDestination = Loki | Elasticsearch | Otlp


def _secret(var: str, ref: SecretRef | None) -> tuple[tuple[str, SecretRef], ...]:
    return ((var, ref),) if ref is not None else ()


def _credentials(path: str, prop: str, user: str | None, password: SecretRef | None) -> None:
    if (user is None) != (password is None):
        raise ShipformError(path, f"{prop}.user/password", "must be given together", user,
                            "pass user='fluent-bit' and password=SecretRef('<secret>', '<key>'), or neither")
    if password is not None and not isinstance(password, SecretRef):
        raise ShipformError(path, f"{prop}.password", "must be a SecretRef, never a literal", "<literal>",
                            "pass password=SecretRef('<secret>', '<key>')")
    if password is not None:
        password.validate(path, f"{prop}.password")
