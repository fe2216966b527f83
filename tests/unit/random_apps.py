"""Random valid shipform apps for property-based tests.

``app_sources()`` is a hypothesis strategy that draws the plan of an app and writes it as Python source text,
which ``conftest.exec_app(source, folder)`` runs (the build contexts "py", "node" and "go" are the ones
``conftest.write_sources(folder)`` creates). Every app it draws is valid as docs/guide describes the constructs:

- one App, one or two Environments, exactly one of them local; the second Environment is either independent
  or a mirror of the first (the same namespaces and workloads, as apps written with ``for env in (dev, prod)``);
- one to three SecureNamespaces per Environment with quotas large enough for what lands in them, some with
  deployers and viewers, some accepting connections from others (``accepts_from``, also added later with
  ``.accepts_from.append``); sometimes workloads created directly in the Environment (its default namespace);
- one to eight workloads per app (per Environment when mirrored: four at most then) drawn from WebService,
  Worker, CronJob, Job and StatefulDB, with ids that are DNS labels starting with a letter and short enough for
  every object they name (CronJob and StatefulSet 52, ``<db>-backup`` 52, ``<svc>-migrate`` 63);
- ``connects_to`` edges from any workload to a WebService or StatefulDB of the same Environment, only within a
  namespace or into one that accepts the client's; no two targets of one client that give it the same env
  variables (the same prefix); no loops in the local Environment (compose could not start them), while the
  other Environment may close loops with ``.connects_to.append``;
- built images under one name only once per app (Dockerfiles are per service name), except in mirrors, where
  both Environments build the very same service;
- each Environment may run Argo Rollouts (then the services and workers that drew a canary or blue-green roll out
  by it), KEDA (then a worker connected to a redis database at construction scales on its list) and a mesh,
  Istio or Linkerd, which every SecureNamespace of that Environment enrolls in;
- in the local Environment workload names are unique across namespaces and public ports are distinct;
  ``public=True`` only where the Environment has a domain, and one public service per host;
- no id that would give one of its objects the name of another construct's object (``<db>-headless``,
  ``<db>-backup``, ``<svc>-migrate``, the namespace's ``default-deny``, ``allow-dns``, ...).

Values come from small pools of ordinary and awkward-but-valid inputs (env values that look like numbers,
booleans or dates to some YAML reader, ``$`` signs, unicode, newlines; ids and ints at their limits) so a few
examples reach the corners. Ids "x" and "x-..." are left out: they show a known problem (see the twist
"x-prefixed-id"). A ``twist`` (TWISTS) puts one known problem into the first Environment of an otherwise random
app: inputs synth now refuses, and the one still open.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import strategies as st

from unit.hostile_values import forbidden_egress

INT32_MAX = 2**31 - 1
QUOTA = ('Quota(cpu="64", memory="128Gi", cpu_limit="128", memory_limit="256Gi", pods=500, '
         'persistent_volume_claims=50, storage="2Ti")')
HEADER = ("from shipform import (App, Autoscale, Backup, BlueGreen, Build, Canary, CronJob, DataStorage, Environment,\n"
          "                      External, Health, Issuer, Job, Keda, Mesh, Migration, Queue, Quota, Resources,\n"
          "                      S3Target, Scratch,\n"
          "                      SecretRef, SecretStore, SecureNamespace, StatefulDB, Subject, WebService, Worker)\n")

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LETTERS + "0123456789"
COMMON_IDS = ("api", "web", "db", "cache", "worker", "report", "seed", "front", "back", "shop", "a", "b", "x1")
# Names a SecureNamespace gives its own objects, and namespaces a workload namespace must not be.
NAMESPACE_OBJECTS = {"default-deny", "allow-dns", "quota", "container-defaults", "deployer", "viewer"}
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease", "ingress-nginx", "traefik"}

ENGINES = {"postgres": "16", "mysql": "8.4", "mariadb": "11.4", "redis": "7.4", "mongodb": "8.0"}
SCHEDULES = ("0 3 * * *", "*/15 * * * *", "30 2 * * 1-5", "0 6 * * SUN", "5,35 * * * *", "0 0 1 JAN,JUL *",
             "59 23 31 12 6", "0 0-23/6 * * *", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@midnight")
RESOURCES = (  # all inside the default LimitRange (10m/16Mi .. 4/8Gi) and at most 2 CPUs / 2Gi per container
    'Resources(cpu="50m", memory="64Mi", cpu_limit="200m", memory_limit="128Mi")',
    'Resources(cpu="0.25", memory="256M", cpu_limit="1", memory_limit="1Gi")',
    'Resources(cpu=1, memory="1.5Gi", cpu_limit=2, memory_limit="2Gi")',
    'Resources(cpu="10m", memory="16Mi", cpu_limit="10m", memory_limit="16Mi")',
    'Resources(cpu="100m", memory="1e8", cpu_limit="500m", memory_limit="256Mi")',
)
ENV_NAMES = ("LOG_LEVEL", "REGION", "WORKERS", "GREETING", "FEATURE_FLAGS", "EMPTY", "MODE", "_UNDERSCORE")
ENV_VALUES = ("info", "eu-west-1", "4", "Hello, world", "", "$5", "${HOME}", "$(LOG_LEVEL)", "$$", "a: b",
              "#not-a-comment", "é ünïcødé", "two\nlines", "true", "null", "1.0", "-", "'quoted'", '"double"', "x=y")
# Strings PyYAML reads as strings but other YAML readers may not, unless they are quoted: go-yaml v2
# (sigs.k8s.io/yaml, what kubectl reads manifests with) takes y/n for booleans, 0o17 and 0X1F for ints, 1e3 for a
# float and 2024-1-2 for a timestamp; docker-compose (go-yaml v3) takes 0o17, 0X1F, 1e3 and 2024-1-2.
YAML_AMBIGUOUS = ("y", "n", "0o17", "1e3", "2024-1-2", "0X1F")
AMBIGUOUS_VERSIONS = ("1234e56",)  # a short git SHA that go-yaml reads as a float
SECRET_NAMES = ("SESSION_KEY", "API_TOKEN", "SIGNING_SECRET")
SECRET_REFS = ('SecretRef("app-secrets", "session-key")', 'SecretRef("api-keys", "token")',
               'SecretRef("tokens", "signing.key")', 'SecretRef("shared", "a_b")')
WRITABLE = ("/tmp", "/var/cache/app", "/home/app/.cache", "/data")
# Configuration: names apart from ENV_NAMES (a name in both is refused), files conftest.write_sources makes.
CONFIG_NAMES = ("PAGE_SIZE", "THEME", "RETRIES", "feature_flag_x")
CONFIG_FILES = ('{"/etc/app/app.yaml": "config/app.yaml"}', '{"/srv/conf/a.yaml": "config/app.yaml", '
                '"/srv/conf/b.yaml": "config/app.yaml"}')
SCRATCH = ('{"/scratch": Scratch(size="256Mi")}', '{"/var/lib/app/cache": Scratch(size="1Gi")}')
ARGS = ("--port=8000", "$HOME", "a b", "yes", "--", "ü")
HEALTH_REASONS = ("consumes a queue and exits when the connection breaks",
                  "batch consumer: restarts cover it; no port, no probe",
                  "it's fine: \"exit\" means restart")
VERSIONS = ("0.1.0", "1.4.2", "2", "1.0", "2024.01.5", "v3-rc.1")
TWISTS = {
    # Each puts one known problem into the first Environment (the local one); see test_random_apps.py.
    "run-secrets-writable": "a workload with secrets lists /run/secrets among its writable_paths",
    "dotted-secret-refs": "a workload has SecretRef('app.secrets', 'key') and SecretRef('app', 'secrets.key')",
    "shared-public-host": "a public WebService's host is another public WebService's default host",
    "x-prefixed-id": "a public WebService's id is 'x' or starts with 'x-' (its compose network is x...-public)",
    "flux-migrate-clash": "in a local Flux Environment, a workload is named '<service>-migrate' after a migrating "
                          "WebService",
    # Values checked by the exact rule (refused since: synth must refuse each, for that prop).
    "trailing-newline": "a workload's env or config name, or a writable path, ends in a newline (re.match with '$' "
                        "took it)",
    "unicode-digit": "a workload's CPU request is written with digits that are not ASCII (superscript, Arabic-Indic, "
                     "fullwidth), which str.isdigit() and \\d take",
    "egress-in-another-spelling": "an External's cidrs reach a metadata service or everything in another spelling: "
                                  "IPv4-mapped or NAT64 IPv6, a superset, or split into pieces",
}
# CPU requests of one and two cores in digits str.isdigit() takes: superscript, Arabic-Indic, fullwidth.
UNICODE_CPUS = (chr(0xB9), chr(0xB2), chr(0x0661), chr(0x0662), chr(0xFF11), chr(0x0660) + "." + chr(0x0665))
PORT_POOL = (8000, 8080, 3000, 9000, 1024, 65535)


@dataclass
class Namespace:
    var: str
    id: str
    accepts: list[str] = field(default_factory=list)  # ids of the namespaces it accepts
    deployers: bool = False
    viewers: bool = False


@dataclass
class Workload:
    var: str
    kind: str  # web, worker, cron, job, db
    id: str
    scope: str | None  # namespace id, or None: directly in the Environment
    namespace: str  # the Kubernetes namespace it lands in
    args: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # vars, passed as connects_to=[...]
    later: list[str] = field(default_factory=list)  # vars, appended after every workload exists
    port: int | None = None
    prefix: str | None = None  # the env prefix its clients get (servers only)
    built: bool = False
    host: str | None = None  # forced by a twist
    strategy: str | None = None  # a Canary(...) or BlueGreen(...), given where the Environment has Argo Rollouts
    engine: str | None = None  # a StatefulDB's


@dataclass
class Plan:
    """Namespaces and workloads of one Environment (shared by two Environments when mirrored)."""

    default_namespace: str
    local: bool
    has_domain: bool
    namespaces: list[Namespace] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)  # of public services: one Ingress per host


@dataclass
class Env:
    var: str
    name: str
    props: list[str]
    plan: Plan
    rollouts: bool = False
    """Argo Rollouts runs: the services and workers that drew a canary or blue-green get it."""
    keda: bool = False
    """KEDA runs: workers that connect to a redis database at construction scale on its list."""
    mesh: str | None = None
    """The mesh every SecureNamespace of the Environment enrolls in (the implicit namespace stays out: nothing
    crosses into or out of it)."""


def _q(value: str) -> str:
    return repr(value)


@st.composite
def dns_label(draw, max_len: int = 20, common: tuple[str, ...] = COMMON_IDS) -> str:
    """A DNS label that starts with a letter: often a common short one, sometimes as long as allowed."""
    style = draw(st.integers(0, 9))
    if style < 4:
        fitting = [c for c in common if len(c) <= max_len]
        if fitting:
            return draw(st.sampled_from(fitting))
    size = max_len if style == 9 else draw(st.integers(1, min(10, max_len)))
    first = draw(st.sampled_from(LETTERS))
    rest = draw(st.text(alphabet=ALNUM + "-", min_size=size - 1, max_size=size - 1))
    label = first + rest
    label = label[:-1] + "z" if label.endswith("-") else label
    # "x" and "x-..." make compose network names that compose takes for extension fields (the twist
    # "x-prefixed-id" shows it); other ids are drawn so the other compose properties stay in view.
    return "y" + label[1:] if label == "x" or label.startswith("x-") else label


def _unique(draw, strategy, taken: set[str], ok=lambda s: True) -> str | None:
    for _ in range(6):
        value = draw(strategy)
        if value not in taken and ok(value):
            return value
    return None


def _timings(draw) -> str:
    """Extra Health keyword arguments: none, ordinary ones, or ones at the int32 limit."""
    kind = draw(st.integers(0, 5))
    if kind <= 3:
        return ""
    if kind == 4:
        period = draw(st.integers(2, 60))
        return (f", period_seconds={period}, timeout_seconds={draw(st.integers(1, period - 1))}, "
                f"failure_threshold={draw(st.integers(1, 10))}, start_period_seconds={draw(st.integers(1, 600))}")
    return (f", period_seconds={INT32_MAX}, timeout_seconds={INT32_MAX - 1}, failure_threshold={INT32_MAX}, "
            f"start_period_seconds={INT32_MAX}")


class _Drawer:
    """Draws one app; keeps what the validity rules need to know across Environments."""

    def __init__(self, draw, tricky: bool, twist: str | None):
        assert twist is None or twist in TWISTS, twist
        self.draw = draw
        self.tricky = tricky
        self.twist = twist
        self.twisting = False  # True while the first Environment's plan is drawn
        self.built_names: set[str] = set()  # built images are per name, app-wide

    # ------------------------------------------------------------------ small values
    def flag(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def env_values(self) -> st.SearchStrategy[str]:
        return st.sampled_from(ENV_VALUES + (YAML_AMBIGUOUS if self.tricky else ()))

    def newline_target(self, w: Workload) -> str | None:
        """The prop whose value the twist "trailing-newline" ends in a newline (drawn in the twist's app only)."""
        if self.twisting and self.twist == "trailing-newline" and w.var == "w0":
            return self.draw(st.sampled_from(("env", "config", "writable_paths")))
        return None

    def common_args(self, w: Workload) -> list[str]:
        """Props every workload kind but StatefulDB takes."""
        d, args = self.draw, []
        newline = self.newline_target(w)
        if self.flag(40) or newline == "env":
            names = d(st.lists(st.sampled_from(ENV_NAMES), min_size=1, max_size=3, unique=True))
            env = {n + ("\n" if newline == "env" and i == 0 else ""): d(self.env_values()) for i, n in enumerate(names)}
            args.append(f"env={env!r}")
        if self.twisting and self.twist == "dotted-secret-refs" and w.var == "w0":
            args.append('secrets={"A_KEY": SecretRef("app.secrets", "key"), "B_KEY": SecretRef("app", "secrets.key")}')
        elif self.flag(35) or (self.twisting and self.twist == "run-secrets-writable" and w.var == "w0"):
            names = d(st.lists(st.sampled_from(SECRET_NAMES), min_size=1, max_size=2, unique=True))
            refs = ", ".join(f"{_q(n)}: {d(st.sampled_from(SECRET_REFS))}" for n in names)
            args.append(f"secrets={{{refs}}}")
        if self.flag(25) or newline == "config":
            names = d(st.lists(st.sampled_from(CONFIG_NAMES), min_size=1, max_size=2, unique=True))
            late = "\n" if newline == "config" else ""
            config = {n + (late if i == 0 else ""): d(self.env_values()) for i, n in enumerate(names)}
            args.append(f"config={config!r}")
        if self.flag(20):
            args.append(f"files={d(st.sampled_from(CONFIG_FILES))}")
        if self.flag(25) or (self.twisting and self.twist == "unicode-digit" and w.var == "w0"):
            if self.twisting and self.twist == "unicode-digit" and w.var == "w0":
                args.append(f"resources=Resources(cpu={d(st.sampled_from(UNICODE_CPUS))!r})")
            else:
                args.append(f"resources={d(st.sampled_from(RESOURCES))}")
        if self.twisting and self.twist == "run-secrets-writable" and w.var == "w0":
            paths = [*d(st.lists(st.sampled_from(WRITABLE), max_size=2, unique=True)), "/run/secrets"]
            args.append(f"writable_paths={d(st.permutations(paths))!r}")
        elif self.flag(30) or newline == "writable_paths":
            paths = d(st.lists(st.sampled_from(WRITABLE), min_size=1 if newline else 0, max_size=3, unique=True))
            paths[:1] = [p + "\n" for p in paths[:1]] if newline == "writable_paths" else paths[:1]
            args.append(f"writable_paths={paths!r}")
        if self.flag(10):
            args.append("read_only_root_filesystem=False, accepted_risks={'readOnlyRootFilesystem': "
                        "'a random app writes under its root'}")
        if self.flag(15):
            uid = d(st.sampled_from((101, 1000, 65534, INT32_MAX)))
            args.append(f"run_as_user={uid}, run_as_group={d(st.sampled_from((101, 1000, 65534, INT32_MAX)))}")
        if self.flag(15):
            args.append(f"termination_grace_period_seconds={d(st.sampled_from((1, 5, 120, INT32_MAX)))}")
        return args

    def command(self, base: list[str]) -> list[str]:
        if self.flag(30):
            return [*base, self.draw(st.sampled_from(ARGS + (YAML_AMBIGUOUS if self.tricky else ())))]
        return base

    # ------------------------------------------------------------------ the app
    def app(self) -> str:
        d = self.draw
        name = d(dns_label(32).filter(lambda s: s not in ("postgres", "root") and s not in SYSTEM_NAMESPACES))
        version = d(st.sampled_from(VERSIONS + (AMBIGUOUS_VERSIONS if self.tricky else ())))
        two = self.flag(55) and self.twist is None  # a twist's app is small: one Environment, a few workloads
        local_index = d(st.integers(0, 1)) if two else 0
        env_names: list[str] = []
        envs: list[Env] = []
        mirror = two and self.flag(40) and self.twist is None
        total = d(st.integers(1, 4 if mirror or self.twist else 8))
        if two and not mirror:
            first = d(st.integers(0, total))
            counts = [first, total - first]
        else:
            counts = [total, total]
        shared: Plan | None = None
        domains_for_mirror = self.flag(70)
        mirror_ns = d(dns_label(20).filter(lambda s: s not in SYSTEM_NAMESPACES)) if mirror and self.flag(15) else None
        for i in range(2 if two else 1):
            env_name = _unique(d, dns_label(20, ("dev", "prod", "staging", "local", "e2e")), set(env_names))
            env_name = env_name or f"env{i}"
            env_names.append(env_name)
            local = i == local_index
            # Outside a local Environment, databases keep their volumes (a StorageClass that retains them).
            props = ["local=True"] if local else ["data_storage=DataStorage('ebs.csi.aws.com')"]
            if i > 0:  # CI would record the app's images into the first Environment and promote them from there
                props.append("unpinned_images='a random test app: its images are never pushed'")
            self.twisting = self.twist is not None and i == 0
            has_domain = domains_for_mirror if mirror else self.flag(70)
            if self.twisting and self.twist in ("shared-public-host", "x-prefixed-id"):
                has_domain = True
                props.append("domain='example.com'")
            elif has_domain:
                props.append(f"domain={_q(d(st.sampled_from(('example.com', 'dev.example.com', 'a-b.example.org'))))}")
            if self.flag(30):
                props.append(f"replicas={d(st.integers(1, 3))}")
            if self.twisting and self.twist == "flux-migrate-clash":
                props.append("gitops='flux'")
            elif self.flag(35):
                props.append(f"gitops={_q(d(st.sampled_from(('argocd', 'flux'))))}")
            if self.flag(25):
                props.append('secret_store=SecretStore("vault")')
            if self.flag(15):
                props.append('ingress_namespace="traefik", ingress_class="traefik"')
            if has_domain and self.flag(30):
                props.append('cluster_issuer="letsencrypt"')
            default_ns = name
            if mirror:
                default_ns = mirror_ns or name
                if mirror_ns:
                    props.append(f"namespace={_q(mirror_ns)}")
            elif self.flag(15):
                default_ns = d(dns_label(20).filter(lambda s: s not in SYSTEM_NAMESPACES))
                props.append(f"namespace={_q(default_ns)}")
            if shared is None or not mirror:
                shared = self.plan(default_ns, local=local or mirror, has_domain=has_domain, count=counts[i])
            plan = shared
            if not local:  # TLS between its databases and their clients, but mongodb's, which shipform serves plain
                props.append("plain_databases='a random test app: mongodb speaks plain text'"
                             if any(w.engine == "mongodb" for w in plan.workloads)
                             else "tls_issuer=Issuer(name='internal-ca')")
            self.twisting = False
            env = Env(f"e{i}", env_name, props, plan)
            if self.twist is None:  # the operators this cluster runs (each adds its own props below)
                env.rollouts, env.keda = self.flag(30), self.flag(30)
                env.mesh = d(st.sampled_from(("istio", "linkerd"))) if self.flag(30) else None
                # Under a mesh KEDA's operator is enrolled too: a meshed queue admits it by identity alone.
                keda = "keda=Keda(in_mesh=True)" if env.mesh else "keda=Keda()"
                props += [*(["rollouts='argo'"] if env.rollouts else []), *([keda] if env.keda else []),
                          *([f"mesh=Mesh(kind={_q(env.mesh)})"] if env.mesh else [])]
            envs.append(env)
        lines = [HEADER, f"app = App({_q(name)}, registry='ghcr.io/acme', version={_q(version)})"]
        for env in envs:
            lines.append(f"{env.var} = Environment(app, {_q(env.name)}{''.join(', ' + p for p in env.props)})")
        for env in envs:
            lines += self.emit(env)
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ one Environment's namespaces and workloads
    def plan(self, default_ns: str, local: bool, has_domain: bool, count: int) -> Plan:
        d = self.draw
        plan = Plan(default_ns, local, has_domain)
        ns_ids: set[str] = set()
        for i in range(d(st.integers(1, 3))):
            ns_id = _unique(d, dns_label(63, ("front", "back", "data", "shop", "ops")), ns_ids,
                            lambda s: s not in SYSTEM_NAMESPACES)
            if ns_id is None:
                continue
            ns_ids.add(ns_id)
            plan.namespaces.append(Namespace(f"n{i}", ns_id, deployers=self.flag(40), viewers=self.flag(30)))
        for ns in plan.namespaces:
            others = [o.id for o in plan.namespaces if o is not ns]
            if others and self.flag(60):
                ns.accepts = d(st.lists(st.sampled_from(others), min_size=1, unique=True))
        forced: list[dict] = []
        if self.twisting and self.twist in ("run-secrets-writable", "dotted-secret-refs", "trailing-newline",
                                            "unicode-digit"):
            forced = [{"kind": d(st.sampled_from(("web", "worker", "cron", "job")))}]
        elif self.twisting and self.twist == "shared-public-host":
            forced = [{"kind": "web", "public": True}, {"kind": "web", "public": True, "host_of": "w0"}]
        elif self.twisting and self.twist == "x-prefixed-id":
            forced = [{"kind": "web", "public": True, "wid": d(st.sampled_from(("x", "x-ray", "x-api")))}]
        elif self.twisting and self.twist == "flux-migrate-clash":
            forced = [{"kind": "web", "migrate": True}, {"kind": d(st.sampled_from(("job", "worker"))),
                                                        "id_of": "w0"}]
        for i in range(max(count, len(forced))):
            self.workload(plan, f"w{i}", **(forced[i] if i < len(forced) else {}))
        if not local:
            self.close_loops(plan)
        return plan

    def accepted(self, plan: Plan, client_ns: str, server_ns: str) -> bool:
        if client_ns == server_ns:
            return True
        return any(ns.id == server_ns and client_ns in ns.accepts for ns in plan.namespaces)

    @staticmethod
    def derived(kind: str, wid: str) -> set[str]:
        """Object names a workload takes besides its own (in its namespace, or compose's one namespace)."""
        names = {wid}
        if kind == "db":
            names |= {f"{wid}-headless", f"{wid}-backup", f"{wid}-backups"}
        if kind == "web":
            names |= {f"{wid}-migrate", f"{wid}-public"}
        return names

    def taken(self, plan: Plan, namespace: str, scope: str | None) -> set[str]:
        """Names a new workload (and the names derived from it) must avoid. Constructs created directly in the
        Environment share its scope with the SecureNamespaces."""
        names = set(NAMESPACE_OBJECTS)
        if scope is None:
            names |= {ns.id for ns in plan.namespaces}
        for w in plan.workloads:
            if plan.local or w.namespace == namespace or (scope is None and w.scope is None):
                names |= self.derived(w.kind, w.id)
        return names

    def workload(self, plan: Plan, var: str, kind: str | None = None, public: bool | None = None,
                 host_of: str | None = None, migrate: bool | None = None, id_of: str | None = None,
                 wid: str | None = None) -> None:
        """``kind`` and the rest force what a twist needs; otherwise everything is drawn."""
        d = self.draw
        kind = kind or d(st.sampled_from(("web", "web", "web", "worker", "cron", "job", "db", "db")))
        places: list[str | None] = [ns.id for ns in plan.namespaces]
        if self.flag(12):
            places.append(None)
        scope = d(st.sampled_from(places))
        namespace = scope if scope is not None else plan.default_namespace
        if id_of is not None:  # the twist's clash: the same namespace, the other's derived name
            other = next(w for w in plan.workloads if w.var == id_of)
            scope, namespace = other.scope, other.namespace
        migrate = kind == "web" and (self.flag(20) if migrate is None else migrate)
        backup = kind == "db" and self.flag(40)
        max_len = {"web": 55 if migrate else 63, "worker": 63, "job": 63, "cron": 52, "db": 45 if backup else 52}[kind]
        taken = self.taken(plan, namespace, scope)
        def free(s: str) -> bool:
            return not (self.derived(kind, s) & taken) and s not in self.built_names

        wid = wid or _unique(d, dns_label(max_len), taken, free) or next(
            f"{kind}{i}" for i in itertools.count(len(plan.workloads)) if free(f"{kind}{i}"))
        if id_of is not None:
            wid = f"{next(w for w in plan.workloads if w.var == id_of).id}-migrate"
        w = Workload(var, kind, wid, scope, namespace)
        if host_of is not None:  # the twist's clash: the other's host (its domain is example.com)
            w.host = (next(o for o in plan.workloads if o.var == host_of).host or "").replace("<domain>", "example.com")
        getattr(self, f"_{kind}")(plan, w, migrate=migrate, backup=backup, public=public)
        if w.built:
            self.built_names.add(wid)
        self.connect(plan, w)
        plan.workloads.append(w)

    def image(self, plan: Plan, w: Workload, command: list[str] | None, batch: bool) -> None:
        """image=, build= or (batch only) image_of= with a command."""
        d = self.draw
        sources = ["image", "python", "node", "go"]
        images = [o for o in plan.workloads if o.kind in ("web", "worker")]
        if batch and images:
            sources.append("image_of")
        source = d(st.sampled_from(sources))
        if source == "image":
            w.args.append('image="nginx:1.27.3"')
            if command:
                w.args.append(f"command={command!r}")
        elif source == "image_of":
            w.args.append(f"image_of={d(st.sampled_from(images)).var}")
            w.args.append(f"command={(command or ['sh', '-c', 'run-task'])!r}")
        else:
            w.built = True
            if source == "go":
                w.args.append('build=Build.go("go")')
            else:
                base = command or (["gunicorn", "app:app"] if source == "python" else ["node", "server.js"])
                context = {"python": "py", "node": "node"}[source]
                w.args.append(f"build=Build.{source}({_q(context)}, {base!r})")

    def _web(self, plan: Plan, w: Workload, migrate: bool, public: bool | None, **_) -> None:
        d = self.draw
        self.image(plan, w, self.command(["gunicorn", "app:app"]) if self.flag(30) else None, batch=False)
        public = plan.has_domain and (self.flag(40) if public is None else public)
        used = {o.port for o in plan.workloads if "public=True" in o.args} if plan.local else set()
        port = _unique(d, st.one_of(st.sampled_from(PORT_POOL), st.integers(1024, 65535)).map(str),
                       {str(p) for p in used}) or next(str(p) for p in itertools.count(1024) if p not in used)
        w.port = int(port)
        if self.flag(25):  # named ports: the first is the main one, which clients and the Ingress use
            extra = 50051 if w.port != 50051 else 50052
            w.args.append(f'ports={{"http": {port}, "grpc": {extra}}}')
        else:
            w.args.append(f"port={port}")
        w.prefix = w.id.upper().replace("-", "_")
        health = d(st.sampled_from(("default", "http", "tcp", "exec")))
        if health == "http":
            path = d(st.sampled_from(("/healthz", "/", "/ready?full=1", "/a%20b", "/x/y:z")))
            w.args.append(f"health=Health.http({_q(path)}{_timings(d)})")
        elif health == "tcp":
            w.args.append(f"health=Health.tcp({_timings(d).lstrip(', ')})")
        elif health == "exec":
            w.args.append(f"health=Health.exec(['/bin/check', '--ready']{_timings(d)})")
        forced_host = w.host
        if public and forced_host is None:
            w.host = f"{w.id}.apps.example.net" if self.flag(30) else f"{w.id}.<domain>"  # the default host
            if w.host in plan.hosts:  # another public service of this id has it (in another namespace)
                public, w.host = False, None
        if public:
            assert w.host is not None
            plan.hosts.add(w.host)
            w.args.append("public=True")
            if forced_host is not None or not w.host.endswith(".<domain>"):
                w.args.append(f"host={_q(w.host)}")
        if migrate:
            w.args.append("migrate=Migration(['python', '-m', 'migrate'])")
        self._scale(w)
        w.args += self.common_args(w)
        if self.flag(20):
            w.args.append(f"volumes={d(st.sampled_from(SCRATCH))}")
        if self.flag(25) and len(w.id) <= 55:  # its second Service, '<id>-preview' or '<id>-canary', is a DNS label
            w.strategy = d(st.sampled_from(("Canary(steps=[10, '1m', 50, 'promote'])", "Canary()",
                                            "BlueGreen()", "BlueGreen(auto_promote_seconds=0)")))

    def _scale(self, w: Workload) -> None:
        d = self.draw
        if self.flag(25):
            w.args.append(f"replicas={d(st.integers(1, 4))}")
        if self.flag(20):
            low = d(st.integers(1, 4))
            w.args.append(f"autoscale=Autoscale(min={low}, max={d(st.integers(low, 6))}, "
                          f"cpu_percent={d(st.sampled_from((1, 50, 70, 100)))})")

    def _worker(self, plan: Plan, w: Workload, **_) -> None:
        d = self.draw
        self.image(plan, w, self.command(["python", "-m", "worker"]), batch=False)
        if self.flag(50):
            w.args.append(f"health=Health.exec(['python', '-m', 'worker.health']{_timings(d)})")
        else:
            w.args.append(f"health=Health.none({_q(d(st.sampled_from(HEALTH_REASONS)))})")
        self._scale(w)
        w.args += self.common_args(w)
        if self.flag(25):
            w.strategy = d(st.sampled_from(("Canary(steps=[25, '30s'])", "Canary()")))

    def _batch(self, plan: Plan, w: Workload) -> None:
        d = self.draw
        self.image(plan, w, self.command(["python", "-m", "task"]), batch=True)
        if self.flag(25):
            w.args.append(f"backoff_limit={d(st.sampled_from((0, 1, 6, INT32_MAX)))}")
        if self.flag(20):
            w.args.append(f"active_deadline_seconds={d(st.sampled_from((1, 600, INT32_MAX)))}")
        if self.flag(20):
            w.args.append(f"ttl_seconds_after_finished={d(st.sampled_from((0, 60, INT32_MAX)))}")
        w.args += self.common_args(w)

    def _cron(self, plan: Plan, w: Workload, **_) -> None:
        d = self.draw
        w.args.append(f"schedule={_q(d(st.sampled_from(SCHEDULES)))}")
        if self.flag(25):
            zone = d(st.sampled_from(("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires")))
            w.args.append(f"time_zone={_q(zone)}")
        if self.flag(20):
            w.args.append(f"concurrency_policy={_q(d(st.sampled_from(('Forbid', 'Replace', 'Allow'))))}")
        if self.flag(15):
            w.args.append(f"starting_deadline_seconds={d(st.sampled_from((10, INT32_MAX)))}, "
                          f"successful_jobs_history_limit={d(st.sampled_from((0, 3, INT32_MAX)))}, "
                          f"failed_jobs_history_limit={d(st.sampled_from((0, 1, INT32_MAX)))}")
        self._batch(plan, w)

    def _job(self, plan: Plan, w: Workload, **_) -> None:
        if self.flag(15):
            w.args.append("pre_sync_hook=True")
        self._batch(plan, w)

    def _db(self, plan: Plan, w: Workload, backup: bool, **_) -> None:
        d = self.draw
        engine = d(st.sampled_from(sorted(ENGINES)))
        w.engine = engine
        w.args += [f"engine={_q(engine)}", f"version={_q(ENGINES[engine])}"]
        w.port = {"postgres": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379, "mongodb": 27017}[engine]
        w.prefix = w.id.upper().replace("-", "_")
        if self.flag(20):
            w.prefix = d(st.sampled_from(("DATABASE", "CACHE", "STORE")))
            w.args.append(f"env_prefix={_q(w.prefix)}")
        if self.flag(25):
            w.args.append(f"storage={_q(d(st.sampled_from(('1Gi', '500Mi', '20G', '1.5Gi'))))}")
        if self.flag(15):
            w.args.append('storage_class="fast-ssd"')
        if self.flag(15):
            w.args.append(f"access_mode={_q(d(st.sampled_from(('ReadWriteOncePod', 'ReadWriteMany'))))}")
        if self.flag(20):
            w.args.append(f"user={_q(d(st.sampled_from(('app', 'app_user', 'orders-svc'))))}, "
                          f"database={_q(d(st.sampled_from(('orders', 'app_db', 'x-1'))))}")
        if self.flag(15):
            w.args.append('password_env="the ORM reads only DATABASE_URL"')
        if self.flag(15):
            w.args.append('password=SecretRef("shared-db", "pw")')
        if self.flag(10):
            w.args.append(f"resources={d(st.sampled_from(RESOURCES))}")
        if backup:
            extra = ""
            if self.flag(40):
                endpoint = d(st.sampled_from(("", ', endpoint="https://s3.example.com:9000"',
                                              ', endpoint="https://minio.example.com"')))
                extra += (f', to=S3Target("acme-backups", SecretRef("backup-s3", "credentials"){endpoint}, '
                          'restore_credentials=SecretRef("restore-s3", "credentials"))')
            else:  # the same plan may serve a non-local Environment, where dumps on a claim need a reason
                extra += ', in_cluster="a random test app: its dumps matter to nobody"'
            if self.flag(20):
                extra += ', size="2Gi", storage_class="slow"'
            w.args.append(f"backup=Backup(schedule={_q(d(st.sampled_from(SCHEDULES)))}, "
                          f"retention={d(st.integers(1, 30))}{extra})")

    # ------------------------------------------------------------------ connections
    def servers_ok(self, plan: Plan, client: Workload, candidates: list[Workload]) -> list[Workload]:
        have = {t.prefix for t in plan.workloads if t.var in client.targets + client.later}
        return [t for t in candidates if t.prefix not in have and t is not client
                and self.accepted(plan, client.namespace, t.namespace)]

    def connect(self, plan: Plan, w: Workload) -> None:
        if w.kind == "db":
            return
        for _ in range(self.draw(st.integers(0, 3))):
            options = self.servers_ok(plan, w, [t for t in plan.workloads if t.prefix is not None])
            if not options:
                break
            w.targets.append(self.draw(st.sampled_from(options)).var)

    def close_loops(self, plan: Plan) -> None:
        """Back edges (a client created before its server), which only ``.connects_to.append`` can add."""
        for _ in range(self.draw(st.integers(0, 2))):
            clients = [w for w in plan.workloads if w.kind != "db"]
            if not clients:
                return
            client = self.draw(st.sampled_from(clients))
            later = plan.workloads[plan.workloads.index(client) + 1:]
            options = self.servers_ok(plan, client, [t for t in later if t.prefix is not None])
            if options:
                client.later.append(self.draw(st.sampled_from(options)).var)

    # ------------------------------------------------------------------ source text
    @staticmethod
    def operations(env: Env, w: Workload) -> list[str]:
        """What the Environment's operators add to a workload: its drawn rollout strategy, and a queue to scale
        on for a worker connected to a redis database (not while an autoscaler owns the count)."""
        args = [f"strategy={w.strategy}"] if env.rollouts and w.strategy else []
        if env.keda and w.kind == "worker" and not any(a.startswith("autoscale=") for a in w.args):
            redis = [t for t in w.targets if next(o for o in env.plan.workloads if o.var == t).engine == "redis"]
            if redis:
                args.append(f"scale_on=Queue(on={env.var}_{redis[0]}, name='jobs', max=3)")
        return args

    @staticmethod
    def migration(env: Env, w: Workload, arg: str) -> str:
        """A migration names the databases it migrates where its service connects to servers but not to exactly
        one database (redis is none): the default takes that one."""
        if not arg.startswith("migrate="):
            return arg
        kinds = {o.var: o.engine for o in env.plan.workloads}
        servers = w.targets + w.later
        databases = [t for t in w.targets if kinds[t] not in (None, "redis")]  # the later ones do not exist yet
        if not servers or len([t for t in servers if kinds[t] not in (None, "redis")]) == 1:
            return arg
        named = ", ".join(f"{env.var}_{t}" for t in databases)
        return f"migrate=Migration(['python', '-m', 'migrate'], connects_to=[{named}])"

    def emit(self, env: Env) -> list[str]:
        plan, e = env.plan, env.var
        lines = []
        defined: list[str] = []
        for ns in plan.namespaces:
            args = [f"quota={QUOTA}"]
            early = [o for o in plan.namespaces if o.id in ns.accepts and o.var in defined]
            if early:
                args.append(f"accepts_from=[{', '.join(f'{e}_{o.var}' for o in early)}]")
            if ns.deployers:
                args.append('deployers=[Subject.service_account("argocd", "argocd-application-controller")]')
            if ns.viewers:
                args.append('viewers=[Subject.group("devs"), Subject.user("ana@example.com")]')
            if env.mesh:
                args.append(f"mesh={_q(env.mesh)}")
            lines.append(f"{e}_{ns.var} = SecureNamespace({e}, {_q(ns.id)}, {', '.join(args)})")
            defined.append(ns.var)
        for ns in plan.namespaces:
            for other in plan.namespaces:
                if other.id in ns.accepts and plan.namespaces.index(other) >= plan.namespaces.index(ns):
                    lines.append(f"{e}_{ns.var}.accepts_from.append({e}_{other.var})")
        by_ns = {ns.id: f"{e}_{ns.var}" for ns in plan.namespaces}
        ctor = {"web": "WebService", "worker": "Worker", "cron": "CronJob", "job": "Job", "db": "StatefulDB"}
        for w in plan.workloads:
            scope = e if w.scope is None else by_ns[w.scope]
            args = [_q(w.id), *(self.migration(env, w, a.replace("image_of=", f"image_of={e}_")) for a in w.args)]
            if w.targets:
                args.append(f"connects_to=[{', '.join(f'{e}_{t}' for t in w.targets)}]")
            args += self.operations(env, w)
            lines.append(f"{e}_{w.var} = {ctor[w.kind]}({scope}, {', '.join(args)})")
        for w in plan.workloads:
            lines += [f"{e}_{w.var}.connects_to.append({e}_{t})" for t in w.later]
        if self.twist == "egress-in-another-spelling" and env.var == "e0":
            cidrs = self.draw(forbidden_egress())
            lines.append(f'External({e}, "zz-outside", host="pay.example.com", port=443, cidrs={cidrs!r})')
        return lines


@st.composite
def app_sources(draw, tricky: bool = True, twist: str | None = None) -> str:
    """The source text of a random valid app (see the module docstring). ``tricky=False`` leaves out the env
    values and versions that only some YAML readers take for strings; ``twist`` (one of TWISTS)
    makes the first Environment show one known problem, on top of everything else drawn at random."""
    return _Drawer(draw, tricky, twist).app()
