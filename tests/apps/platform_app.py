"""A 50-workload platform app in three Environments (local, Argo CD with External Secrets, Flux) that uses every
construct and most props: several SecureNamespaces with a cross-namespace connection, every database engine with
volume and S3 backups, migrations, autoscaling, configuration values and files, workers with and without health,
CronJobs, a seed Job, a prebuilt image and Knative Eventing (a Broker fed by a schedule and Kafka). Tests use it
where the reference app is too small to show a rule holds."""

from __future__ import annotations

from pathlib import Path

from shipform import (
    Analysis,
    ApiServer,
    App,
    Autoscale,
    AwsRole,
    Backup,
    BlueGreen,
    Broker,
    Build,
    Canary,
    CronJob,
    CustomMetric,
    DataStorage,
    Destination,
    Environment,
    External,
    Ha,
    Health,
    HostPath,
    Job,
    KafkaSource,
    Keda,
    KnativeServing,
    Mesh,
    Metrics,
    Migration,
    Monitoring,
    NodeAgent,
    On,
    PingSource,
    Queue,
    Quota,
    Resources,
    RoutedCanary,
    S3Target,
    Scratch,
    SecretRef,
    SecretStore,
    SecureNamespace,
    Serverless,
    StatefulDB,
    Subject,
    Telemetry,
    Toleration,
    Volume,
    WebService,
    Worker,
)


def build(root: Path, scale: int = 4) -> App:
    """The app, with build contexts under ``root`` (see conftest.write_sources). ``scale`` 4 is the full app
    (50 workloads per Environment); 1 keeps every construct and prop family with a quarter of the services
    (what the validators judge, to keep their run short)."""
    app = App("mixed", registry="ghcr.io/acme", version="2.0.1", root=root, repository="https://github.com/acme/mixed.git")
    dev = Environment(app, "dev", local=True, domain="dev.example.com")
    # prod rolls out with Argo Rollouts and scales a worker by its queue with KEDA; stage runs Linkerd. Each runs in
    # a cluster of its own (they own the same namespaces): prod's by its API server, stage's Flux by name.
    # Its images are never pushed, so no Environment after the first has their digests: it says why.
    never_pushed = "the generated test app: its images are never pushed"
    prod = Environment(app, "prod", replicas=3, domain="example.com", cluster_issuer="le", unpinned_images=never_pushed,
                       secret_store=SecretStore("vault"), monitoring=Monitoring(labels={"release": "prom"}),
                       rollouts="argo", keda=Keda(), knative=KnativeServing(),
                       destination=Destination(server="https://prod.example.com:6443"),
                       plain_databases="mongodb has no TLS in shipform yet: prod here is a test cluster",
                       data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))
    stage = Environment(app, "stage", replicas=2, domain="stage.example.com", gitops="flux", cilium=True,
                        unpinned_images=never_pushed, destination=Destination(name="stage"),
                        data_storage=DataStorage("pd.csi.storage.gke.io"),
                        gateway="gateways/public", telemetry=Telemetry(protocol="http/protobuf",
                                                                       endpoint="http://otel.observability.svc:4318"),
                        mesh=Mesh(kind="linkerd", retries=1, timeout="30s"))
    for env in (dev, prod, stage):
        front = SecureNamespace(env, "front", quota=Quota(cpu="40", memory="80Gi", cpu_limit="80", memory_limit="160Gi",
                                                          pods=400),
                                deployers=[Subject.service_account("argocd", "argocd-application-controller")],
                                viewers=[Subject.group("devs")], mesh="linkerd" if env is stage else None)
        back = SecureNamespace(env, "back", accepts_from=[front],
                               quota=Quota(cpu="40", memory="80Gi", cpu_limit="80", memory_limit="160Gi", pods=400,
                                           storage="500Gi", persistent_volume_claims=40, load_balancers=1,
                                           node_ports=2), mesh="linkerd" if env is stage else None)
        dbs = []
        for i, eng in enumerate(["postgres", "mysql", "mariadb", "redis", "mongodb"]):
            ver = {"postgres": "16", "mysql": "8.4", "mariadb": "11.4", "redis": "7.4", "mongodb": "8.0"}[eng]
            backup = None
            if eng != "redis":
                # An on-premises MinIO in its own subnet (the reference app's prod uploads to a public one).
                bucket = S3Target("acme-bk", SecretRef("s3", "credentials"), endpoint="https://s3.example.com:9000",
                                  restore_credentials=SecretRef("s3-read", "credentials"),
                                  cidrs=("10.50.0.0/24",))
                backup = Backup(schedule="0 3 * * *", retention=3, to=bucket if i % 2 else None,
                                in_cluster=None if i % 2 or env is dev else "Velero copies the claim off-site")
            # The engines that offer TLS take it from a Secret (cert-manager's format).
            tls = f"db{i}-tls" if eng in ("postgres", "redis", "mariadb") else None
            ha = None
            if eng == "postgres" and env is prod:
                # prod's postgres is a CloudNativePG cluster; barman reaches the MinIO as an IAM role.
                ha = Ha(api_server=ApiServer(cidrs=["10.0.0.10/32"], port=6443))
                backup = Backup(schedule="0 3 * * *", to=S3Target(
                    "acme-bk", endpoint="https://s3.example.com:9000", cidrs=("10.50.0.0/24",),
                    identity=AwsRole("arn:aws:iam::123456789012:role/mixed-barman")))
            dbs.append(StatefulDB(back, f"db{i}", engine=eng, version=ver, storage="5Gi", backup=backup, tls=tls,
                                  ha=ha))
        # Outside the cluster: a SaaS API by name, a managed database by its subnet.
        saas = External(back, "saas", host="api.saas.example.com", port=443, scheme="https",
                        secrets={"TOKEN": SecretRef("saas", "token")})
        ledger = External(back, "ledger", host="10.40.0.12", port=5432, cidrs=["10.40.0.0/24"], engine="postgres",
                          user="ledger", tls_ca=SecretRef("ledger-ca", "ca.pem"))
        events = External(back, "events", host="kafka.example.com", port=9092)
        apis = []
        for i in range(3 * scale):
            # api0 serves HTTP, metrics and gRPC; its clients use one or two of them (see the workers).
            ports = {"http": 8000, "metrics": 9100, "grpc": 50051} if i == 0 else {"http": 8000 + i}
            apis.append(WebService(back, f"api{i}", build=Build.python("py", ["gunicorn", "app:app"]), ports=ports,
                                   health=Health.http("/healthz"), connects_to=[dbs[i % 5], *apis[-1:]],
                                   secrets={"SESSION_KEY": SecretRef("api-secrets", "session-key")},
                                   env={"PRICE": "$5"}, config={"LOG_LEVEL": "info", "REGION": env.name},
                                   files={"/etc/app/app.yaml": "config/app.yaml"} if i % 2 else {},
                                   migrate=Migration(["python", "-m", "migrate"]) if i % 4 == 0 else None,
                                   autoscale=Autoscale(min=2, max=4, memory_percent=80, scale_down_percent=50,
                                                       scale_up_pods=2, metrics=[CustomMetric(
                                                           "http_requests_per_second", average="50")] if i == 3
                                                       else ())
                                   if i % 3 == 0 else None, recommend_resources=i == 1,
                                   metrics=Metrics(port="metrics") if i == 0 else None,
                                   # In prod api1 rolls out as a canary judged by Prometheus, api2 blue-green.
                                   strategy=(Canary(steps=[25, "2m", 50, "promote"], analysis=Analysis(
                                       query='sum(up{namespace="{{args.namespace}}"})', success="result[0] >= 1"))
                                             if i == 1 else BlueGreen(auto_promote_seconds=300) if i == 2 else None)
                                   if env is prod else None))
        webs = []
        for i in range(2 + 2 * scale):
            # web1 runs on the distroless Node runtime (pinned by digest: distroless has no version tags).
            distroless = {"runtime": "distroless", "runtime_digest": "sha256:" + "d" * 64} if i == 1 else {}
            webs.append(WebService(front, f"web{i}", build=Build.node("node", ["node", "server.js"], **distroless),
                                   port=3000 + i,
                                   health=Health.http("/", host=f"web{i}.example.com"), public=i % 2 == 0,
                                   connects_to=[apis[i % len(apis)]], writable_paths=["/tmp", "/var/cache/app"],
                                   # web2's new version takes a fifth of the public traffic, beside 2.0.0.
                                   strategy=RoutedCanary(weight=20, stable="2.0.0") if i == 2 and env is not dev
                                   else None))
            if i % 2 == 0 and env is not stage:  # WebSockets through ingress-nginx (stage routes through a Gateway)
                webs[-1].ingress.add_annotations({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"})
        for i in range(2 * scale):
            # go0 serves gRPC and HTTP, checked with the gRPC health protocol.
            ports = {"grpc": 9000, "http": 9100} if i == 0 else {"tcp": 9000 + i}
            WebService(front, f"go{i}", build=Build.go("go"), ports=ports,
                       health=Health.grpc() if i == 0 else Health.tcp(),
                       resources=Resources(cpu="50m", memory="64Mi", cpu_limit="200m", memory_limit="128Mi"),
                       connects_to=[apis[i]])
        # A team's own Dockerfile next to the presets: it names its user, so the service runs as that one.
        WebService(front, "legacy", build=Build.dockerfile("own/Dockerfile"), port=8800,
                   health=Health.exec(["python", "-m", "app.health"]), run_as_user=10001, run_as_group=10001)
        for i in range(2 + scale):
            # Workers compile a native dependency; worker1 keeps a spool on a volume (one replica) and a cache.
            spool = {"replicas": 1, "volumes": {"/var/spool/w": Volume(size="1Gi"),
                                                "/var/cache/w": Scratch(size="128Mi")}} if i == 1 else {}
            Worker(back, f"worker{i}", build=Build.python("py", ["python", "-m", "w"], build_packages=["gcc"],
                                                           runtime_packages=["libpq5"], args={"FLAVOR": "full"}),
                   connects_to=[dbs[i % 5], apis[i] if i else apis[0].on("grpc", "metrics"),
                                *([saas, ledger] if i < 2 else [])], **spool,
                   health=Health.exec(["python", "-m", "w.health"]) if i % 2
                   else Health.none("consumes a queue and exits when the connection breaks"),
                   metrics=Metrics(port=9102) if i == 0 else None)  # scraped through its pods where monitored
        for i in range(scale):
            CronJob(back, f"cron{i}", schedule="*/15 * * * *", image_of=apis[i], command=["python", "-m", "c"],
                    connects_to=[dbs[i]], time_zone="Europe/Berlin" if i % 2 else None,
                    files={"/etc/report/app.yaml": "config/app.yaml"})
        # Renders thumbnails on request: in prod Knative runs it, none while idle. Its cluster's pods may all call it
        # through Knative's shared gateway, which the app accepts (it only resizes public images).
        thumbs = WebService(back, "thumbs", image="ghcr.io/acme/thumbs:2.0.1", port=8080, connects_to=[dbs[0]],
                            health=Health.http("/healthz"),
                            serverless=Serverless(min=0, max=3, concurrency=20) if env is prod else None,
                            accepted_risks={"knativeSharedGateway": "it resizes public images and holds no user "
                                            "data; a caller gains only CPU time"})
        webs[3].connects_to.append(thumbs)
        # Drains a Kafka topic: in prod KEDA runs a replica per 100 messages of lag, none without.
        Worker(back, "consumer", image_of=apis[0], command=["python", "-m", "consume"], connects_to=[events],
               health=Health.exec(["python", "-m", "consume", "--check"]),
               scale_on=Queue(on=events, name="orders", kind="kafka", per_replica=100, max=3) if env is prod else None)
        Job(back, "seed", image_of=apis[0], command=["python", "-m", "seed"], connects_to=[dbs[0]])
        # Events through a Broker outside the meshes: a schedule and the Kafka topics the consumer drains feed it, an
        # hourly job sends its own; the notifier receives them (Knative runs it in prod).
        bus = SecureNamespace(env, "bus", quota=Quota(cpu_limit="8", memory_limit="16Gi"))
        orders = Broker(bus, "orders")
        tick = PingSource(bus, "tick", schedule="*/5 * * * *", to=orders)
        feed = KafkaSource(bus, "feed", servers=[events, "kafka-2.example.com:9092"], topics=["orders", "refunds"],
                           to=orders, tls=False, consumer_group="mixed-feed")
        WebService(bus, "notifier", image="ghcr.io/acme/notifier:2.0.1", port=8080, health=Health.http("/healthz"),
                   events=[On(orders, type="order.created", attributes={"tenant": "acme"}), On(tick), On(feed)],
                   serverless=Serverless(max=2) if env is prod else None,
                   accepted_risks={"knativeSharedGateway": "it acts on CloudEvents from the Broker alone"})
        CronJob(bus, "announce", schedule="@hourly", image="ghcr.io/acme/notifier:2.0.1",
                command=["python", "-m", "announce"], connects_to=[orders])
        apis[0].deployment.add_labels({"acme.com/team": "core"})
        env.include("config/extra.yaml")
        # A log shipper on every node, reading the node's logs: host access in a namespace that says why.
        agents = SecureNamespace(env, "node-agents", host_access="the log shipper reads each node's /var/log and "
                                 "the metrics agent watches the node's network",
                                 quota=Quota(pods=50, cpu="10", memory="20Gi", cpu_limit="30", memory_limit="60Gi"))
        NodeAgent(agents, "log-shipper", image="ghcr.io/acme/log-shipper:2.0.1", health=Health.exec(["/bin/health"]),
                  tolerations=[Toleration.everything()], priority_class="system-node-critical", max_nodes=40,
                  host_paths={"/host/var/log": HostPath("/var/log")}, connects_to=[saas])
        # A metrics agent on the node's network, which no NetworkPolicy confines on most CNIs: it says why, and
        # keeps its state in a node folder it writes, with the reason.
        NodeAgent(agents, "node-metrics", image="ghcr.io/acme/node-metrics:2.0.1", health=Health.exec(["/bin/health"]),
                  max_nodes=10, host_network=True, connects_to=[saas],
                  host_paths={"/host/textfiles": HostPath("/opt/node-metrics/textfiles"),
                              "/host/state": HostPath("/var/lib/node-metrics", writable=True,
                                                      reason="keeps its counters across restarts of the agent")},
                  accepted_risks={"hostNetwork": "reports the node's own sockets; its egress to the SaaS is not "
                                                 "confined where the CNI ignores host-network pods"})
        # A broker for devices outside the cluster: a load balancer on both its ports, no Ingress.
        WebService(back, "broker", image="ghcr.io/acme/broker:2.0.1", ports={"mqtt": 1883, "ws": 8083},
                   expose="load-balancer", replicas=1)
        # The official nginx image as it is: its own user and a writable root, each relaxation with its reason.
        nginx = "the official nginx image runs as its user 101 and writes its pid and cache under /var"
        WebService(env, "plain", image="nginx:1.27.3", port=8080, run_as_user=101, run_as_group=101,
                   read_only_root_filesystem=False,
                   accepted_risks={"CKV_K8S_22": nginx, "CKV_K8S_40": nginx, "KSV-0014": nginx,
                                   "KSV-0020": nginx, "KSV-0021": nginx})
        # A capability added through the escape hatch, accepted with its reason: written for checkov and trivy.
        tunnel = WebService(env, "tunnel", image="ghcr.io/acme/tunnel:1.0.0", port=8443,
                            accepted_risks={"capabilities": "the tunnel endpoint configures its own tun device"})
        tunnel.deployment.add_json_patch({"op": "add", "value": ["NET_ADMIN"],
                                          "path": "/spec/template/spec/containers/0/securityContext/capabilities/add"})
    return app
