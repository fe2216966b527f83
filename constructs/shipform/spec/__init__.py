"""The typed intermediate form every output agrees on.

Each construct of the model produces its part once per synth; every renderer is a pure function of it.
Nothing here knows YAML, compose or Dockerfiles, and nothing here knows the constructs.
"""

from shipform.spec.app import App, Environment, GitOps, GitSource, SecretSource
from shipform.spec.namespace import Guards, LimitsSpec, Namespace, QuotaSpec, Subject
from shipform.spec.workload import (
    BOTH,
    AcceptedRisk,
    BuiltImage,
    Claim,
    ClaimTemplate,
    ConnectionUrl,
    Container,
    Continuous,
    EgressToInternet,
    Endpoint,
    EnvValue,
    EnvVar,
    Exposure,
    FromSecret,
    ImageBuild,
    Plain,
    Platform,
    Port,
    Run,
    Scheduled,
    Scratch,
    SecretFile,
    ServiceHost,
    ToCompletion,
    Volume,
    Workload,
    scratch_volume_name,
    selector,
)

__all__ = [
    "BOTH", "AcceptedRisk", "App", "BuiltImage", "Claim", "ClaimTemplate", "ConnectionUrl", "Container",
    "Continuous", "EgressToInternet", "Endpoint", "EnvValue", "EnvVar", "Environment", "Exposure",
    "FromSecret", "GitOps", "GitSource", "Guards", "ImageBuild", "LimitsSpec", "Namespace", "Plain",
    "Platform", "Port", "QuotaSpec", "Run", "Scheduled", "Scratch", "SecretFile", "SecretSource",
    "ServiceHost", "Subject", "ToCompletion", "Volume", "Workload", "scratch_volume_name", "selector",
]
