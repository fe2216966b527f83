"""An Environment's Kubernetes objects as cdk8s sees them: the foreign cdk8s objects of the chart, the
manifests it includes, then shipform's objects rendered from the spec by its plan, with the constructs'
annotations, labels and JSON patches applied and their pods checked against Pod Security "restricted"; then the
order of a first sync, by the GitOps provider."""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

from shipform import spec
from shipform.errors import raise_all
from shipform.model.base import namespace_of
from shipform.model.stage import Environment
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import Placed
from shipform.render.environment import completed, rendered_objects
from shipform.render.plan import EnvironmentPlan, environment_plan, phase, phase_of
from shipform.spec.manifest import Manifest
from shipform.synth.handles import apply_handles, handle_errors, resolve_handles
from shipform.synth.host_network import host_network_errors
from shipform.synth.pod_security import pod_security_errors


def _plain(value: Any) -> Any:
    """jsii hands foreign objects back as mapping proxies; make them plain, dumpable data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# Kinds without a namespace, among those a cdk8s app commonly makes (any kind named Cluster... is one too).
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass",
    "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "GatewayClass", "VolumeSnapshotClass", "CertificateSigningRequest",
}


def _namespaced(manifest: Manifest) -> bool:
    kind = str(manifest.get("kind", ""))
    return kind not in CLUSTER_SCOPED and not kind.startswith("Cluster")


def foreign_manifests(env: Environment) -> list[Manifest]:
    """The chart's cdk8s objects (raw ApiObjects, cdk8s-plus constructs). One that names no namespace lands where a
    shipform construct created in the same place would: the namespace of the SecureNamespace (or workload) it was
    created in, else the Environment's default namespace."""
    manifests = [_plain(m) for m in cdk8s.Chart.to_json(env)]
    missing = [m for m in manifests if _namespaced(m) and not (m.get("metadata") or {}).get("namespace")]
    if not missing:
        return manifests
    where: dict[tuple[str, str], str] = {}
    for construct in env.node.find_all():  # only when needed: one jsii call per construct of the chart
        if isinstance(construct, cdk8s.ApiObject):
            scope = construct.node.scope
            if isinstance(scope, Construct):
                where[(construct.kind, construct.name)] = namespace_of(scope, env)
    for manifest in missing:
        meta = manifest.setdefault("metadata", {})
        namespace = where.get((str(manifest.get("kind")), str(meta.get("name"))), env.default_namespace)
        manifest["metadata"] = {"name": meta.get("name"), "namespace": namespace,
                                **{k: v for k, v in meta.items() if k not in ("name", "namespace")}}
    return manifests


def environment_manifests(env: Environment, env_spec: spec.Environment,
                          plan: EnvironmentPlan | None = None) -> list[Manifest]:
    """The foreign objects of the chart and the included manifests, then shipform's planned objects with the
    constructs' changes applied, all ordered for the Environment's GitOps provider."""
    plan = plan or environment_plan(env_spec)
    theirs = [*foreign_manifests(env), *env.included_manifests()]
    rendered = rendered_objects(env_spec, plan, theirs)
    changed = resolve_handles(env, plan)
    raise_all(handle_errors(env_spec, changed))
    if changed:
        rendered = apply_handles(rendered, changed)
    raise_all(pod_security_errors(rendered, changed) + host_network_errors(rendered))
    rendered = completed(rendered)
    # Objects shipform does not render are applied with the foundations, before the databases, migrations and
    # workloads that may need them (unless they say otherwise).
    placed = [Placed(m, phase_of("foreign"), leads=False) for m in theirs]
    placed += [Placed(r.manifest, phase(r.key, r.owner), leads=r.owner is not None) for r in rendered]
    return GITOPS[env_spec.gitops].order(placed)
