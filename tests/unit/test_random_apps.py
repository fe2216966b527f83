"""Property-based tests: random valid apps (tests/unit/random_apps.py) synthesize, and their output holds the rules
the real systems apply.

1. Kubernetes: every object passes kubernetes-validate's strict schema for 1.33 and the API server's own rules
   (names per kind, labels, annotation keys, containers, volumes and mounts, projected paths, port names,
   int32 fields, list-map keys, Pod Security "restricted"); references between objects resolve; each
   kustomization.yaml lists exactly the object files beside it; everything fits its namespace's ResourceQuota
   at peak and its LimitRange; and every plain YAML scalar reads as the same string in go-yaml (kubectl) as in
   PyYAML.
2. compose: ``docker-compose config`` (every profile on) accepts the file without warnings; every workload of
   the local Environment is a service with its own image or build and command; and docker-compose reads the
   environment and commands exactly as written.
3. Who may talk to whom: the NetworkPolicies of each Environment allow exactly the declared connects_to graph
   (plus DNS, the ingress controller for public services and S3 egress for S3 backups), and compose's networks
   connect exactly the declared pairs (unit/network_graph.py evaluates both).
4. Rendering is deterministic: the same app rendered twice gives identical files.

Every property test draws the same examples (one seed, no database), so each app is built and rendered once and
the tests share the result; docker-compose reads each compose file in the background meanwhile. A ShipformError
for a generated app is a failure: the generator draws valid apps only. Failures print the whole app source; to
shrink it to a smaller app, run with RANDOM_APPS_SHRINK=1 (slow: every step renders an app).

Problems the properties found have a test each with the minimized app in its docstring; those synth now refuses
(66b0fe5) stay as regression tests, the one still open is a strict xfail. They draw apps with a "twist"
(random_apps.TWISTS) that puts the problem into the first Environment of an otherwise random app, so every example
shows it: the output must then hold the property, or synth must refuse the app for exactly that problem.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from kubernetes_validate import utils as kv_utils

from conftest import exec_app, write_sources
from shipform.errors import InvalidApp
from shipform.synth.pipeline import render
from unit import network_graph as ng
from unit.random_apps import app_sources

# 6 apps keep the module under 6 s on two cores; RANDOM_APPS_EXAMPLES and RANDOM_APPS_SEED explore further.
EXAMPLES = int(os.environ.get("RANDOM_APPS_EXAMPLES", "6"))
SEED = int(os.environ.get("RANDOM_APPS_SEED", "20250601"))
K8S_VERSION = "1.33.0"
COMPOSE = Path(sys.executable).with_name("docker-compose")
# CRDs: outside kubernetes-validate's schemas (checked against shipform/validators/crd_schemas below and in
# tests/validators)
CUSTOM_KINDS = {"Certificate", "ExternalSecret", "Rollout", "ScaledObject", "TriggerAuthentication",
                "AuthorizationPolicy",
                "PeerAuthentication", "VirtualService", "DestinationRule", "EnvoyFilter", "Server",
                "MeshTLSAuthentication", "NetworkAuthentication", "HTTPLocalRateLimitPolicy"}
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Shrinking re-renders an app hundreds of times (minutes); failures print the whole app source instead.
PHASES = [Phase.explicit, Phase.generate, *([Phase.shrink] if os.environ.get("RANDOM_APPS_SHRINK") == "1" else [])]


def examples(count: int = EXAMPLES, twist: str | None = None):
    """The same seed for every property test, so they draw the same apps (rendered once, see Workspace)."""
    def decorate(test):
        configured = settings(max_examples=count, database=None, deadline=None, phases=PHASES,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        return seed(SEED)(configured(given(source=app_sources(twist=twist))(test)))
    return decorate


# ---------------------------------------------------------------------------------------------- rendering, cached
@dataclass
class Rendered:
    source: str
    app: Any
    outdir: Path
    files: dict[str, str]
    compose_process: subprocess.Popen | None = None
    compose_result: tuple[int, str, dict | None] | None = None
    _docs: dict[str, list[tuple[str, dict]]] | None = field(default=None, repr=False)

    @property
    def docs(self) -> dict[str, list[tuple[str, dict]]]:
        """{environment: [(file, object)]} of every YAML file under k8s/<env>/ but the kustomizations."""
        if self._docs is None:
            self._docs = {}
            for path, text in self.files.items():
                parts = path.split("/")
                if parts[0] == "k8s" and len(parts) >= 3 and path.endswith(".yaml"):
                    found = self._docs.setdefault(parts[1], [])
                    if parts[-1] != "kustomization.yaml":
                        found += [(path, o) for o in yaml.load_all(text, Loader=Loader) if o is not None]
        return self._docs


class Workspace:
    """Builds each app from its source once (in a folder with the build contexts) and renders it once, each into
    an output folder of its own (apps of one name must not share the folder docker-compose reads)."""

    def __init__(self, folder: Path):
        self.folder = folder
        write_sources(folder)
        self.cache: dict[str, Rendered] = {}

    def rendered(self, source: str) -> Rendered:
        if source not in self.cache:
            app = exec_app(source, self.folder)
            outdir = self.folder / "out" / str(len(self.cache))
            r = Rendered(source, app, outdir, render(app, outdir))
            self.cache[source] = r
            if app.local_environment is not None:
                self._start_compose(r)
        return self.cache[source]

    def _start_compose(self, r: Rendered) -> None:
        """docker-compose reads the compose file (every profile on) in the background."""
        app_dir = r.outdir / r.app.name
        for path, text in r.files.items():
            target = app_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
        r.compose_process = subprocess.Popen(
            [str(COMPOSE), "--profile", "*", "-f", "compose.yaml", "config", "--format", "json"],
            cwd=app_dir / "compose", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    @staticmethod
    def compose(r: Rendered) -> tuple[int, str, dict | None]:
        """(exit code, stderr, the configuration as docker-compose reads it)."""
        if r.compose_result is None:
            assert r.compose_process is not None
            out, err = r.compose_process.communicate(timeout=60)
            r.compose_result = (r.compose_process.returncode, err, json.loads(out) if out.strip() else None)
            r.compose_process = None
        return r.compose_result

    def close(self) -> None:
        for r in self.cache.values():
            if r.compose_process is not None:
                r.compose_process.kill()
                r.compose_process.communicate()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Iterator[Workspace]:
    ws = Workspace(tmp_path_factory.mktemp("random-apps"))
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def schemas() -> Iterator[Schemas]:
    """kubernetes-validate reads two JSON schema files per object; here each is read once."""
    original = kv_utils.schema_contents
    kv_utils.schema_contents = functools.lru_cache(maxsize=None)(original)
    try:
        yield Schemas()
    finally:
        kv_utils.schema_contents = original


def show(source: str) -> str:
    return "\n--- app source ---\n" + source


# ---------------------------------------------------------------------------------------------- 1. Kubernetes
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
IANA_SVC_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*(?<!-)")
INT32 = (-(2**31), 2**31 - 1)
# The API server's name rules where they are stricter than a DNS subdomain of at most 253: (limit, pattern).
# CronJobs add 11 characters to the Jobs they create and StatefulSets a revision hash to a label (so 52); a Job's
# name becomes its pods' job-name label (so 63).
NAME_RULES = {"Service": (63, DNS1035_LABEL), "Namespace": (63, DNS1123_LABEL), "CronJob": (52, DNS1123_SUBDOMAIN),
              "StatefulSet": (52, DNS1123_SUBDOMAIN), "Job": (63, DNS1123_SUBDOMAIN)}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}


def is_name(value: Any, pattern: re.Pattern = DNS1123_LABEL, limit: int = 63) -> bool:
    return isinstance(value, str) and len(value) <= limit and pattern.fullmatch(value) is not None


def qualified_name_problem(key: Any) -> str | None:
    """Label and annotation keys: [prefix/]name, the prefix a DNS subdomain of at most 253, the name at most 63."""
    if not isinstance(key, str):
        return f"key {key!r} is not a string"
    prefix, _, name = key.rpartition("/")
    if prefix and not is_name(prefix, DNS1123_SUBDOMAIN, 253):
        return f"key {key!r}: the prefix is not a DNS subdomain"
    if not is_name(name, QUALIFIED_NAME, 63):
        return f"key {key!r}: the name is not a qualified name of at most 63"
    return None


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def pod_templates(obj: dict) -> list[tuple[str, dict]]:
    spec = obj.get("spec") or {}
    if obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet", "Rollout"):
        return [(".spec.template", spec.get("template") or {})]
    if obj["kind"] == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        return [(".spec.jobTemplate.spec.template", job.get("template") or {})]
    return []


def container_problems(where: str, c: dict, pod_sc: dict, mountable: set[str]) -> list[str]:
    problems = []
    mounts = [m.get("mountPath") for m in c.get("volumeMounts") or []]
    if len(mounts) != len(set(mounts)):
        problems.append(f"{where}: mountPaths repeat: {mounts}")
    problems += [f"{where}: mounts {m.get('name')!r}, which is no volume of the pod"
                 for m in c.get("volumeMounts") or [] if m.get("name") not in mountable]
    ports = c.get("ports") or []
    problems += [f"{where}: port name {p['name']!r} is not an IANA service name of at most 15"
                 for p in ports if "name" in p and not is_name(p["name"], IANA_SVC_NAME, 15)]
    problems += [f"{where}: hostPort (restricted)" for p in ports if p.get("hostPort")]
    names = [p["name"] for p in ports if "name" in p]
    if len(names) != len(set(names)):
        problems.append(f"{where}: port names repeat: {names}")
    sc = c.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    profile = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
    for broken, rule in (
            (sc.get("allowPrivilegeEscalation") is not False, "allowPrivilegeEscalation must be false"),
            ("ALL" not in (caps.get("drop") or []), "capabilities must drop ALL"),
            (bool(set(caps.get("add") or []) - {"NET_BIND_SERVICE"}), "may add NET_BIND_SERVICE only"),
            (bool(sc.get("privileged")), "must not be privileged"),
            (not sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")), "runAsNonRoot must be true"),
            (sc.get("runAsUser", pod_sc.get("runAsUser")) == 0, "must not run as UID 0"),
            (profile not in ("RuntimeDefault", "Localhost"), "seccompProfile must be RuntimeDefault or Localhost")):
        if broken:
            problems.append(f"{where}: {rule} (Pod Security restricted)")
    return problems


def pod_problems(obj: dict) -> list[str]:
    """What the API server and Pod Security Admission at 'restricted' refuse in a pod template."""
    problems = []
    spec = obj.get("spec") or {}
    claim_templates = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []}
    for where, template in pod_templates(obj):
        pod = template.get("spec") or {}
        containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
        if not pod.get("containers"):
            problems.append(f"{where}: no containers")
        names = [c.get("name") for c in containers]
        problems += [f"{where}: container name {n!r} is not a DNS label" for n in names if not is_name(n)]
        if len(names) != len(set(names)):
            problems.append(f"{where}: container names repeat: {names}")
        volumes = [v.get("name") for v in pod.get("volumes") or []]
        problems += [f"{where}: volume name {n!r} is not a DNS label" for n in volumes if not is_name(n)]
        if len(volumes) != len(set(volumes)):
            problems.append(f"{where}: volume names repeat: {volumes}")
        for v in pod.get("volumes") or []:
            if not set(v) - {"name"} <= RESTRICTED_VOLUMES:
                problems.append(f"{where}: volume {v.get('name')!r} has a type restricted refuses")
            paths = [i["path"] for s in (v.get("projected") or {}).get("sources") or []
                     for i in (s.get("secret") or s.get("configMap") or {}).get("items") or []]
            if len(paths) != len(set(paths)):
                problems.append(f"{where}: projected volume {v.get('name')!r} has conflicting duplicate paths {paths}")
        problems += [f"{where}: {attr} (Pod Security restricted)" for attr in ("hostNetwork", "hostPID", "hostIPC")
                     if pod.get(attr)]
        for c in containers:
            problems += container_problems(f"{where} container {c.get('name')!r}", c, pod.get("securityContext") or {},
                                           set(volumes) | claim_templates)
        selector = (spec.get("selector") or {}).get("matchLabels")
        labels = (template.get("metadata") or {}).get("labels") or {}
        if obj["kind"] in ("Deployment", "StatefulSet") and (
                not selector or any(labels.get(k) != v for k, v in selector.items())):
            problems.append(f"{where}: spec.selector {selector} does not match the template's labels {labels}")
    return problems


def object_problems(obj: dict) -> list[str]:
    """The API server's rules for one object: its name and namespace, labels, annotation keys and pods."""
    problems = []
    meta = obj.get("metadata") or {}
    name, kind = meta.get("name"), obj.get("kind")
    if not is_name(name, DNS1123_SUBDOMAIN, 253):
        problems.append(f"metadata.name {name!r} is not a DNS subdomain of at most 253")
    if kind in NAME_RULES:
        limit, pattern = NAME_RULES[kind]
        if not is_name(name, pattern, limit):
            problems.append(f"{kind} name {name!r} breaks the API server's rule ({pattern.pattern}, at most {limit})")
    if "namespace" in meta and not is_name(meta["namespace"]):
        problems.append(f"metadata.namespace {meta['namespace']!r} is not a DNS label")
    for path, value in walk(obj):
        last = path.rsplit(".", 1)[-1]
        if not isinstance(value, dict):
            continue
        if last in ("labels", "matchLabels") or (kind == "Service" and path == ".spec.selector"):
            for key, text in value.items():
                if problem := qualified_name_problem(key):
                    problems.append(f"{path}: label {problem}")
                if not (isinstance(text, str) and len(text) <= 63 and LABEL_VALUE.fullmatch(text)):
                    problems.append(f"{path}: label {key}={text!r} is not a label value of at most 63")
        elif last == "annotations":
            for key, text in value.items():
                if problem := qualified_name_problem(key):
                    problems.append(f"{path}: annotation {problem}")
                if not isinstance(text, str):
                    problems.append(f"{path}: annotation {key} is not a string: {text!r}")
    return problems + pod_problems(obj)


class Schemas:
    """The int32 fields and list keys of kubernetes-validate's strict schemas, applied to an object: the API server
    refuses an int32 out of range, and two entries of a list-type=map with the same key (server-side apply)."""

    def __init__(self):
        self.base = f"kubernetes-json-schema/v{K8S_VERSION}-local-strict"
        self.defs = kv_utils.schema_contents(f"{self.base}/_definitions.json", K8S_VERSION)["$defs"]

    def schema(self, obj: dict) -> dict | None:
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
        try:
            return kv_utils.schema_contents(f"{self.base}/{obj['kind'].lower()}-{api}.json", K8S_VERSION)
        except FileNotFoundError:
            return None

    def problems(self, value: Any, schema: dict, path: str = "") -> list[str]:
        while "$ref" in schema:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[-1]]
        found = []
        if isinstance(value, int) and not isinstance(value, bool):
            if schema.get("format") == "int32" and not INT32[0] <= value <= INT32[1]:
                found.append(f"{path} = {value} is outside int32")
        elif isinstance(value, dict):
            props, extra = schema.get("properties") or {}, schema.get("additionalProperties")
            for k, v in value.items():
                sub = props.get(k, extra if isinstance(extra, dict) else None)
                if sub is not None:
                    found += self.problems(v, sub, f"{path}.{k}")
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            if schema.get("x-kubernetes-list-type") == "map":
                keys = schema.get("x-kubernetes-list-map-keys") or []
                seen = [tuple(item.get(k, "TCP" if k == "protocol" else None) for k in keys) for item in value]
                if len(seen) != len(set(seen)):
                    found.append(f"{path}: entries repeat the list key {keys}: {seen}")
            for i, item in enumerate(value):
                found += self.problems(item, schema["items"], f"{path}[{i}]")
        return found


def reference_problems(objects: list[dict]) -> list[str]:
    """References between the objects of one Environment resolve: ServiceAccounts, claims, the Services of
    StatefulSets and Ingresses, autoscaler targets; every Service selects pods that have its named target port."""
    have = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
    # A StatefulSet's claims, which its controller makes from the templates: '<template>-<statefulset>-<ordinal>'.
    have |= {("PersistentVolumeClaim", o["metadata"].get("namespace"),
              f"{t['metadata']['name']}-{o['metadata']['name']}-{i}")
             for o in objects if o["kind"] == "StatefulSet"
             for t in o["spec"].get("volumeClaimTemplates") or [] for i in range(o["spec"].get("replicas", 1))}
    problems, pods = [], []
    for o in objects:
        ns, name = o["metadata"].get("namespace"), o["metadata"]["name"]
        for _, template in pod_templates(o):
            spec = template.get("spec") or {}
            ports = {p["name"] for c in spec.get("containers") or [] for p in c.get("ports") or [] if "name" in p}
            pods.append((ns, (template.get("metadata") or {}).get("labels") or {}, ports))
            account = spec.get("serviceAccountName")
            if account and ("ServiceAccount", ns, account) not in have:
                problems.append(f"{o['kind']} {ns}/{name}: no ServiceAccount {account!r}")
            for v in spec.get("volumes") or []:
                claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
                if claim and ("PersistentVolumeClaim", ns, claim) not in have:
                    problems.append(f"{o['kind']} {ns}/{name}: no PersistentVolumeClaim {claim!r}")
        if o["kind"] == "StatefulSet" and ("Service", ns, o["spec"]["serviceName"]) not in have:
            problems.append(f"StatefulSet {ns}/{name}: no Service {o['spec']['serviceName']!r}")
        if o["kind"] in ("HorizontalPodAutoscaler", "ScaledObject"):
            ref = o["spec"]["scaleTargetRef"]
            if (ref["kind"], ns, ref["name"]) not in have:
                problems.append(f"{o['kind']} {ns}/{name}: no {ref['kind']} {ref['name']!r}")
        for trigger in (o["spec"].get("triggers") or []) if o["kind"] == "ScaledObject" else []:
            auth = (trigger.get("authenticationRef") or {}).get("name")
            if auth and ("TriggerAuthentication", ns, auth) not in have:
                problems.append(f"ScaledObject {ns}/{name}: no TriggerAuthentication {auth!r}")
    services = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects if o["kind"] == "Service"}
    for (ns, name), svc in services.items():
        selector = svc["spec"].get("selector") or {}
        picked = [p for p in pods if p[0] == ns and all(p[1].get(k) == v for k, v in selector.items())]
        if not picked:
            problems.append(f"Service {ns}/{name} selects no pod")
        for port in svc["spec"].get("ports") or []:
            target = port.get("targetPort")
            if isinstance(target, str) and not all(target in p[2] for p in picked):
                problems.append(f"Service {ns}/{name}: targetPort {target!r} is not a port of every pod it selects")
    for o in objects:
        if o["kind"] != "Ingress":
            continue
        ns = o["metadata"].get("namespace")
        for rule in o["spec"].get("rules") or []:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                svc = services.get((ns, backend["name"]))
                if svc is None:
                    problems.append(f"Ingress {ns}/{o['metadata']['name']}: no Service {backend['name']!r}")
                elif "name" in backend["port"] and backend["port"]["name"] not in {
                        q.get("name") for q in svc["spec"]["ports"]}:
                    problems.append(f"Ingress {ns}/{o['metadata']['name']}: no port {backend['port']['name']!r}")
    return problems


def kustomization_problems(files: dict[str, str]) -> list[str]:
    """Each k8s/**/kustomization.yaml lists exactly the object files of its own folder (kubectl apply -k)."""
    problems = []
    for path, text in files.items():
        if path.startswith("k8s/") and path.endswith("/kustomization.yaml"):
            folder = path.rsplit("/", 1)[0]
            listed = [f"{folder}/{name}" for name in yaml.load(text, Loader=Loader).get("resources") or []]
            present = sorted(p for p in files if p.rsplit("/", 1)[0] == folder and p.endswith(".yaml") and p != path)
            if sorted(listed) != present:
                problems.append(f"{path} lists {sorted(listed)}; the folder holds {present}")
    return problems


@examples()
def test_kubernetes_objects_pass_strict_schema_validation(workspace, schemas, source):
    r = workspace.rendered(source)
    failures = []
    for docs in r.docs.values():
        for path, obj in docs:
            try:
                kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
            except kv_utils.SchemaNotFoundError:
                if obj["kind"] not in CUSTOM_KINDS:
                    failures.append(f"{path}: no schema for {obj['apiVersion']} {obj['kind']}")
            except kv_utils.ValidationError as err:
                failures.append(f"{path}: {'.'.join(map(str, err.path))}: {err.message}")
    assert not failures, "\n".join(failures) + show(source)


@examples()
def test_kubernetes_objects_follow_the_api_server_rules(workspace, schemas, source):
    r = workspace.rendered(source)
    failures = kustomization_problems(r.files)
    for env, docs in r.docs.items():
        seen: dict[tuple, str] = {}
        for path, obj in docs:
            key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
            if key in seen:
                failures.append(f"{path}: the same object as {seen[key]}")
            seen[key] = path
            failures += [f"{path}: {p}" for p in object_problems(obj)]
            schema = schemas.schema(obj)
            if schema is not None:
                failures += [f"{path}: {p}" for p in schemas.problems(obj, schema)]
        failures += [f"k8s/{env}: {p}" for p in reference_problems([o for _, o in docs])]
    assert not failures, "\n".join(failures) + show(source)


_QUANTITY = re.compile(r"([0-9.]+(?:[eE][-+]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?")
_SUFFIX = {None: 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
           "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
QUOTA_KEYS = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def quantity(value: Any) -> Fraction:
    """A Kubernetes quantity ('250m', '1.5Gi', '1e8', 2) as an exact number."""
    found = _QUANTITY.fullmatch(str(value))
    assert found, f"not a quantity: {value!r}"
    return Fraction(found[1]) * _SUFFIX[found[2]]


def pod_needs(template: dict) -> dict[str, Fraction]:
    """What quota admission charges one pod: per resource the larger of its containers' sum and any one init
    container."""
    spec = template.get("spec") or {}
    needs = {}
    for key in QUOTA_KEYS:
        kind, resource = key.split(".")
        amounts = [[quantity(((c.get("resources") or {}).get(kind) or {}).get(resource, 0))
                    for c in spec.get(part) or []] for part in ("containers", "initContainers")]
        needs[key] = max([sum(amounts[0], Fraction(0)), *amounts[1]])
    return needs


def peak_pods(obj: dict, autoscalers: dict[tuple, int]) -> int:
    """Pods of one owner at once at worst: a Deployment's replicas (its autoscaler's maximum) plus its surge, a
    StatefulSet's replicas, one pod of a Job or of a CronJob's current Job."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "Deployment":
        replicas = autoscalers.get((obj["metadata"].get("namespace"), obj["metadata"]["name"]),
                                   spec.get("replicas", 1))
        surge = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 1)
        assert isinstance(surge, int), f"maxSurge {surge!r}: only whole numbers are modelled here"
        return replicas + surge
    if obj["kind"] == "StatefulSet":
        return spec.get("replicas", 1)
    if obj["kind"] == "Job":
        return spec.get("parallelism", 1)
    return 1


def admission_problems(objects: list[dict]) -> list[str]:
    """ResourceQuota and LimitRange admission: every container of a namespace with a LimitRange lies within its
    min and max, and everything of a namespace with a ResourceQuota fits it at once at peak (pods, requests and
    limits, claims and their storage, LoadBalancer and NodePort Services)."""
    problems = []
    autoscalers = {(o["metadata"].get("namespace"), o["spec"]["scaleTargetRef"]["name"]): o["spec"]["maxReplicas"]
                   for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    for quota in (o for o in objects if o["kind"] == "ResourceQuota"):
        ns = quota["metadata"].get("namespace")
        hard = quota["spec"]["hard"]
        used: dict[str, Fraction] = {key: Fraction(0) for key in (*QUOTA_KEYS, "pods", "persistentvolumeclaims",
                                                                 "requests.storage", "services.loadbalancers",
                                                                 "services.nodeports")}
        for o in (o for o in objects if o["metadata"].get("namespace") == ns):
            for _, template in pod_templates(o):
                count = peak_pods(o, autoscalers)
                used["pods"] += count
                for key, value in pod_needs(template).items():
                    used[key] += value * count
            if o["kind"] == "PersistentVolumeClaim":
                used["persistentvolumeclaims"] += 1
                used["requests.storage"] += quantity(o["spec"]["resources"]["requests"]["storage"])
            for claim in (o.get("spec") or {}).get("volumeClaimTemplates") or [] if o["kind"] == "StatefulSet" else []:
                used["persistentvolumeclaims"] += o["spec"].get("replicas", 1)
                used["requests.storage"] += quantity(claim["spec"]["resources"]["requests"]["storage"]) * o[
                    "spec"].get("replicas", 1)
            if o["kind"] == "Service":
                kind = o["spec"].get("type", "ClusterIP")
                used["services.loadbalancers"] += kind == "LoadBalancer"
                used["services.nodeports"] += kind in ("NodePort", "LoadBalancer")
        problems += [f"ResourceQuota {ns}/{quota['metadata']['name']}: {key} {hard[key]} < {float(value):g} needed "
                     "at peak" for key, value in used.items() if key in hard and value > quantity(hard[key])]
    for limits in (o for o in objects if o["kind"] == "LimitRange"):
        ns = limits["metadata"].get("namespace")
        for item in (i for i in limits["spec"]["limits"] if i.get("type") == "Container"):
            for o in (o for o in objects if o["metadata"].get("namespace") == ns):
                for _, template in pod_templates(o):
                    spec = template.get("spec") or {}
                    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
                        res = c.get("resources") or {}
                        for resource, low in (item.get("min") or {}).items():
                            given = (res.get("requests") or res.get("limits") or {}).get(resource)
                            if given is not None and quantity(given) < quantity(low):
                                problems.append(f"{o['kind']} {ns}/{o['metadata']['name']} {c['name']}: {resource} "
                                                f"request {given} below the LimitRange min {low}")
                        for resource, high in (item.get("max") or {}).items():
                            given = (res.get("limits") or {}).get(resource)
                            if given is None and "default" not in item:
                                problems.append(f"{o['kind']} {ns}/{o['metadata']['name']} {c['name']}: no {resource}"
                                                " limit, and the LimitRange has a max but no default")
                            elif given is not None and quantity(given) > quantity(high):
                                problems.append(f"{o['kind']} {ns}/{o['metadata']['name']} {c['name']}: {resource} "
                                                f"limit {given} above the LimitRange max {high}")
    return problems


@examples()
def test_pods_pass_quota_and_limit_range_admission(workspace, source):
    r = workspace.rendered(source)
    failures = [f"k8s/{env}: {p}" for env, docs in r.docs.items()
                for p in admission_problems([o for _, o in docs])]
    assert not failures, "\n".join(failures) + show(source)


# go-yaml v2, which sigs.k8s.io/yaml (kubectl, client-go, Argo CD) reads manifests with, resolves these plain
# scalars to booleans, null, numbers or timestamps (resolve.go: its table, strconv.ParseInt(s, 0, 64) with '_'
# removed, yamlStyleFloat, parseTimestamp). PyYAML's YAML 1.1 resolver reads some of them as strings, so a dumper
# that quotes only what PyYAML itself would misread leaves them plain.
_GO_WORDS = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
             "FALSE", "on", "On", "ON", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN",
             ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"}
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}.*)?")
_PY_RESOLVER = yaml.resolver.Resolver()


def go_yaml_reads_as_non_string(text: str) -> bool:
    if text in _GO_WORDS:
        return True
    if text[:1] in ("+", "-") or text[:1].isdigit():
        plain = text.replace("_", "")
        return bool(_GO_TIMESTAMP.fullmatch(text) or _GO_INT.fullmatch(plain) or _GO_FLOAT.fullmatch(plain))
    return text[:1] == "." and _GO_FLOAT.fullmatch(text) is not None


def ambiguous_scalars(text: str) -> list[str]:
    """Plain scalars PyYAML reads as strings and go-yaml v2 does not."""
    found = []
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.ScalarEvent) and not event.style and event.implicit[0]:  # plain
            tag = _PY_RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))
            if tag == "tag:yaml.org,2002:str" and go_yaml_reads_as_non_string(event.value):
                found.append(f"line {event.start_mark.line + 1}: {event.value!r}")
    return found


@examples()
def test_kubernetes_yaml_reads_the_same_in_go_yaml(workspace, source):
    """Found by this module, fixed in 66b0fe5: y, n, 0o17, 0X1F, 1e3, 2024-1-2 and the version 1234e56 were written
    unquoted, and kubectl would have sent booleans, numbers and timestamps where the API wants strings."""
    r = workspace.rendered(source)
    failures = [f"{path}: {s}" for path, text in r.files.items()
                if path.startswith("k8s/") and path.endswith(".yaml") for s in ambiguous_scalars(text)]
    assert not failures, "plain scalars go-yaml reads as non-strings:\n" + "\n".join(failures) + show(source)


# ---------------------------------------------------------------------------------------------- 2. compose
def unescape(value: Any) -> Any:
    """compose writes a literal '$' as '$$' (so does docker-compose's canonical output)."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [unescape(v) for v in value]
    return value


def migrating_first(env) -> list:
    """Workloads whose every pod migrates first (an init container, as under Flux): no migration Job construct,
    and in compose a one-shot <service>-migrate service."""
    return [w for w in env.workloads if getattr(w, "pre_start", lambda: None)() is not None]


def compose_workload_problems(r: Rendered, services: dict) -> list[str]:
    """Every workload of the local Environment is the compose service of its name, running its own image (or
    the build of the workload that builds it) and its own command; Flux migrations are one-shot services."""
    local = r.app.local_environment
    problems = []
    expected = {w.name for w in local.workloads} | {f"{w.name}-migrate" for w in migrating_first(local)}
    if set(services) != expected:
        problems.append(f"services {sorted(services)}, workloads and migrations {sorted(expected)}")
    for w in local.workloads:
        svc = services.get(w.name) or {}
        builder = w.built_by
        if builder is not None:
            dockerfile = (svc.get("build") or {}).get("dockerfile", "")
            if not dockerfile.endswith(f"docker/{builder.name}/Dockerfile"):
                problems.append(f"{w.name}: built from {dockerfile!r}, not docker/{builder.name}/Dockerfile")
        elif svc.get("image") != w.image:
            problems.append(f"{w.name}: runs image {svc.get('image')!r}, not {w.image!r}")
        command = w.command_spec()
        if unescape(svc.get("command")) != (list(command) if command else None):
            problems.append(f"{w.name}: runs {svc.get('command')!r}, not {command!r}")
    return problems


def compose_config_problems(workspace: Workspace, r: Rendered) -> list[str]:
    """docker-compose accepts the file without warnings, with every service it holds."""
    code, stderr, config = workspace.compose(r)
    if code != 0 or "warn" in stderr.lower():
        return [f"docker-compose config exits {code}: {stderr.strip()}"]
    ours = yaml.load(r.files["compose/compose.yaml"], Loader=Loader)
    problems = [f"docker-compose reads the {key} {sorted(config.get(key) or {})}, the file has {sorted(ours[key])}"
                for key in ("services", "networks", "volumes", "secrets")
                if key in ours and set(config.get(key) or {}) != set(ours[key])]
    return problems + compose_workload_problems(r, ours["services"])


@examples()
def test_compose_file_passes_docker_compose_config(workspace, source):
    r = workspace.rendered(source)
    if r.app.local_environment is None:
        return
    problems = compose_config_problems(workspace, r)
    assert not problems, "\n".join(problems) + show(source)


@examples()
def test_docker_compose_reads_environment_and_commands_as_written(workspace, source):
    """Found by this module, fixed in 66b0fe5: docker-compose read LOG_LEVEL=1e3 as 1000, 0o17 as 15 and 2024-1-2
    as a timestamp, and refused a command argument 0X1F ("services.api.command.1 must be a string")."""
    r = workspace.rendered(source)
    if r.app.local_environment is None:
        return
    code, stderr, config = workspace.compose(r)
    assert code == 0, stderr + show(source)
    differences = []
    for name, svc in yaml.load(r.files["compose/compose.yaml"], Loader=Loader)["services"].items():
        theirs = config["services"][name]
        their_env = {k: unescape(v) for k, v in (theirs.get("environment") or {}).items()}
        differences += [f"{name}: environment {k}: written {unescape(v)!r}, docker-compose reads {their_env.get(k)!r}"
                        for k, v in (svc.get("environment") or {}).items() if their_env.get(k) != unescape(v)]
        for key in ("command", "entrypoint"):
            if svc.get(key) is not None and unescape(svc[key]) != unescape(theirs.get(key)):
                differences.append(f"{name}: {key}: written {svc[key]!r}, docker-compose reads {theirs.get(key)!r}")
    assert not differences, "\n".join(differences) + show(source)


# ---------------------------------------------------------------------------------------------- 3. who talks to whom
def difference(allowed: set, declared: set) -> str:
    extra = "\n".join(f"  extra   {f}" for f in sorted(allowed - declared, key=str))
    missing = "\n".join(f"  missing {f}" for f in sorted(declared - allowed, key=str))
    return f"{extra}\n{missing}".rstrip()


@examples()
def test_network_policies_allow_exactly_the_declared_graph(workspace, source):
    r = workspace.rendered(source)
    objects = ng.k8s_objects(r.files)
    for env in r.app.environments:
        allowed = ng.evaluate(objects.get(env.name, []), env.ingress_namespace, keda=env.keda, mesh=env.mesh).allowed
        declared = ng.declared_flows(env)
        assert allowed == declared, f"{env.name}:\n{difference(allowed, declared)}" + show(source)
        external = ng.external_egress(objects.get(env.name, []))
        assert external == ng.declared_external_egress(env), env.name + show(source)


def migration_steps(env) -> set[frozenset[str]]:
    """compose runs each migration that is no construct of its own as a one-shot <service>-migrate service that
    reaches the service's databases only."""
    return {frozenset((f"{w.name}-migrate", t.name)) for w in migrating_first(env)
            for t in w.migrate.databases(w) if not hasattr(t, "cidrs")}


@examples()
def test_compose_networks_connect_exactly_the_declared_pairs(workspace, source):
    r = workspace.rendered(source)
    local = r.app.local_environment
    if local is None:
        return
    doc = ng.compose_document(r.files)
    declared = ng.declared_pairs(local.workloads) | migration_steps(local)
    reachable = ng.compose_pairs(doc)
    assert reachable == declared, difference(reachable, declared) + show(source)
    public = {w.name for w in local.workloads if getattr(w, "public", False)}
    assert ng.compose_exposed(doc) == public, show(source)


# ---------------------------------------------------------------------------------------------- 4. determinism
@examples()
def test_rendering_is_deterministic(workspace, source):
    r = workspace.rendered(source)
    assert render(r.app, r.outdir) == r.files, show(source)


# ---------------------------------------------------------------------------------------------- twists
def rendered_or_refused(workspace: Workspace, source: str, prop: str) -> Rendered | None:
    """The app rendered, or None when synth refuses it for the twist's problem: every problem it names is about
    the prop ``prop`` (or one of its entries, like ``writable_paths[1]``)."""
    try:
        return workspace.rendered(source)
    except InvalidApp as err:
        others = [str(p) for p in err.problems if p.prop.split("[")[0].split(".")[0] != prop]
        assert not others, "refused for something else:\n" + "\n".join(others) + show(source)
        return None


@examples(count=2, twist="run-secrets-writable")
def test_writable_paths_never_cover_the_secrets_mount(workspace, source):
    """Found by this module, refused since 66b0fe5: writable_paths=["/run/secrets"] on a workload with secrets gave
    its container two mounts at /run/secrets, and the API server refuses the pod ("mountPath: must be unique"):

        dev = Environment(App("shop", registry="ghcr.io/acme"), "dev", local=True)
        WebService(dev, "api", image="nginx:1.27.3", port=8000, writable_paths=["/run/secrets"],
                   secrets={"TOKEN": SecretRef("app", "token")})
    """
    r = rendered_or_refused(workspace, source, "writable_paths")
    if r is not None:
        failures = [f"{path}: {p}" for docs in r.docs.values() for path, obj in docs for p in object_problems(obj)]
        assert not failures, "\n".join(failures) + show(source)


@examples(count=2, twist="dotted-secret-refs")
def test_every_secret_reference_has_its_own_file(workspace, source):
    """Found by this module, refused since 66b0fe5: secret files are named <secret>.<key>, so SecretRef("app.secrets",
    "key") and SecretRef("app", "secrets.key") were both /run/secrets/app.secrets.key: a projected volume with two
    items of one path (the API server refuses "conflicting duplicate paths") and one local file in compose:

        dev = Environment(App("shop", registry="ghcr.io/acme"), "dev", local=True)
        WebService(dev, "api", image="nginx:1.27.3", port=8000,
                   secrets={"A": SecretRef("app.secrets", "key"), "B": SecretRef("app", "secrets.key")})
    """
    r = rendered_or_refused(workspace, source, "secrets")
    if r is None:
        return
    failures = [f"{path}: {p}" for docs in r.docs.values() for path, obj in docs for p in object_problems(obj)]
    local = r.app.local_environment
    owners: dict[str, set] = {}
    for w in local.workloads if local else []:
        for ref in w.all_secrets().values():
            owners.setdefault(ref.file_name, set()).add((ref.name, ref.key))
    failures += [f"compose: secret file {name} holds {sorted(refs)}" for name, refs in owners.items() if len(refs) > 1]
    assert not failures, "\n".join(failures) + show(source)


@examples(count=2, twist="shared-public-host")
def test_public_hosts_are_unique_per_environment(workspace, source):
    """Found by this module, refused since 66b0fe5: two public WebServices of one Environment got Ingresses for the
    same host and path (host= equal to another's default <id>.<domain>, or, outside the local Environment, public
    services of one id in two namespaces); ingress-nginx's admission webhook refuses the second:

        prod = Environment(App("shop", registry="ghcr.io/acme"), "prod", domain="example.com")
        WebService(SecureNamespace(prod, "a"), "api", image="nginx:1.27.3", port=8000, public=True)
        WebService(SecureNamespace(prod, "b"), "api", image="nginx:1.27.3", port=8000, public=True)
    """
    r = rendered_or_refused(workspace, source, "host")
    if r is None:
        return
    failures = []
    for env, docs in r.docs.items():
        routes: dict[tuple[str, str], list[str]] = {}
        for path, obj in docs:
            if obj["kind"] == "Ingress":
                for rule in obj["spec"]["rules"]:
                    for p in rule["http"]["paths"]:
                        routes.setdefault((rule["host"], p["path"]), []).append(path)
        failures += [f"{env}: {host}{route} is routed by {paths}" for (host, route), paths in routes.items()
                     if len(paths) > 1]
    assert not failures, "\n".join(failures) + show(source)


@examples(count=2, twist="flux-migrate-clash")
def test_compose_runs_every_local_workload(workspace, source):
    """Found by this module, refused since 66b0fe5: in a local Flux Environment a workload named <service>-migrate
    was silently replaced in compose by that service's one-shot migration:

        dev = Environment(App("shop", registry="ghcr.io/acme"), "dev", local=True, gitops="flux")
        WebService(dev, "api", image="nginx:1.27.3", port=8000, migrate=Migration(["migrate"]))
        Job(dev, "api-migrate", image="busybox:1.36", command=["seed"])
    """
    r = rendered_or_refused(workspace, source, "id")
    if r is not None:
        services = yaml.load(r.files["compose/compose.yaml"], Loader=Loader)["services"]
        problems = compose_workload_problems(r, services)
        assert not problems, "\n".join(problems) + show(source)


@examples(count=2, twist="x-prefixed-id")
def test_compose_keys_are_never_extension_fields(workspace, source):
    """Found: compose treats every network name that starts with "x-" as an extension field, so the network
    "x-public" of a public WebService "x", or "x-ray_to_db" of a client "x-ray", is not defined and
    `docker-compose config` refuses the file: service "x" refers to undefined network #extensions: invalid compose
    project. Minimized:

        dev = Environment(App("shop", registry="ghcr.io/acme"), "dev", local=True, domain="example.com")
        WebService(dev, "x", image="nginx:1.27.3", port=8000, public=True)

    synth now refuses such ids in the local Environment. The generator leaves them out of every other test."""
    r = rendered_or_refused(workspace, source, "id")
    if r is not None:
        problems = compose_config_problems(workspace, r)
        assert not problems, "\n".join(problems) + show(source)


def refused_for(workspace: Workspace, source: str, props: set[str]) -> None:
    """Synth refuses the app, and every problem it names is about one of ``props`` (or an entry of one)."""
    try:
        workspace.rendered(source)
    except InvalidApp as err:
        others = [str(p) for p in err.problems if p.prop.split("[")[0].split(".")[0] not in props]
        assert not others, "refused for something else:\n" + "\n".join(others) + show(source)
        assert all("\n" not in str(p) for p in err.problems), show(source)
        return
    pytest.fail("synth took a value the exact rule refuses" + show(source))


@examples(count=2, twist="trailing-newline")
def test_a_value_ending_in_a_newline_is_refused(workspace, source):
    """Found by a table of hostile inputs, refused since: validators used re.match with '$', which also matches
    before a final newline, so env and config names, mount paths, ids, images and digests ending in one passed
    (env={"LOG_LEVEL\\n": "info"} broke the compose file and the pod spec)."""
    refused_for(workspace, source, {"env", "config", "writable_paths"})


@examples(count=2, twist="unicode-digit")
def test_digits_that_are_not_ascii_are_refused(workspace, source):
    """Found by a table of hostile inputs, refused since: str.isdigit() takes superscripts and Arabic-Indic digits, so
    Build.python(version="³.12.8") passed. Quantities, versions and ports take ASCII digits only."""
    refused_for(workspace, source, {"resources"})


@examples(count=2, twist="egress-in-another-spelling")
def test_egress_to_metadata_or_everything_is_refused_in_any_spelling(workspace, source):
    """Found by a table of hostile inputs, refused since: External(cidrs=["0.0.0.0/1", "128.0.0.0/1"]),
    ["169.254.0.0/15"] and ["::ffff:169.254.169.254/128"] passed the link-local and catch-all checks."""
    refused_for(workspace, source, {"cidrs"})
