"""The hardened pod every workload runs in: Pod Security 'restricted', probes from the one health
spec, resources, read-only root with emptyDirs, secrets as files and graceful shutdown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shipform.values import SecretRef

if TYPE_CHECKING:
    from shipform.health import Health
    from shipform.workload import Workload

PRE_STOP_SECONDS = 5
"""Time for endpoints and load balancers to stop sending traffic before SIGTERM arrives."""
SECRETS_VOLUME = "secrets"


def container_security(w: Workload) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": w.read_only_root_filesystem,
        "runAsGroup": w.run_as_group,
        "runAsNonRoot": True,
        "runAsUser": w.run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def probe_action(health: Health, port_name: str | None) -> dict[str, Any]:
    if health.kind == "http":
        return {"httpGet": {"path": health.path, "port": port_name}}
    if health.kind == "tcp":
        return {"tcpSocket": {"port": port_name}}
    return {"exec": {"command": list(health.command)}}


def probes(health: Health | None, port_name: str | None) -> dict[str, Any]:
    if health is None:
        return {}
    action = probe_action(health, port_name)
    timing = {"periodSeconds": health.period_seconds, "timeoutSeconds": health.timeout_seconds}
    result = {"startupProbe": {**action, "periodSeconds": 5, "timeoutSeconds": health.timeout_seconds,
                               "failureThreshold": health.startup_failures()}}
    # Readiness gates traffic and, with maxUnavailable 0, also rollouts: a new pod must be healthy
    # before an old one goes, which matters for workers too.
    result["readinessProbe"] = {**action, **timing, "failureThreshold": health.failure_threshold}
    result["livenessProbe"] = {**action, **timing, "failureThreshold": health.failure_threshold}
    return result


def volume_name(path: str) -> str:
    return "tmp" if path == "/tmp" else "rw" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()


def container(w: Workload, ports: list[dict[str, Any]], batch: bool = False,
              command: list[str] | None = None) -> dict[str, Any]:
    env = [env_entry(k, v) for k, v in w.all_env("k8s").items()]
    mounts = [{"name": volume_name(p), "mountPath": p} for p in w.writable_paths]
    if w.all_secrets():
        mounts.append({"name": SECRETS_VOLUME, "mountPath": "/run/secrets", "readOnly": True})
    mounts.extend(w.extra_volumes()[1])
    spec: dict[str, Any] = {"name": w.name, "image": w.image, "imagePullPolicy": "Always"}
    args = command or w.command
    if args:
        # args, not command: the image's ENTRYPOINT (tini) stays PID 1.
        spec["args"] = list(args)
    if ports:
        spec["ports"] = ports
    if env:
        spec["env"] = env
    spec["resources"] = {
        "requests": {"cpu": w.resources.cpu, "memory": w.resources.memory},
        "limits": {"cpu": w.resources.cpu_limit, "memory": w.resources.memory_limit},
    }
    if not batch:
        spec.update(probes(w.health, ports[0]["name"] if ports else None))
        spec["lifecycle"] = {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}}
    spec["securityContext"] = container_security(w)
    if mounts:
        spec["volumeMounts"] = mounts
    return spec


def env_entry(name: str, value: str | SecretRef) -> dict[str, Any]:
    if isinstance(value, SecretRef):
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": value.name, "key": value.key}}}
    return {"name": name, "value": value}


def volumes(w: Workload) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = [{"name": volume_name(p), "emptyDir": {"sizeLimit": "64Mi"}}
                                    for p in w.writable_paths]
    secrets = w.all_secrets()
    if secrets:
        by_secret: dict[str, list[str]] = {}
        for ref in secrets.values():
            by_secret.setdefault(ref.name, []).append(ref.key)
        sources = [{"secret": {"name": name, "items": [{"key": k, "path": f"{name}.{k}"} for k in sorted(set(keys))]}}
                   for name, keys in sorted(by_secret.items())]
        result.append({"name": SECRETS_VOLUME, "projected": {"sources": sources, "defaultMode": 0o440}})
    result.extend(w.extra_volumes()[0])
    return result


def topology_spread(w: Workload) -> list[dict[str, Any]]:
    return [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": w.selector}}
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def pod_template(w: Workload, ports: list[dict[str, Any]], batch: bool = False,
                 init_containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The pod of a Deployment, or with ``batch`` of a Job: no probes, no preStop, never restarted in place."""
    grace = w.termination_grace_period_seconds + (0 if batch else PRE_STOP_SECONDS)
    spec: dict[str, Any] = {
        "serviceAccountName": w.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "fsGroup": w.run_as_group,
            "runAsGroup": w.run_as_group,
            "runAsNonRoot": True,
            "runAsUser": w.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": grace,
    }
    if batch:
        spec["restartPolicy"] = "Never"
    else:
        spec["topologySpreadConstraints"] = topology_spread(w)
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = [container(w, ports, batch)]
    vols = volumes(w)
    if vols:
        spec["volumes"] = vols
    return {"metadata": {"labels": w.labels}, "spec": spec}
