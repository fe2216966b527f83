"""Who the alerts reach: ``Monitoring(receivers=Receivers(critical=[PagerDuty(...)], warning=[Slack(...)]))``
becomes an AlertmanagerConfig per namespace (render.alertmanager). Every credential (a Slack webhook URL, a
PagerDuty routing key, an SMTP password, a webhook URL that holds a token) is a :class:`SecretRef`: the
AlertmanagerConfig names the Secret's key, which prometheus-operator reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

_SLACK_CHANNEL = re.compile(r"[#@]?[a-z0-9][a-z0-9._-]{0,79}")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?")
_SMARTHOST = re.compile(r"(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?):(?P<port>[0-9]{1,5})")
_URL = re.compile(r"https?://[^\s/?#@]+(/[^\s]*)?")


@value_object
@dataclass(frozen=True)
class Slack:
    """A Slack channel, through an incoming webhook.

    :param webhook: the Secret key holding the webhook URL (``https://hooks.slack.com/services/...``).
    :param channel: Default: None (the webhook's own channel). '#alerts' or '@someone'.
    """

    webhook: SecretRef
    channel: str | None = None
    prop_example: ClassVar[str] = "Slack(webhook=SecretRef('alerting', 'slack-webhook'), channel='#alerts')"

    def integration(self, path: str, prop: str) -> spec.Integration:
        check_fields(path, prop, self)
        self.webhook.validate(path, f"{prop}.webhook")
        fields: tuple[tuple[str, str], ...] = ()
        if self.channel is not None:
            if not checks.matches(_SLACK_CHANNEL, self.channel):
                raise ShipformError(path, f"{prop}.channel", "must be a Slack channel ('#' and at most 80 of "
                                    "lowercase letters, digits, '.', '_' and '-') or '@user'", self.channel,
                                    "write e.g. '#shop-alerts'")
            fields = (("channel", self.channel),)
        return spec.Integration("slack", fields, (("apiURL", self.webhook),))


@value_object
@dataclass(frozen=True)
class PagerDuty:
    """A PagerDuty service, through its Events API v2 integration.

    :param routing_key: the Secret key holding the integration's routing key.
    """

    routing_key: SecretRef
    prop_example: ClassVar[str] = "PagerDuty(routing_key=SecretRef('alerting', 'pagerduty-key'))"

    def integration(self, path: str, prop: str) -> spec.Integration:
        check_fields(path, prop, self)
        self.routing_key.validate(path, f"{prop}.routing_key")
        return spec.Integration("pagerduty", (), (("routingKey", self.routing_key),))


@value_object
@dataclass(frozen=True)
class Email:
    """E-mail through an SMTP server (STARTTLS required, as Alertmanager's default is).

    :param to: the recipient, e.g. 'oncall@example.com'.
    :param sender: the From address, e.g. 'alertmanager@example.com'.
    :param smarthost: the SMTP server as '<host>:<port>', e.g. 'smtp.example.com:587'.
    :param username: Default: None (no authentication). The SMTP user name.
    :param password: Default: None. With ``username``: the Secret key holding its password.
    """

    to: str
    sender: str
    smarthost: str
    username: str | None = None
    password: SecretRef | None = None
    prop_example: ClassVar[str] = ("Email(to='oncall@example.com', sender='alertmanager@example.com', "
                                   "smarthost='smtp.example.com:587')")

    def integration(self, path: str, prop: str) -> spec.Integration:
        check_fields(path, prop, self)
        for field in ("to", "sender"):
            if not checks.matches(_EMAIL, getattr(self, field)):
                raise ShipformError(path, f"{prop}.{field}", "must be one e-mail address", getattr(self, field),
                                    "write e.g. 'oncall@example.com'")
        found = checks.exact(_SMARTHOST, self.smarthost)
        if found is None or not 0 < int(found["port"]) < 65536:
            raise ShipformError(path, f"{prop}.smarthost", "must be '<host>:<port>' of an SMTP server",
                                self.smarthost, "write e.g. 'smtp.example.com:587'")
        if (self.username is None) != (self.password is None):
            raise ShipformError(path, f"{prop}.password", "must be given exactly when username is (SMTP "
                                "authentication needs both)", self.password,
                                "pass username='alertmanager' with password=SecretRef('alerting', 'smtp-password'), "
                                "or neither")
        fields = [("to", self.to), ("from", self.sender), ("smarthost", self.smarthost)]
        secrets: tuple[tuple[str, SecretRef], ...] = ()
        if self.username is not None and self.password is not None:
            if not checks.matches(r"[^\s]{1,256}", self.username):
                raise ShipformError(path, f"{prop}.username", "must be a user name without spaces", self.username,
                                    "write e.g. 'alertmanager'")
            self.password.validate(path, f"{prop}.password")
            fields.append(("authUsername", self.username))
            secrets = (("authPassword", self.password),)
        return spec.Integration("email", tuple(fields), secrets)


@value_object
@dataclass(frozen=True)
class Webhook:
    """Any HTTP endpoint that takes Alertmanager's webhook payload (a chat bridge, an incident tool).

    :param url: the endpoint: an http(s) URL without credentials, or the Secret key holding a URL that has some
        (a token in its path or query).
    """

    url: str | SecretRef
    prop_example: ClassVar[str] = "Webhook(url=SecretRef('alerting', 'webhook-url'))"

    def integration(self, path: str, prop: str) -> spec.Integration:
        check_fields(path, prop, self)
        if isinstance(self.url, SecretRef):
            self.url.validate(path, f"{prop}.url")
            return spec.Integration("webhook", (), (("urlSecret", self.url),))
        fix = "put the URL in a Secret and pass url=SecretRef('alerting', 'webhook-url')"
        checks.url_credentials(path, f"{prop}.url", self.url, fix)
        if not checks.matches(_URL, self.url):
            raise ShipformError(path, f"{prop}.url", "must be an http(s) URL", self.url,
                                "write e.g. 'https://alerts.example.com/hook'")
        return spec.Integration("webhook", (("url", self.url),), ())


Receiver = Slack | PagerDuty | Email | Webhook


@value_object
@dataclass(frozen=True)
class Receivers:
    """Who Alertmanager tells, by the alert's ``severity`` label: an AlertmanagerConfig in each namespace of the
    Environment's workloads, grouping alerts by alert name and namespace. Its Secrets are read in that namespace
    (synced by the Environment's secret store where it has one).

    :param critical: who is paged (critical alerts: crash loops, a service burning its error budget fast).
    :param warning: who is told otherwise (chat, mail, tickets): warnings and alerts of any other severity.
    """

    critical: Sequence[Receiver]
    warning: Sequence[Receiver]
    prop_example: ClassVar[str] = ("Receivers(critical=[PagerDuty(routing_key=SecretRef('alerting', 'pagerduty-key'))]"
                                   ", warning=[Slack(webhook=SecretRef('alerting', 'slack-webhook'))])")

    def to_spec(self, path: str) -> spec.Receivers:
        check_fields(path, "monitoring.receivers", self)
        found: dict[str, tuple[spec.Integration, ...]] = {}
        for severity in ("critical", "warning"):
            listed = getattr(self, severity)
            prop = f"monitoring.receivers.{severity}"
            if isinstance(listed, str | bytes) or not isinstance(listed, Sequence) or not listed:
                raise ShipformError(path, prop, "must list at least one receiver: an alert nobody receives is "
                                    "never acted on", listed, "pass e.g. [Slack(webhook=SecretRef('alerting', "
                                    "'slack-webhook'))]")
            found[severity] = tuple(_integration(path, f"{prop}[{i}]", r) for i, r in enumerate(listed))
        return spec.Receivers(found["critical"], found["warning"])


def _integration(path: str, prop: str, receiver: object) -> spec.Integration:
    if not isinstance(receiver, Slack | PagerDuty | Email | Webhook):
        raise ShipformError(path, prop, "must be a Slack, PagerDuty, Email or Webhook", receiver,
                            "write e.g. Slack(webhook=SecretRef('alerting', 'slack-webhook'))")
    return receiver.integration(path, prop)
