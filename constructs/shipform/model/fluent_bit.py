"""Fluent Bit's configuration for a LogShipper (classic format): container logs tailed read-only from the node,
pod metadata from the API server, and one output to the declared destination."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.values.secret_ref import SecretRef

IMAGE = "cr.fluentbit.io/fluent/fluent-bit:4.0.3"
"""An exact release tag; the lock pins its digest as for any image of a third party."""
CONFIG_PATH = "/fluent-bit/etc/fluent-bit.conf"
STATE = "/fluent-bit/state"
"""The tail input's position database: an emptyDir (a new pod re-reads the node's files from their end)."""
TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount"
LOG_FOLDERS = ("/var/log/containers", "/var/log/pods")
"""What the tail input reads (the symlinks and the files they lead to, at the same paths), read-only."""


@dataclass(frozen=True)
class Output:
    """One [OUTPUT] section: its plugin and settings; ``secrets`` are read from env vars of those names."""

    plugin: str
    settings: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, SecretRef], ...] = ()


def section(name: str, settings: tuple[tuple[str, str], ...]) -> str:
    width = max(len(k) for k, _ in settings)
    return f"[{name}]\n" + "".join(f"    {k.ljust(width)} {v}\n" for k, v in settings)


def config(output: Output, json: bool) -> str:
    """The whole configuration. ``json``: the kubernetes filter merges a log line that is a JSON object into the
    record (``Merge_Log``), keeping the original line only when it is not JSON."""
    service = (("Flush", "1"), ("Log_Level", "info"), ("Daemon", "Off"), ("HTTP_Server", "Off"))
    tail = (("Name", "tail"), ("Tag", "kube.*"), ("Path", f"{LOG_FOLDERS[0]}/*.log"),
            ("multiline.parser", "cri, docker"), ("DB", f"{STATE}/tail.db"), ("DB.locking", "true"),
            ("Mem_Buf_Limit", "32MB"), ("Skip_Long_Lines", "On"), ("Refresh_Interval", "10"))
    kubernetes = (("Name", "kubernetes"), ("Match", "kube.*"), ("Kube_URL", "https://kubernetes.default.svc:443"),
                  ("Kube_CA_File", f"{TOKEN}/ca.crt"), ("Kube_Token_File", f"{TOKEN}/token"),
                  ("Kube_Tag_Prefix", "kube.var.log.containers."), ("Merge_Log", "On" if json else "Off"),
                  ("Keep_Log", "Off"), ("K8S-Logging.Parser", "Off"), ("K8S-Logging.Exclude", "Off"),
                  ("Labels", "On"), ("Annotations", "Off"))
    out = (("Name", output.plugin), ("Match", "kube.*"), *output.settings)
    return "\n".join(section(n, s) for n, s in (("SERVICE", service), ("INPUT", tail), ("FILTER", kubernetes),
                                                   ("OUTPUT", out)))
