"""Where an Environment's GitOps controller applies it: a cluster by name or by API server URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.providers.gitops.protocol import GitOpsProvider
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class Destination:
    """``Environment(..., destination=Destination(name="prod"))``: the cluster the Environment's GitOps controller
    applies it to, exactly one of the two.

    :param name: the cluster's name: as registered in Argo CD (``argocd cluster add``); with Flux, the cluster whose
        own Flux applies the Environment (its objects go to ``gitops/flux/<name>/``, to apply in that cluster).
    :param server: the cluster's API server URL, as registered in Argo CD (Argo CD only).
    """

    name: str | None = None
    server: str | None = None
    prop_example: ClassVar[str] = "Destination(name='prod')"

    def to_spec(self, path: str, provider: GitOpsProvider) -> spec.Destination:
        check_fields(path, "destination", self)
        if (self.name is None) == (self.server is None):
            raise ShipformError(path, "destination", "must name exactly one of name (the cluster's name) or server "
                                "(its API server URL)", self, "write Destination(name='prod') or "
                                "Destination(server='https://prod.example.com:6443')")
        form = "name" if self.name is not None else "server"
        if form not in provider.destinations:
            raise ShipformError(path, f"destination.{form}", f"cannot be used with gitops='{provider.name}': "
                                f"{provider.destination_note}", self.name or self.server, provider.destination_fix)
        if self.name is not None and not checks.is_dns_subdomain(self.name):
            raise ShipformError(path, "destination.name", "must be a cluster name of lowercase letters, digits, '-' "
                                "and '.' (at most 253)", self.name, "write e.g. Destination(name='prod')")
        if self.server is not None:
            # Credentials first: the refusal of a malformed URL shows it.
            checks.url_credentials(path, "destination.server", self.server, "keep credentials out of the URL: "
                                   "Argo CD logs in to a cluster with the Secret `argocd cluster add` creates")
            if not checks.matches(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", self.server):
                raise ShipformError(path, "destination.server", "must be an https:// API server URL", self.server,
                                    "write e.g. Destination(server='https://prod.example.com:6443')")
        return spec.Destination(self.name, self.server)


def destination_of(path: str, value: Destination | None, provider: GitOpsProvider) -> spec.Destination:
    """The Environment's destination; None is the cluster the controller runs in."""
    if value is None:
        return spec.Destination()
    if not isinstance(value, Destination):
        raise ShipformError(path, "destination", "must be a Destination", value,
                            "write e.g. destination=Destination(name='prod')")
    return value.to_spec(path, provider)
