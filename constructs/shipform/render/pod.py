"""The hardened pod every workload runs in: Pod Security 'restricted', probes from the one health
spec, resources, read-only root with emptyDirs, secrets as files and graceful shutdown."""

from __future__ import annotations

import re
from typing import Any

from shipform import spec
from shipform.render import mesh, rotation, scheduling
from shipform.render.facets.api_reader import TOKEN_PATH, token_volume
from shipform.values.health import Health

PRE_STOP_SECONDS = 5
"""Time for endpoints and load balancers to stop sending traffic before SIGTERM arrives."""
SECRETS_VOLUME = "secrets"
AFTER_SECRETS_VOLUME = "step-secrets"
BEFORE_SECRETS_VOLUME = "first-step-secrets"
API_TOKEN_VOLUME = "api-token"
"""The Secret keys of a pod's second container (a backup's upload credentials), apart from the first's."""
CONFIG_VOLUME = "config-files"


RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
"""The container runtime's own AppArmor and seccomp profiles, which Pod Security "restricted" leaves unset."""


def container_security(w: spec.Workload) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "appArmorProfile": dict(RUNTIME_DEFAULT),
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": w.read_only_root_filesystem,
        "runAsGroup": w.run_as_group,
        "runAsNonRoot": True,
        "runAsUser": w.run_as_user,
        "seccompProfile": dict(RUNTIME_DEFAULT),
    }


def probe_action(health: Health, port: spec.Port | None) -> dict[str, Any]:
    if health.kind == "exec":
        return {"exec": {"command": list(health.command)}}
    assert port is not None, "shipform bug: a port check on a workload without ports"
    if health.kind == "http":
        get: dict[str, Any] = {"path": health.path, "port": port.name}
        if health.host:  # httpGet's own 'host' is the address to connect to; the header is what apps check
            get["httpHeaders"] = [{"name": "Host", "value": health.host}]
        return {"httpGet": get}
    if health.kind == "grpc":  # the gRPC probe takes a port number, not a name
        return {"grpc": {"port": port.number, **({"service": health.service} if health.service else {})}}
    return {"tcpSocket": {"port": port.name}}


def probes(health: Health | None, port: spec.Port | None) -> dict[str, Any]:
    if health is None:
        return {}
    action = probe_action(health, port)
    timing = {"periodSeconds": health.period_seconds, "timeoutSeconds": health.timeout_seconds}
    result = {"startupProbe": {**action, "periodSeconds": 5, "timeoutSeconds": health.timeout_seconds,
                               "failureThreshold": health.startup_failures()}}
    # Readiness gates traffic and, with maxUnavailable 0, also rollouts: a new pod must be healthy
    # before an old one goes, which matters for workers too.
    result["readinessProbe"] = {**action, **timing, "failureThreshold": health.failure_threshold}
    result["livenessProbe"] = {**action, **timing, "failureThreshold": health.failure_threshold}
    return result


def literal(text: str) -> str:
    """``text`` as the kubelet will pass it on: it expands ``$(NAME)`` and turns ``$$`` into ``$`` in
    command, args and env values, so a '$' before '(' or '$' is doubled to stay what the app wrote."""
    return re.sub(r"\$(?=[$(])", "$$", text)


def env_entry(var: spec.EnvVar, namespace: str) -> dict[str, Any]:
    """One env entry of a container in ``namespace`` (host names of other namespaces are qualified)."""
    value = var.value
    if isinstance(value, spec.FromSecret):
        return {"name": var.name, "valueFrom": {"secretKeyRef": {"name": value.ref.name, "key": value.ref.key}}}
    if isinstance(value, spec.FromConfig):
        return {"name": var.name, "valueFrom": {"configMapKeyRef": {"name": value.config_map, "key": value.key}}}
    if isinstance(value, spec.ServiceHost):
        return {"name": var.name, "value": host(value, namespace)}
    if isinstance(value, spec.ConnectionUrl):
        return {"name": var.name, "value": url(value, namespace)}
    if isinstance(value, spec.GrpcTarget):
        return {"name": var.name, "value": f"dns:///{host(value.host, namespace)}:{value.cluster_port or value.port}"}
    if isinstance(value, spec.ServicePort):
        return {"name": var.name, "value": str(value.kubernetes)}
    return {"name": var.name, "value": literal(value.value)}


def host(server: spec.ServiceHost, namespace: str) -> str:
    """A bare name resolves in the client's own namespace only; '<name>.<namespace>' from anywhere."""
    name = server.kubernetes_name or server.name
    return name if server.namespace == namespace else f"{name}.{server.namespace}"


def url(u: spec.ConnectionUrl, namespace: str) -> str:
    """With the password from the dependent variable ``$(password_var)``, which the kubelet expands."""
    credentials = f"{u.user}:$({u.password_var})@" if u.password_var else (f"{u.user}@" if u.user else "")
    server = host(u.host, namespace) if isinstance(u.host, spec.ServiceHost) else u.host
    return f"{u.scheme}://{credentials}{server}:{u.cluster_port or u.port}{u.path}"


def resources(r: spec.Workload) -> dict[str, Any]:
    assert r.resources is not None
    res = r.resources
    disk = str(r.ephemeral_storage)
    return {"requests": {"cpu": str(res.cpu), "memory": str(res.memory), "ephemeral-storage": disk},
            "limits": {"cpu": str(res.cpu_limit), "memory": str(res.memory_limit), "ephemeral-storage": disk}}


def mounts(w: spec.Workload) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = [{"name": spec.scratch_volume_name(p), "mountPath": p} for p in w.writable_paths]
    if w.secret_files:
        result.append({"name": SECRETS_VOLUME, "mountPath": "/run/secrets", "readOnly": True})
    result.extend({"name": v.name, "mountPath": v.mount_path,
                   **({"readOnly": True} if isinstance(v.source, spec.HostFolder | spec.SharedClaim)
                      and v.source.read_only else {})}
                  for v in w.volumes)
    if w.facet(spec.ApiReader) is not None:
        result.append({"name": API_TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": True})
    # One file each (subPath): the folder around it keeps what the image has there. subPath mounts never see
    # a ConfigMap change, which is why the ConfigMap is immutable and renamed by its content instead.
    result.extend({"name": CONFIG_VOLUME, "mountPath": f.mount_path, "subPath": f.key, "readOnly": True}
                  for f in config_files(w))
    return result


def config_files(w: spec.Workload) -> tuple[spec.ConfigFile, ...]:
    return w.config.files if w.config is not None else ()


def container(w: spec.Workload, long_running: bool, command: tuple[str, ...] | None = None,
              name: str | None = None) -> dict[str, Any]:
    """The workload's container; ``long_running`` adds probes and the preStop pause."""
    env = [env_entry(v, w.namespace) for v in w.env_for("kubernetes")]
    result: dict[str, Any] = {"name": name or w.name, "image": w.image, "imagePullPolicy": "Always"}
    args = command or w.command
    if args:
        # args, not command: the image's ENTRYPOINT (tini) stays PID 1.
        result["args"] = [literal(a) for a in args]
    scrape = w.facet(spec.Scrape)
    served = w.ports or ((scrape.port,) if scrape else ())  # a Worker serves its metrics port alone
    if served and long_running:
        result["ports"] = [{"name": p.name, "containerPort": p.number, "protocol": "TCP"} for p in served]
    if env:
        result["env"] = env
    result["resources"] = resources(w)
    if long_running:
        result.update(probes(w.health, w.health_port))
        result["lifecycle"] = {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}}
    result["securityContext"] = container_security(w)
    volume_mounts = mounts(w)
    if volume_mounts:
        result["volumeMounts"] = volume_mounts
    return result


def secrets_volume(name: str, files: tuple[spec.SecretFile, ...]) -> dict[str, Any]:
    """One projected volume of Secret keys, each a read-only file ``<secret>.<key>``."""
    by_secret: dict[str, set[str]] = {}
    for f in files:
        by_secret.setdefault(f.ref.name, set()).add(f.ref.key)
    sources = [{"secret": {"name": secret, "items": [{"key": k, "path": f"{secret}.{k}"} for k in sorted(keys)]}}
               for secret, keys in sorted(by_secret.items())]
    return {"name": name, "projected": {"sources": sources, "defaultMode": 0o440}}


def volumes(w: spec.Workload) -> list[dict[str, Any]]:
    size = str(spec.WRITABLE_PATH_SIZE)
    result: list[dict[str, Any]] = [{"name": spec.scratch_volume_name(p), "emptyDir": {"sizeLimit": size}}
                                    for p in w.writable_paths]
    if w.secret_files:
        result.append(secrets_volume(SECRETS_VOLUME, w.secret_files))
    if config_files(w):
        assert w.config is not None
        items = [{"key": f.key, "path": f.key} for f in w.config.files]
        result.append({"name": CONFIG_VOLUME, "configMap": {"name": w.config.name, "items": items,
                                                            "defaultMode": 0o444}})
    for v in w.volumes:
        if isinstance(v.source, spec.Scratch):
            result.append({"name": v.name, "emptyDir": {"sizeLimit": str(v.source.size)}})
        elif isinstance(v.source, spec.Claim):
            result.append({"name": v.name, "persistentVolumeClaim": {"claimName": v.source.name}})
        elif isinstance(v.source, spec.SharedClaim):
            result.append({"name": v.name, "persistentVolumeClaim": {
                "claimName": v.source.name, **({"readOnly": True} if v.source.read_only else {})}})
        elif isinstance(v.source, spec.HostFolder):
            result.append({"name": v.name, "hostPath": {"path": v.source.path, "type": "Directory"}})
    if w.facet(spec.ApiReader) is not None:
        result.append(token_volume(API_TOKEN_VOLUME))
    return result


def topology_spread(w: spec.Workload) -> list[dict[str, Any]]:
    return [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": w.selector}}
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def pod_template(w: spec.Workload) -> dict[str, Any]:
    """The pod of a Deployment or StatefulSet, or of a Job: no probes, no preStop, never restarted in place."""
    long_running = isinstance(w.run, spec.Continuous | spec.PerNode)
    grace = w.termination_grace_period_seconds + (PRE_STOP_SECONDS if long_running else 0)
    pod: dict[str, Any] = {
        "serviceAccountName": w.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "appArmorProfile": dict(RUNTIME_DEFAULT),
            "fsGroup": w.run_as_group,
            "runAsGroup": w.run_as_group,
            "runAsNonRoot": True,
            "runAsUser": w.run_as_user,
            "seccompProfile": dict(RUNTIME_DEFAULT),
        },
        "terminationGracePeriodSeconds": grace,
    }
    if isinstance(w.run, spec.PerNode):
        per_node(pod, w.run)
    elif long_running:
        pod["topologySpreadConstraints"] = topology_spread(w)
    else:
        pod["restartPolicy"] = "Never"
    scheduling.place(pod, w)
    init = init_containers(w)
    if init:
        pod["initContainers"] = init
    pod["containers"] = [container(w, long_running)]
    vols = volumes(w)
    if vols:
        pod["volumes"] = vols
    job = w.job
    if job is not None and job.after is not None:
        two_steps(pod, job.after, w)
    if job is not None and job.before is not None:
        step_before(pod, job.before, w)
    meta: dict[str, Any] = {"labels": w.labels}
    enrolled = w.facet(spec.Mesh)
    own = {**rotation.config_hash(w), **scheduling.eviction(w, pod.get("volumes", []))}
    if enrolled is not None or own:
        meta["annotations"] = {**(mesh.pod_annotations(enrolled) if enrolled is not None else {}), **own}
    identity = w.facet(spec.CloudIdentity)
    if identity is not None:  # what the cloud's webhook reads on the pod
        meta["labels"] = {**w.labels, **dict(identity.pod_labels)}
        meta["annotations"] = {**meta.get("annotations", {}), **dict(identity.pod_annotations)}
        if not meta["annotations"]:
            del meta["annotations"]
    return {"metadata": meta, "spec": pod}


def per_node(pod: dict[str, Any], run: spec.PerNode) -> None:
    """Where a node agent runs (a DaemonSet places one pod per node itself: no spread constraints)."""
    if run.host_network:
        pod["hostNetwork"] = True
        pod["dnsPolicy"] = "ClusterFirstWithHostNet"  # keeps resolving cluster names from the node's network
    if run.priority_class:
        pod["priorityClassName"] = run.priority_class
    if run.node_selector:
        pod["nodeSelector"] = dict(run.node_selector)
    if run.tolerations:
        pod["tolerations"] = [dict(t) for t in run.tolerations]
    if run.supplemental_groups:
        pod["securityContext"]["supplementalGroups"] = list(run.supplemental_groups)


def two_steps(pod: dict[str, Any], after: spec.Container, w: spec.Workload) -> None:
    """The workload's container becomes an init step; ``after`` runs once it succeeded."""
    first = {**pod["containers"][0], "name": after.first_step}
    pod["initContainers"] = [first]
    pod["containers"] = [_side_container(pod, after, w, first, AFTER_SECRETS_VOLUME)]


def step_before(pod: dict[str, Any], before: spec.Container, w: spec.Workload) -> None:
    """``before`` runs first, as an init container."""
    pod["initContainers"] = [_side_container(pod, before, w, pod["containers"][0], BEFORE_SECRETS_VOLUME),
                             *pod.get("initContainers", [])]


def _side_container(pod: dict[str, Any], side: spec.Container, w: spec.Workload, own: dict[str, Any],
                    secrets_name: str) -> dict[str, Any]:
    """``side`` with the mounts and resources of the workload's container ``own`` except its secrets, and its own
    secrets instead (one credential per container; their volume ``secrets_name`` joins the pod's)."""
    mounts = [m for m in own["volumeMounts"] if m["name"] != SECRETS_VOLUME]
    if side.secret_files:
        mounts.append({"name": secrets_name, "mountPath": "/run/secrets", "readOnly": True})
        pod["volumes"] = [*pod.get("volumes", []), secrets_volume(secrets_name, side.secret_files)]
    return {"name": side.name, "image": side.image, "imagePullPolicy": "Always",
            # command, not args: such images' entrypoint is often the tool itself.
            "command": [literal(a) for a in side.command], "env": [env_entry(v, w.namespace) for v in side.env],
            "resources": own["resources"], "securityContext": container_security(w), "volumeMounts": mounts}


def init_containers(w: spec.Workload) -> list[dict[str, Any]]:
    """A migration every new pod runs first (Flux has no hooks)."""
    if isinstance(w.run, spec.Continuous) and w.run.pre_start:
        return [container(w, long_running=False, command=w.run.pre_start.command, name="migrate")]
    return []
