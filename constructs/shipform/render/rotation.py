"""Pods that restart when the data they read at start changes. The kubelet resolves environment variables once,
when a container starts, so a changed ConfigMap or Secret reaches env only through new pods:

- data shipform renders itself (a workload's ConfigMap of ``config=`` and ``files=``): a hash of it on the pod
  template, so a change is a new template and a rollout (the ConfigMap is immutable and its name ends in a hash of
  it too: the new pods read the new one, the old ones keep theirs until they go);
- Secrets whose values shipform never sees (created by ``shipform secrets``, by hand, or synced by an
  ExternalSecret): stakater Reloader's annotation naming those the pods read as env, so where Reloader runs it rolls
  the workload when one changes.

Secrets mounted as files are projected volumes without subPath, which the kubelet refreshes in place (within its
sync period): an app that reads the file when it uses it sees the new value without a restart. The config files
are subPath mounts, which the kubelet never refreshes: they change with the ConfigMap's name and the hash."""

from __future__ import annotations

import hashlib
import json

from shipform import spec

CONFIG_HASH = "shipform.dev/config-hash"
RELOAD = "secret.reloader.stakater.com/reload"
"""Reloader's annotation on a Deployment, StatefulSet, DaemonSet or Argo Rollout (Reloader's --is-Argo-Rollouts):
a comma-separated list of the Secrets whose change rolls it."""


def config_hash(w: spec.Workload) -> dict[str, str]:
    """The SHA-256 of the ConfigMap data the pods read (keys and values, in key order), for long-running pods: a
    Job's or CronJob's run reads the data current when it starts."""
    if w.config is None or not isinstance(w.run, spec.Continuous | spec.PerNode):
        return {}
    data = json.dumps(sorted(w.config.data.items()), ensure_ascii=False, separators=(",", ":"))
    return {CONFIG_HASH: "sha256:" + hashlib.sha256(data.encode()).hexdigest()}


def env_secrets(w: spec.Workload) -> tuple[str, ...]:
    """The Secrets any container of the pod reads as environment variables (secretKeyRef), by name."""
    job = w.job
    steps = job.steps if job is not None else ()
    found = {v.value.ref.name for v in (*w.env_for("kubernetes"), *(e for s in steps for e in s.env))
             if isinstance(v.value, spec.FromSecret)}
    return tuple(sorted(found))


def reload(w: spec.Workload, also: tuple[str, ...] = ()) -> dict[str, str]:
    """Reloader's annotation for the long-running workload's controller: the Secrets its pods read as env, and
    ``also`` (a server's certificate, which it reads when it starts)."""
    if not isinstance(w.run, spec.Continuous | spec.PerNode):
        return {}
    names = sorted({*env_secrets(w), *also})
    return {RELOAD: ",".join(names)} if names else {}
