"""The documentation's code is real. Every Python block of README.md and docs/**/*.md is a whole file of
docs/examples/: the README shows it written out, named on its first line (`# docs/examples/<name>.py`); the site's
pages include it (`--8<-- "docs/examples/<name>.py"`, which test_site.py checks the built page shows whole), so a
reader who copies a block gets that file. Each example is synthesized by the `shipform synth` command into a
scratch folder and writes what its page promises, and every `shipform ...` command the documents give exists with
the options they show."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from conftest import REPO

EXAMPLES = REPO / "docs" / "examples"
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S)
HEADER = re.compile(r"# (docs/examples/[a-z0-9_]+\.py)")
INCLUDED = re.compile(r'--8<-- "(docs/examples/[a-z0-9_]+\.py)"\n')
GUIDE = REPO / "docs" / "guide"


def blocks(lang: str) -> Iterator[tuple[str, str]]:
    """(where, text) of every fenced block of that language in the documents, unindented."""
    for document in DOCUMENTS:
        text = document.read_text()
        for found in FENCE.finditer(text):
            if found["lang"] == lang:
                line = text.count("\n", 0, found.start()) + 1
                body = "".join(row.removeprefix(found["indent"]) for row in found["body"].splitlines(True))
                yield f"{document.relative_to(REPO)}:{line}", body


PYTHON_BLOCKS = list(blocks("python"))


def shown_file(where: str, block: str) -> str:
    """The example file a Python block shows whole: included from it, or written out with its name first."""
    included = INCLUDED.fullmatch(block)
    if included:
        return included[1]
    header = HEADER.fullmatch(block.partition("\n")[0])
    assert header, f"{where}: a Python block includes a file of docs/examples/ or starts with its name"
    shown = REPO / header[1]
    assert shown.is_file() and block == shown.read_text(), f"{where}: the block differs from {header[1]}"
    return header[1]


@pytest.mark.parametrize(("where", "block"), PYTHON_BLOCKS, ids=[w for w, _ in PYTHON_BLOCKS])
def test_each_python_block_is_a_whole_example_file(where, block):
    shown = shown_file(where, block)
    assert (REPO / shown).is_file(), f"{where}: {shown} does not exist"


def test_every_example_file_is_shown_in_a_document():
    shown = {shown_file(where, block) for where, block in PYTHON_BLOCKS}
    files = {p.relative_to(REPO).as_posix() for p in EXAMPLES.glob("*.py")}
    assert files == shown


# ------------------------------------------------------------------ what each example writes


def k8s(files: dict[str, str], env: str, kind: str, namespace: str, name: str) -> dict:
    return yaml.safe_load(files[f"k8s/{env}/{kind.lower()}-{namespace}-{name}.yaml"])


def container_env(deployment: dict) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def quickstart(files: dict[str, str]) -> None:
    assert {"docker/api/Dockerfile", "compose/compose.yaml", "k8s/dev/statefulset-hello-db.yaml",
            "k8s/dev/ingress-hello-api.yaml"} <= set(files)
    namespace = yaml.safe_load(files["k8s/dev/namespace-hello.yaml"])
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert "k8s/dev/networkpolicy-hello-default-deny.yaml" in files
    ingress = k8s(files, "dev", "NetworkPolicy", "hello", "db")["spec"]["ingress"]
    assert ingress == [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "api",
                                                                  "app.kubernetes.io/part-of": "hello"}}}],
                        "ports": [{"port": 5432, "protocol": "TCP"}]}]
    assert k8s(files, "dev", "Ingress", "hello", "api")["spec"]["rules"][0]["host"] == "api.hello.localhost"


def shop(files: dict[str, str]) -> None:
    assert {"docker/api/Dockerfile", "docker/catalog/Dockerfile", "docker/web/Dockerfile",
            "docker/mailer/Dockerfile", "compose/compose.yaml"} <= set(files)
    assert not any(path.startswith("docker/report/") for path in files)  # image_of: no second Dockerfile
    report = k8s(files, "prod", "CronJob", "shop", "report")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    api = k8s(files, "prod", "Deployment", "shop", "api")["spec"]["template"]["spec"]
    assert report["containers"][0]["image"] == api["containers"][0]["image"]
    assert report["containers"][0]["args"] == ["python", "-m", "report"]
    assert re.fullmatch(r"ghcr\.io/acme/shop-api:1\.4\.2@sha256:[0-9a-f]{64}", api["containers"][0]["image"])
    assert "k8s/prod/statefulset-shop-db.yaml" in files and "k8s/prod/cronjob-shop-db-backup.yaml" in files
    assert "k8s/prod/job-shop-api-migrate.yaml" in files and "k8s/prod/ingress-shop-web.yaml" in files


def delivery(files: dict[str, str]) -> None:
    dev = yaml.safe_load(files["gitops/argocd/application-argocd-shop-dev.yaml"])
    assert dev["spec"]["source"]["repoURL"] == "https://github.com/acme/shop.git"
    assert {"gitops/flux/prod/gitrepository-flux-system-shop.yaml",
            "gitops/flux/prod/kustomization-flux-system-shop-prod.yaml", ".github/workflows/shop-ci.yaml"} <= set(files)
    assert not any(path.startswith("gitops/argocd/") and "prod" in path for path in files)


def composite(files: dict[str, str]) -> None:
    orders = k8s(files, "dev", "Deployment", "sales", "orders-api")
    container = orders["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"  # HardenedApi's defaults
    assert container["resources"]["limits"]["memory"] == "384Mi"
    assert container_env(k8s(files, "dev", "Deployment", "sales", "storefront"))["ORDERS_API_HOST"] == "orders-api"
    assert "ORDERS_DB_HOST" in container_env(orders) and "CARTS_API_HOST" in container_env(orders)
    assert "k8s/dev/statefulset-sales-carts-db.yaml" in files and "k8s/dev/statefulset-sales-orders-db.yaml" in files


def canary(files: dict[str, str]) -> None:
    catalog = k8s(files, "prod", "Rollout", "shop", "catalog")
    steps = catalog["spec"]["strategy"]["canary"]["steps"]
    assert {"setWeight": 20} in steps and {"pause": {}} in steps
    assert "k8s/prod/analysistemplate-shop-catalog.yaml" in files
    assert "k8s/prod/service-shop-catalog-canary.yaml" in files
    assert k8s(files, "prod", "Rollout", "shop", "admin")["spec"]["strategy"]["blueGreen"]["previewService"] \
        == "admin-preview"
    assert not any(path.startswith("k8s/prod/deployment-") for path in files)


def escape_hatches(files: dict[str, str]) -> None:
    for env in ("dev", "prod"):
        ingress = k8s(files, env, "Ingress", "shop", "api")
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
        deployment = k8s(files, env, "Deployment", "shop", "api")
        assert deployment["metadata"]["labels"]["acme.com/team"] == "checkout"
        assert deployment["spec"]["template"]["spec"]["priorityClassName"] == "high"
        assert k8s(files, env, "ConfigMap", "shop", "feature-flags")["data"] == {"search": "on"}
        assert "configmap-shop-feature-flags.yaml" in files[f"k8s/{env}/kustomization.yaml"]


def metrics(files: dict[str, str]) -> None:
    monitor = k8s(files, "prod", "ServiceMonitor", "shop", "catalog")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert "k8s/prod/prometheusrule-shop-metrics-alerts.yaml" in files
    assert "k8s/prod/configmap-shop-catalog-dashboard.yaml" in files


def alerting(files: dict[str, str]) -> None:
    routes = k8s(files, "prod", "AlertmanagerConfig", "shop", "alerting-alerts")
    assert [r["name"] for r in routes["spec"]["receivers"]] == ["critical", "warning"]
    rule = k8s(files, "prod", "PrometheusRule", "shop", "alerting-alerts")
    assert {r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]} >= {
        "AvailabilityBudgetBurn", "AvailabilityBudgetBurnSlow", "LatencyBudgetBurn", "LatencyBudgetBurnSlow"}


def external(files: dict[str, str]) -> None:
    api = k8s(files, "prod", "Deployment", "shop", "api")
    env = container_env(api)
    assert env["PAYMENTS_URL"] == "https://api.payments.example.com:443" and env["LEDGER_HOST"] == "10.40.0.12"
    assert env["PAYMENTS_API_KEY_FILE"] == "/run/secrets/payments.api-key"
    egress = k8s(files, "prod", "NetworkPolicy", "shop", "api")["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}], "ports": [{"port": 5432, "protocol": "TCP"}]} in egress
    anywhere = next(rule for rule in egress if rule["ports"] == [{"port": 443, "protocol": "TCP"}])
    assert "169.254.0.0/16" in anywhere["to"][0]["ipBlock"]["except"]


def config_per_environment(files: dict[str, str]) -> None:
    for env, level in (("dev", "debug"), ("prod", "info")):
        [config] = [yaml.safe_load(text) for path, text in files.items()
                    if path.startswith(f"k8s/{env}/configmap-shop-api-config-")]
        assert config["data"]["LOG_LEVEL"] == level and config["data"]["REGION"] == env
        assert config["data"]["file-etc-shop-api.toml"] == (EXAMPLES / "config" / env / "api.toml").read_text()


def native_packages(files: dict[str, str]) -> None:
    dockerfile = files["docker/api/Dockerfile"]
    _, build, *_, runtime = dockerfile.split("\nFROM ")
    assert 'ARG APP_FLAVOR="full"' in build and "gcc libpq-dev" in build
    assert "libpq5" in runtime and "gcc" not in runtime


def databases(files: dict[str, str]) -> None:
    env = container_env(k8s(files, "prod", "Deployment", "shop", "api"))
    assert env["DB_URL"] == "postgresql://data@db:5432/data?sslmode=verify-full&sslrootcert=/run/secrets/db-tls.ca.crt"
    assert env["CACHE_URL"] == "rediss://data@cache:6379/0?ssl_ca_certs=/run/secrets/cache-tls.ca.crt"
    assert {"k8s/prod/certificate-shop-db-tls.yaml", "k8s/prod/certificate-shop-cache-tls.yaml"} <= set(files)
    assert {"k8s/prod/statefulset-shop-db.yaml", "k8s/prod/statefulset-shop-cache.yaml",
            "k8s/prod/cronjob-shop-db-backup.yaml"} <= set(files)


def ha_postgres(files: dict[str, str]) -> None:
    cluster = k8s(files, "prod", "Cluster", "ledger", "db")["spec"]
    assert cluster["instances"] == 3 and cluster["affinity"]["podAntiAffinityType"] == "required"
    assert cluster["bootstrap"]["initdb"]["secret"] == {"name": "db-credentials"}
    assert k8s(files, "prod", "ScheduledBackup", "ledger", "db")["spec"]["schedule"] == "0 0 3 * * *"
    assert container_env(k8s(files, "prod", "Deployment", "ledger", "api"))["DB_HOST"] == "db-rw"
    assert "k8s/prod/statefulset-ledger-db.yaml" not in files and "k8s/dev/statefulset-ledger-db.yaml" in files
    assert yaml.safe_load(files["compose/compose.yaml"])["services"]["db"]["image"].startswith("postgres:16.")


def ha_recovery(files: dict[str, str]) -> None:
    cluster = k8s(files, "prod", "Cluster", "ledger", "db")["spec"]
    assert cluster["bootstrap"]["recovery"]["recoveryTarget"] == {"targetTime": "2026-03-01T09:30:00Z"}
    assert cluster["externalClusters"][0]["barmanObjectStore"]["serverName"] == "db"
    assert cluster["backup"]["barmanObjectStore"]["serverName"] == "db-2"


def eventing(files: dict[str, str]) -> None:
    sink = container_env(k8s(files, "prod", "Deployment", "shop", "api"))["K_SINK"]
    assert sink == "http://broker-ingress.knative-eventing.svc.cluster.local/shop/orders"
    triggers = [k8s(files, "prod", "Trigger", "shop", f"notifier-{n}")["spec"] for n in (1, 2, 3)]
    assert triggers[0]["filter"] == {"attributes": {"type": "com.acme.order.placed"}}
    assert triggers[0]["subscriber"] == {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                                                 "name": "notifier"}}
    assert k8s(files, "dev", "Trigger", "shop", "notifier-1")["spec"]["subscriber"] == {
        "uri": "http://notifier.shop.svc.cluster.local:8080"}
    for kind, name in (("PingSource", "digest"), ("KafkaSource", "stock")):
        assert k8s(files, "prod", kind, "shop", name)["spec"]["sink"]["ref"]["kind"] == "Broker"
    labels = yaml.safe_load(files["compose/compose.yaml"])["services"]["notifier"]["labels"]
    assert labels["dev.shipform.events.notifier-1"] == "Broker orders, type=com.acme.order.placed"


APPS: dict[str, tuple[str, Callable[[dict[str, str]], None]]] = {
    "quickstart.py": ("hello", quickstart), "shop.py": ("shop", shop),
    "delivery.py": ("shop", delivery), "composite.py": ("sales", composite),
    "canary.py": ("rollouts", canary), "escape_hatches.py": ("hatches", escape_hatches),
    "metrics.py": ("metrics", metrics), "alerting.py": ("alerting", alerting), "external.py": ("outside", external),
    "config_per_environment.py": ("configured", config_per_environment),
    "native_packages.py": ("native", native_packages), "databases.py": ("data", databases),
    "ha_postgres.py": ("ledger", ha_postgres), "ha_recovery.py": ("ledger", ha_recovery),
    "eventing.py": ("events", eventing),
}
"""Each example that creates an App: the App's name, and what its page says it writes."""
MODULES = {"hardened_api.py", "test_composite.py"}
"""Examples that create no App: a library module (composite.py builds on it) and a test (run below)."""


def test_every_example_is_checked():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(APPS) | MODULES


@pytest.mark.parametrize("example", sorted(APPS))
def test_example_synthesizes_what_its_section_says(example, tmp_path):
    from typer.testing import CliRunner

    from shipform.cli import cli
    from shipform.testing import read_output

    result = CliRunner().invoke(cli, ["synth", str(EXAMPLES / example), "--outdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    name, writes = APPS[example]
    writes(read_output(tmp_path / name))


def test_the_example_test_passes(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    for module in ("composite", "hardened_api", "test_composite"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    import test_composite  # type: ignore[import-not-found]

    compared = []

    class Snapshot:  # stands in for syrupy's fixture: whatever it is compared with
        def __eq__(self, other: object) -> bool:
            compared.append(other)
            return True

    test_composite.test_orders_api(Snapshot())
    assert compared and "kind: Deployment" in compared[0]


# ------------------------------------------------------------------ the commands the documents give


def documented_commands() -> list[tuple[str, list[str]]]:
    """(where, words after `shipform`) of each command in a code block or an inline code span."""
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        spans = [m.group(1) for m in re.finditer(r"`([^`\n]+)`", text)] + [b for _, b in blocks("")] \
            + [b for _, b in blocks("sh")]
        for span in spans:
            for line in span.splitlines():
                for command in re.split(r"&&|\||;", line.split(" #", 1)[0]):
                    start = re.fullmatch(r"(?:\S*/)?shipform\s+(.*)", command.strip())
                    if start:
                        found.append((str(document.relative_to(REPO)), start[1].split()))
    return found


def test_every_documented_command_exists_with_its_options():
    from typer.main import get_command

    from shipform.cli import cli

    root = get_command(cli)
    commands = documented_commands()
    assert len(commands) > 20
    for where, words in commands:
        command, path, args = root, [], list(words)
        while hasattr(command, "commands") and args and not args[0].startswith("-"):
            ctx = command.make_context("shipform", list(args), resilient_parsing=True)
            rest = [*ctx._protected_args, *ctx.args]
            sub = command.get_command(ctx, rest[0])
            assert sub is not None, f"{where}: `shipform {' '.join(words)}`: no command {' '.join([*path, rest[0]])}"
            command, path, args = sub, [*path, rest[0]], rest[1:]
        options = {opt for param in command.params for opt in param.opts}
        for word in args:
            option = word.split("=", 1)[0].strip("[]")
            if option.startswith("--"):
                assert option in options, f"{where}: `shipform {' '.join(words)}`: {' '.join(path)} has no {option}"


# ------------------------------------------------------------------ props and defaults the documents state


def page(name: str) -> str:
    """A guide page's text before its first subsection."""
    return (GUIDE / name).read_text().split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def test_the_props_in_the_construct_tables_exist():
    from typing import get_type_hints

    from shipform import SecureNamespaceProps, WebServiceProps

    web = [name for row in table_rows(page("web-service.md")) for name in re.findall(r"`(\w+)`", row[0])]
    namespace = [name for row in table_rows(page("secure-namespace.md")) for name in re.findall(r"`(\w+)=", row[2])]
    assert len(web) > 20 and len(namespace) >= 5
    assert set(web) <= set(get_type_hints(WebServiceProps))
    assert set(namespace) <= set(get_type_hints(SecureNamespaceProps))


def stated_defaults() -> Iterator[tuple[str, type, dict[str, object]]]:
    """(span, class, keywords) of every call in the documents' inline code that writes each field of one of
    shipform's value objects by name with a literal: a value object written out whole, as the guides do to state
    defaults."""
    import ast
    import dataclasses

    import shipform

    for span, call in inline_calls():
        cls = getattr(shipform, getattr(call.func, "id", ""), None)
        if not dataclasses.is_dataclass(cls) or call.args:
            continue
        try:
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            continue
        fields = [f for f in dataclasses.fields(cls) if f.init]
        no_default = dataclasses.MISSING
        if set(keywords) == {f.name for f in fields} and all(
                f.default is not no_default or f.default_factory is not no_default for f in fields):
            yield span, cls, keywords


def inline_calls() -> Iterator[tuple[str, Any]]:
    """(span, ast.Call) of every call in the documents' inline code (`name=Call(...)` read as the call)."""
    import ast

    prose = "".join(FENCE.sub("", document.read_text()) for document in DOCUMENTS)
    for span in (re.sub(r"\n\s*", " ", found) for found in re.findall(r"`([^`]+)`", prose)):
        try:
            tree = ast.parse(span.split("=", 1)[1] if re.match(r"\w+=\w+[.(]", span) else span, mode="eval")
        except SyntaxError:
            continue
        yield from ((span, call) for call in ast.walk(tree) if isinstance(call, ast.Call))


def test_value_objects_written_out_whole_show_their_defaults():
    stated = list(stated_defaults())
    assert {cls.__name__ for _, cls, _ in stated} >= {"Quota", "Autoscale", "Serverless", "Alerts", "Rolling"}
    for span, cls, keywords in stated:
        defaults, written = cls(), cls(**keywords)
        wrong = {name: value for name, value in keywords.items() if getattr(defaults, name) != getattr(written, name)}
        assert not wrong, f"docs `{span}`: {cls.__name__}'s defaults are not {wrong}"


def keywords_of(name: str) -> set[str] | None:
    """The keywords shipform's callable ``name`` ('WebService', 'Health.http') takes; None: anything (**kwargs)."""
    import inspect
    from typing import get_type_hints

    import shipform

    target: object = shipform
    for part in name.split("."):
        target = getattr(target, part)
    props = getattr(shipform, f"{name}Props", None)
    if props is not None:
        return set(get_type_hints(props))
    parameters = inspect.signature(target).parameters.values()  # type: ignore[arg-type]
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def test_every_keyword_the_documents_pass_exists():
    import ast

    import shipform

    calls = 0
    for span, call in inline_calls():
        name = ast.unparse(call.func)
        if name.split(".")[0] not in shipform.__all__:
            continue
        allowed = keywords_of(name)
        calls += 1
        unknown = {k.arg for k in call.keywords if k.arg is not None} - (allowed or set()) if allowed else set()
        assert not unknown, f"docs `{span}`: {name} takes no {', '.join(sorted(unknown))}"
    assert calls > 50
