"""LogShipper: a NodeAgent preset that ships the node's container logs (Fluent Bit, pinned) to Loki,
Elasticsearch/OpenSearch or an OTLP endpoint, with the least host access that needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Required, TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.config import config_spec
from shipform.model.fluent_bit import CONFIG_PATH, IMAGE, LOG_FOLDERS, STATE, config
from shipform.model.log_destinations import LogDestination
from shipform.model.node_agent import NodeAgent, NodeAgentProps
from shipform.values import addresses, checks
from shipform.values.health import Health
from shipform.values.node import HostPath, Toleration
from shipform.values.prop_types import check_props
from shipform.values.resources import Resources
from shipform.values.value_object import value_object

LOG_GROUP = 0
"""The group the node's log files are readable by (containerd and CRI-O write them 0640 root:root): the shipper
runs as its own non-root user with this group added, rather than as root, and can read, not write, them."""
NO_CHECK = ("Fluent Bit's image has no shell or client to run a check in, and the agent serves no port; Kubernetes "
            "restarts it when it exits")


@value_object
@dataclass(frozen=True)
class ApiServer:
    """The cluster's API server as a NetworkPolicy sees it, after the ``kubernetes`` Service's translation.

    :param cidrs: its endpoints' addresses (``kubectl get endpointslices -l kubernetes.io/service-name=kubernetes``),
        e.g. ['10.0.0.10/32'] (required).
    :param port: its endpoints' port (443 on most managed clusters, 6443 on kubeadm's).
    """

    cidrs: Sequence[str]
    port: int = 443


class LogShipperProps(TypedDict, total=False):
    to: Required[LogDestination]
    """Where logs go (required): ``Loki(at=<External>)``, ``Elasticsearch(at=..., index=..., user=...,
    password=SecretRef(...))`` or ``Otlp(at=...)``."""
    api_server: Required[ApiServer]
    """Where the kubernetes filter reads pod metadata (required): ``ApiServer(cidrs=[...], port=6443)``."""
    json: bool
    """Default: True. A log line that is a JSON object becomes the record's fields (the kubernetes filter's
    ``Merge_Log``); False ships every line as the text it is."""
    image: str
    """Default: the pinned Fluent Bit release of :data:`shipform.model.fluent_bit.IMAGE`."""
    name: str
    """Default: the id, or inside a composite construct its path below the namespace (cut to fit with a hash when
    long). The name of every object, and the env var prefix."""
    resources: Resources
    """Default: ``Resources()`` (100m/128Mi requested, 500m/256Mi limit), as for a NodeAgent."""
    tolerations: Sequence[Toleration]
    """Default: [] (nodes without taints only). Taints the shipper tolerates, e.g. [Toleration.everything()] to
    ship the logs of every node."""
    node_selector: Mapping[str, str]
    """Default: {} (every node). Node labels the shipper's nodes must have."""
    priority_class: str | None
    """Default: None. A PriorityClass, e.g. 'system-node-critical'."""
    max_unavailable: int
    """Default: 1. Nodes whose shipper is replaced at once during a rollout."""
    max_nodes: int
    """Default: 20. The most nodes the shipper runs on: the namespace's quota must hold that many pods."""
    accepted_risks: Mapping[str, str]
    """Default: {}. Scanner findings or Pod Security "restricted" rules accepted on purpose, ``{id: reason}``, as
    for a NodeAgent (:class:`NodeAgentProps`)."""


class LogShipper(NodeAgent):
    """Fluent Bit on every node: tails ``/var/log/containers`` (and the files in ``/var/log/pods`` its links lead
    to), both read-only, keeping its read positions in an emptyDir (no writable host folder: a replaced pod
    starts at the files' ends, rather than the node keeping a database for it); adds pod metadata from the API
    server with a ClusterRole of get, list and watch on pods and namespaces; sends to one destination, whose
    credentials come from Secrets only. Its configuration is a ConfigMap; its NetworkPolicy admits nothing in and
    lets out DNS, the API server and the destination alone. It needs a SecureNamespace with ``host_access``, as
    every NodeAgent with host folders. Props: :class:`LogShipperProps`."""

    component = "log-shipper"

    def __init__(self, scope: Construct, id: str, **props: Unpack[LogShipperProps]):
        path = child_path(scope, id)
        check_props(path, props, LogShipperProps)
        to = props["to"]  # check_props refused anything but Loki, Elasticsearch and Otlp
        self.output = to.output(path)
        api = props["api_server"]
        self.api_cidrs = addresses.egress_ranges(path, "api_server.cidrs", api.cidrs, "'10.0.0.10/32'",
                                                 "name the addresses of the API server's endpoints")
        if not self.api_cidrs:
            raise ShipformError(path, "api_server.cidrs", "must name the API server's addresses", [],
                                "write e.g. ApiServer(cidrs=['10.0.0.10/32'], port=6443)")
        self.api_port = checks.port(path, "api_server.port", api.port)
        self.json = props.get("json", True)
        agent: NodeAgentProps = {k: v for k, v in props.items()  # type: ignore[assignment]
                                 if k not in ("to", "api_server", "json")}
        agent["image"] = props.get("image", IMAGE)
        agent["health"] = Health.none(NO_CHECK)
        agent["connects_to"] = [to.at]
        agent["host_paths"] = {folder: HostPath(folder) for folder in LOG_FOLDERS}
        agent["writable_paths"] = ["/tmp", STATE]
        super().__init__(scope, id, **agent)

    def validate(self) -> list[ShipformError]:
        errors = super().validate()
        if self.environment.local:  # compose has no node logs of pods, no API server and no env from Secrets
            errors.append(ShipformError(self.path, "environment", "ships a Kubernetes node's container logs; a local "
                                        "Environment (compose) has none", self.environment.name,
                                        "create the LogShipper only in Environments that deploy to a cluster"))
        return errors

    def generated_files(self) -> tuple[spec.ConfigFile, ...]:
        return (spec.ConfigFile("fluent-bit.conf", CONFIG_PATH, None, config(self.output, self.json)),)

    def config_spec(self) -> spec.Config | None:
        return config_spec(self.name, self.config, self.generated_files(), self.path)

    def env_spec(self, configured: spec.Config | None = None) -> tuple[spec.EnvVar, ...]:
        """Credentials as env vars from their Secrets: Fluent Bit reads them in its configuration as ``${NAME}``
        and has no way to read a password from a file."""
        secret = tuple(spec.EnvVar(name, spec.FromSecret(ref)) for name, ref in self.output.secrets)
        return (*super().env_spec(configured), *secret)

    def own_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        env = [spec.AcceptedRisk("CKV_K8S_35", f"{name}: Fluent Bit reads credentials from env vars only")
               for name, _ in self.output.secrets]
        stated = {r.check for r in self.stated_risks}
        reasons = {"KSV-0036": "the kubernetes filter reads pods and namespaces with a projected token of one hour; "
                               "automountServiceAccountToken stays false",
                   "KSV-0116": "supplementary group 0 reads the node's log files (0640 root:root) without running as "
                               "root; the folders are mounted read-only"}
        return (*super().own_risks(), *env, *(spec.AcceptedRisk(c, r) for c, r in reasons.items() if c not in stated))

    def run_facets(self) -> tuple[spec.Facet, ...]:
        role = f"{self.namespace}-{self.name}"
        return (*super().run_facets(), spec.ApiReader(role, ("namespaces", "pods"), self.api_cidrs, self.api_port))

    def run_spec(self) -> spec.PerNode:
        return replace(super().run_spec(), supplemental_groups=(LOG_GROUP,))
