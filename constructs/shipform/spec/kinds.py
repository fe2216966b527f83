"""What the API server knows about a kind that scoping the output needs: whether its objects are cluster-scoped,
and the resource (API group and plural) RBAC names it by."""

from __future__ import annotations

# The API group and resource of every kind shipform deploys into a namespace (the plural where the API server's
# default rule would give another, and the group each kind is served from).
RESOURCES = {
    "ConfigMap": ("", "configmaps"), "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
    "ServiceAccount": ("", "serviceaccounts"), "Service": ("", "services"),
    "Deployment": ("apps", "deployments"), "StatefulSet": ("apps", "statefulsets"),
    "CronJob": ("batch", "cronjobs"), "Job": ("batch", "jobs"),
    "Ingress": ("networking.k8s.io", "ingresses"), "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
    "ExternalSecret": ("external-secrets.io", "externalsecrets"),
    "CiliumNetworkPolicy": ("cilium.io", "ciliumnetworkpolicies"),
    "HTTPRoute": ("gateway.networking.k8s.io", "httproutes"),
    "DaemonSet": ("apps", "daemonsets"),
    "ServiceMonitor": ("monitoring.coreos.com", "servicemonitors"),
    "PrometheusRule": ("monitoring.coreos.com", "prometheusrules"),
    "PodMonitor": ("monitoring.coreos.com", "podmonitors"),
    "VerticalPodAutoscaler": ("autoscaling.k8s.io", "verticalpodautoscalers"),
    "Rollout": ("argoproj.io", "rollouts"),
    "AnalysisTemplate": ("argoproj.io", "analysistemplates"),
    "ScaledObject": ("keda.sh", "scaledobjects"),
    "AuthorizationPolicy": ("security.istio.io", "authorizationpolicies"),
    "PeerAuthentication": ("security.istio.io", "peerauthentications"),
    "VirtualService": ("networking.istio.io", "virtualservices"),
    "DestinationRule": ("networking.istio.io", "destinationrules"),
    "EnvoyFilter": ("networking.istio.io", "envoyfilters"),
    "TriggerAuthentication": ("keda.sh", "triggerauthentications"),
}

CLUSTER_SCOPED = frozenset({
    ("", "Namespace"), ("", "PersistentVolume"), ("", "Node"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"), ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"), ("networking.k8s.io", "IngressClass"),
    ("gateway.networking.k8s.io", "GatewayClass"), ("external-secrets.io", "ClusterSecretStore"),
    ("external-secrets.io", "ClusterExternalSecret"), ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("keda.sh", "ClusterTriggerAuthentication"), ("kyverno.io", "ClusterPolicy"),
    ("policy.sigstore.dev", "ClusterImagePolicy"), ("cert-manager.io", "ClusterIssuer"),
})
"""(API group, kind) of the cluster-scoped kinds of Kubernetes and of the controllers shipform works with. A
kind not listed is namespaced (as every kind of a CRD shipform does not know is taken to be)."""


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ('' for the core group's 'v1')."""
    return api_version.rpartition("/")[0]


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    return (group_of(api_version), kind) in CLUSTER_SCOPED


def resource_of(api_version: str, kind: str) -> tuple[str, str]:
    """(API group, resource) RBAC names a kind by: the table's, else the plural the API server's default rule
    gives (lower case; -s, -es after s, x, ch or sh, -ies for -y)."""
    group = group_of(api_version)
    if kind in RESOURCES and RESOURCES[kind][0] == group:
        return RESOURCES[kind]
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return group, lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return group, lower[:-1] + "ies"
    return group, lower + "s"
