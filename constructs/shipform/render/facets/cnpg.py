"""A highly available Postgres (the DatabaseCluster facet): CloudNativePG's Cluster and, with a Backup, its
ScheduledBackup; its NetworkPolicy admits, besides the clients, the operator on the instance manager's port, the
cluster's own pods (streaming replication, the join Jobs) and Prometheus on the metrics port, and lets the pods reach
each other, the API server and the bucket (the InternetEgress facet)."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render import monitoring, pod
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import pods_in, tcp_numbers
from shipform.spec.cluster import CLUSTER_LABEL, INSTANCE_PORT, METRICS_PORT
from shipform.spec.plan import ObjectKey, Planned

API = spec.CLUSTER_API
TOPOLOGY_KEY = "kubernetes.io/hostname"
"""Anti-affinity by node: no two instances on one node."""
INSTANCE_ROLE = ("cnpg.io/podRole", "instance")
"""The label CloudNativePG puts on a Cluster's instances (not on its Jobs): only they serve metrics."""


def _absent(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.DatabaseCluster) is not None else f"{w.name} has no ha= (a CloudNativePG Cluster)"


def _backed_up(w: spec.Workload, cilium: bool) -> str | None:
    cluster = w.facet(spec.DatabaseCluster)
    if cluster is None:
        return _absent(w, cilium)
    return None if cluster.backup is not None else f"{w.name} has no backup= (barman's ScheduledBackup)"


def _monitored(w: spec.Workload, cilium: bool) -> str | None:
    cluster = w.facet(spec.DatabaseCluster)
    if cluster is None:
        return _absent(w, cilium)
    return None if cluster.monitoring is not None else f"{w.name}'s Environment has no monitoring="


def _cluster(w: spec.Workload) -> spec.DatabaseCluster:
    found = w.facet(spec.DatabaseCluster)
    assert found is not None
    return found


def object_store(store: spec.ObjectStore) -> dict[str, Any]:
    """barman's bucket: keys by Secret reference only, or the ServiceAccount's cloud role; WAL and base backups
    compressed and encrypted at rest."""
    credentials: dict[str, Any] = {"inheritFromIAMRole": True}
    if store.access_key_id is not None and store.secret_access_key is not None:
        credentials = {"accessKeyId": {"name": store.access_key_id.name, "key": store.access_key_id.key},
                       "secretAccessKey": {"name": store.secret_access_key.name, "key": store.secret_access_key.key}}
    body: dict[str, Any] = {"destinationPath": store.destination, "serverName": store.server_name,
                            "s3Credentials": credentials,
                            "wal": {"compression": "gzip", "encryption": store.encryption},
                            "data": {"compression": "gzip", "encryption": store.encryption}}
    if store.endpoint:
        body["endpointURL"] = store.endpoint
    return body


def bootstrap(cluster: spec.DatabaseCluster) -> dict[str, Any]:
    """The app's database and its owner, whose password CloudNativePG sets from the Secret the clients read; or the
    same from another cluster's backups, up to a time."""
    owner = {"database": cluster.database, "owner": cluster.owner, "secret": {"name": cluster.owner_secret}}
    if cluster.recovery is None:
        return {"initdb": {**owner, "dataChecksums": True}}
    recovery: dict[str, Any] = {**owner, "source": "origin"}
    if cluster.recovery.target_time is not None:
        recovery["recoveryTarget"] = {"targetTime": cluster.recovery.target_time}
    return {"recovery": recovery}


def cluster_spec(w: spec.Workload, cluster: spec.DatabaseCluster) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instances": cluster.instances,
        "imageName": cluster.image,
        "primaryUpdateStrategy": "unsupervised",
        "enableSuperuserAccess": False,
        "bootstrap": bootstrap(cluster),
        "storage": {"size": str(cluster.storage),
                    **({"storageClass": cluster.storage_class} if cluster.storage_class else {})},
        "resources": pod.resources(w),
        "affinity": {"enablePodAntiAffinity": True, "podAntiAffinityType": cluster.anti_affinity,
                     "topologyKey": TOPOLOGY_KEY},
        "enablePDB": True,
    }
    placement = w.facet(spec.Placement)
    if placement is not None and placement.priority is not None:
        body["priorityClassName"] = placement.priority.name
    if cluster.tls_secret is not None:  # clients verify the server with the same ca.crt as before
        body["certificates"] = {"serverTLSSecret": cluster.tls_secret, "serverCASecret": cluster.tls_secret}
    stores = [s for s in (cluster.backup.store if cluster.backup else None,
                          cluster.recovery.store if cluster.recovery else None) if s is not None]
    if stores:
        body["env"] = [{"name": "AWS_DEFAULT_REGION", "value": stores[0].region}]
    roles = dict(a for s in stores for a in s.role_annotations)
    if roles:
        body["serviceAccountTemplate"] = {"metadata": {"annotations": roles}}
    if cluster.backup is not None:
        body["backup"] = {"barmanObjectStore": object_store(cluster.backup.store),
                          "retentionPolicy": cluster.backup.retention}
    if cluster.recovery is not None:
        body["externalClusters"] = [{"name": "origin", "barmanObjectStore": object_store(cluster.recovery.store)}]
    return body


def _cluster_object(w: spec.Workload) -> list[Planned]:
    cluster = _cluster(w)
    return [Planned(ObjectKey("cluster", API, "Cluster", w.name, w.namespace), w.labels,
                    lambda: {"spec": cluster_spec(w, cluster)})]


def _scheduled_backup(w: spec.Workload) -> list[Planned]:
    """A base backup on the Backup's schedule (and one at once, so a new cluster is recoverable from the start);
    WAL is archived continuously in between."""
    backup = _cluster(w).backup
    assert backup is not None
    return [Planned(ObjectKey("scheduled-backup", API, "ScheduledBackup", w.name, w.namespace), w.labels,
                    lambda: {"spec": {"schedule": backup.schedule, "cluster": {"name": w.name},
                                      "method": "barmanObjectStore", "immediate": True,
                                      "backupOwnerReference": "self"}})]


def _pod_monitor(w: spec.Workload) -> list[Planned]:
    """shipform's own PodMonitor of the instances' exporter, as CloudNativePG's docs write it (the Cluster's
    enablePodMonitor is deprecated, and its PodMonitor carries no labels Prometheus' selector may want)."""
    watcher = _cluster(w).monitoring
    assert watcher is not None
    selector = {CLUSTER_LABEL: w.name, INSTANCE_ROLE[0]: INSTANCE_ROLE[1]}
    return [Planned(ObjectKey("cluster-monitor", monitoring.API, "PodMonitor", w.name, w.namespace),
                    {**w.labels, **dict(watcher.labels)},
                    lambda: {"spec": {"selector": {"matchLabels": selector},
                                      "podMetricsEndpoints": [{"port": "metrics"}]}})]


def _own_pods(w: spec.Workload) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": w.selector}}


def ingress(w: spec.Workload, cluster: spec.DatabaseCluster) -> NetworkRules:
    """The operator on the instance manager's port; the cluster's own pods on Postgres' port (streaming replication,
    a join Job's base backup) and the instance manager's; Prometheus on the metrics port where it runs."""
    rules: NetworkRules = [
        {"from": [pods_in(cluster.operator_namespace, cluster.operator_pods)], "ports": tcp_numbers((INSTANCE_PORT,))},
        {"from": [_own_pods(w)], "ports": tcp_numbers((cluster.port, INSTANCE_PORT))}]
    if cluster.monitoring is not None:
        rules.append({"from": [pods_in(cluster.monitoring.namespace, cluster.monitoring.pods)],
                      "ports": tcp_numbers((METRICS_PORT,))})
    return rules


def egress(w: spec.Workload, cluster: spec.DatabaseCluster) -> NetworkRules:
    """The cluster's own pods (replicas follow the primary), and the API server, where each instance manager watches
    its Cluster and its Secrets."""
    return [{"to": [_own_pods(w)], "ports": tcp_numbers((cluster.port, INSTANCE_PORT))},
            {"to": [{"ipBlock": {"cidr": c}} for c in cluster.api_cidrs], "ports": tcp_numbers((cluster.api_port,))}]


CONTRIBUTION = Contribution(spec.DatabaseCluster,
                            rules=(Rule("cluster", _absent, objects=_cluster_object),
                                   Rule("scheduled-backup", _backed_up, objects=_scheduled_backup),
                                   Rule("cluster-monitor", _monitored, objects=_pod_monitor)),
                            ingress=ingress, egress=egress)
