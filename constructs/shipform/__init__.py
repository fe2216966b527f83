"""shipform: describe a system once in Python; synthesize Dockerfiles, compose, Kubernetes YAML and CI.

The public names load lazily: importing cdk8s starts Node, which `shipform --help` must not do. App and
Environment come with the synth pipeline, which their ``synth()`` and ``to_json()`` run (see shipform.synth).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shipform._node import configure_node
from shipform._version import __version__

configure_node()

_EXPORTS = {
    "App": "shipform.model.stage",
    "Environment": "shipform.model.stage",
    "EnvironmentProps": "shipform.model.stage",
    "collect_apps": "shipform.model.collecting",
    "Autoscale": "shipform.values.resources",
    "Resources": "shipform.values.resources",
    "CustomMetric": "shipform.values.resources",
    "Rolling": "shipform.values.rollout",
    "Canary": "shipform.values.rollout",
    "BlueGreen": "shipform.values.rollout",
    "Analysis": "shipform.values.rollout",
    "RoutedCanary": "shipform.values.rollout",
    "SecretRef": "shipform.values.secret_ref",
    "Health": "shipform.values.health",
    "InvalidApp": "shipform.errors",
    "ShipformError": "shipform.errors",
    "ShipformErrors": "shipform.errors",
    "Build": "shipform.model.build",
    "External": "shipform.model.external",
    "Cluster": "shipform.model.cluster",
    "DataStorage": "shipform.model.data_storage",
    "AwsRole": "shipform.model.identity",
    "Destination": "shipform.model.destination",
    "WebService": "shipform.model.web_service",
    "WebServiceProps": "shipform.model.web_service",
    "Worker": "shipform.model.worker",
    "WorkerProps": "shipform.model.worker",
    "Queue": "shipform.model.queue_scaling",
    "Keda": "shipform.model.keda",
    "Mesh": "shipform.model.mesh",
    "Issuer": "shipform.model.database_tls",
    "KnativeServing": "shipform.model.knative",
    "Serverless": "shipform.model.knative",
    "Broker": "shipform.model.broker",
    "BrokerProps": "shipform.model.broker",
    "On": "shipform.model.subscriptions",
    "PingSource": "shipform.model.event_sources",
    "PingSourceProps": "shipform.model.event_sources",
    "KafkaSource": "shipform.model.event_sources",
    "KafkaSourceProps": "shipform.model.event_sources",
    "KafkaSasl": "shipform.model.event_sources",
    "Job": "shipform.model.job",
    "CronJob": "shipform.model.cron_job",
    "Migration": "shipform.model.migration",
    "Metrics": "shipform.model.observability",
    "Alerts": "shipform.model.observability",
    "Monitoring": "shipform.model.observability",
    "Telemetry": "shipform.model.observability",
    "Receivers": "shipform.model.alerting",
    "Slack": "shipform.model.alerting",
    "PagerDuty": "shipform.model.alerting",
    "Email": "shipform.model.alerting",
    "Webhook": "shipform.model.alerting",
    "Slo": "shipform.model.slo",
    "Latency": "shipform.model.slo",
    "NodeAgent": "shipform.model.node_agent",
    "LogShipper": "shipform.model.log_shipper",
    "ApiServer": "shipform.model.log_shipper",
    "LogShipperProps": "shipform.model.log_shipper",
    "Loki": "shipform.model.log_destinations",
    "Elasticsearch": "shipform.model.log_destinations",
    "Otlp": "shipform.model.log_destinations",
    "Toleration": "shipform.values.node",
    "HostPath": "shipform.values.node",
    "SecureNamespace": "shipform.model.secure_namespace",
    "Quota": "shipform.model.namespace_props",
    "Subject": "shipform.model.namespace_props",
    "StatefulDB": "shipform.model.stateful_db",
    "Backup": "shipform.model.backup",
    "Drill": "shipform.model.drill",
    "Ha": "shipform.model.ha",
    "Recovery": "shipform.model.ha",
    "S3Target": "shipform.model.object_store",
    "SecretStore": "shipform.model.secret_store",
    "PullSecret": "shipform.model.secret_store",
    "Volume": "shipform.values.volume",
    "Scratch": "shipform.values.volume",
    "LongRunningProps": "shipform.model.long_running",
    "StatefulDBProps": "shipform.model.stateful_db",
    "CronJobProps": "shipform.model.cron_job",
    "JobProps": "shipform.model.job",
    "NodeAgentProps": "shipform.model.node_agent",
    "ExternalProps": "shipform.model.external",
    "SecureNamespaceProps": "shipform.model.secure_namespace",
}

__all__ = [
    "Alerts",
    "Analysis",
    "ApiServer",
    "App",
    "Autoscale",
    "AwsRole",
    "Backup",
    "BlueGreen",
    "Broker",
    "BrokerProps",
    "Build",
    "Canary",
    "Cluster",
    "CronJob",
    "CronJobProps",
    "CustomMetric",
    "DataStorage",
    "Destination",
    "Drill",
    "Elasticsearch",
    "Email",
    "Environment",
    "EnvironmentProps",
    "External",
    "ExternalProps",
    "Ha",
    "Health",
    "HostPath",
    "InvalidApp",
    "Issuer",
    "Job",
    "JobProps",
    "KafkaSasl",
    "KafkaSource",
    "KafkaSourceProps",
    "Keda",
    "KnativeServing",
    "Latency",
    "LogShipper",
    "LogShipperProps",
    "Loki",
    "LongRunningProps",
    "Mesh",
    "Metrics",
    "Migration",
    "Monitoring",
    "NodeAgent",
    "NodeAgentProps",
    "On",
    "Otlp",
    "PagerDuty",
    "PingSource",
    "PingSourceProps",
    "PullSecret",
    "Queue",
    "Quota",
    "Receivers",
    "Recovery",
    "Resources",
    "Rolling",
    "RoutedCanary",
    "S3Target",
    "Scratch",
    "SecretRef",
    "SecretStore",
    "SecureNamespace",
    "SecureNamespaceProps",
    "Serverless",
    "ShipformError",
    "ShipformErrors",
    "Slack",
    "Slo",
    "StatefulDB",
    "StatefulDBProps",
    "Subject",
    "Telemetry",
    "Toleration",
    "Volume",
    "WebService",
    "WebServiceProps",
    "Webhook",
    "Worker",
    "WorkerProps",
    "__version__",
    "collect_apps",
]

if TYPE_CHECKING:
    from shipform.errors import InvalidApp, ShipformError, ShipformErrors
    from shipform.model.alerting import Email, PagerDuty, Receivers, Slack, Webhook
    from shipform.model.backup import Backup
    from shipform.model.broker import Broker, BrokerProps
    from shipform.model.build import Build
    from shipform.model.cluster import Cluster
    from shipform.model.collecting import collect_apps
    from shipform.model.cron_job import CronJob, CronJobProps
    from shipform.model.data_storage import DataStorage
    from shipform.model.database_tls import Issuer
    from shipform.model.destination import Destination
    from shipform.model.drill import Drill
    from shipform.model.event_sources import KafkaSasl, KafkaSource, KafkaSourceProps, PingSource, PingSourceProps
    from shipform.model.external import External, ExternalProps
    from shipform.model.ha import Ha, Recovery
    from shipform.model.identity import AwsRole
    from shipform.model.job import Job, JobProps
    from shipform.model.keda import Keda
    from shipform.model.knative import KnativeServing, Serverless
    from shipform.model.log_destinations import Elasticsearch, Loki, Otlp
    from shipform.model.log_shipper import ApiServer, LogShipper, LogShipperProps
    from shipform.model.long_running import LongRunningProps
    from shipform.model.mesh import Mesh
    from shipform.model.migration import Migration
    from shipform.model.namespace_props import Quota, Subject
    from shipform.model.node_agent import NodeAgent, NodeAgentProps
    from shipform.model.object_store import S3Target
    from shipform.model.observability import Alerts, Metrics, Monitoring, Telemetry
    from shipform.model.queue_scaling import Queue
    from shipform.model.secret_store import PullSecret, SecretStore
    from shipform.model.secure_namespace import SecureNamespace, SecureNamespaceProps
    from shipform.model.slo import Latency, Slo
    from shipform.model.stage import App, Environment, EnvironmentProps
    from shipform.model.stateful_db import StatefulDB, StatefulDBProps
    from shipform.model.subscriptions import On
    from shipform.model.web_service import WebService, WebServiceProps
    from shipform.model.worker import Worker, WorkerProps
    from shipform.values.health import Health
    from shipform.values.node import HostPath, Toleration
    from shipform.values.resources import Autoscale, CustomMetric, Resources
    from shipform.values.rollout import Analysis, BlueGreen, Canary, Rolling, RoutedCanary
    from shipform.values.secret_ref import SecretRef
    from shipform.values.volume import Scratch, Volume


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shipform' has no attribute {name!r}")
    if name in ("App", "Environment"):
        importlib.import_module("shipform.synth")  # installs what App.synth() and Environment.to_json() run
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
