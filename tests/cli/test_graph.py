"""`shipform graph`: the system as a picture. A small app's graph against one written by hand from its definition
(both formats, byte for byte, and read back); determinism; the errors; the pictures in the docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from shipform.cli import cli
from unit import graph_reading as gr

SHIPFORM = Path(sys.executable).with_name("shipform")

# Names with '-' and '.', two namespaces, a database, a worker, an External with its range, a public service; prod
# has a cron job that dev has not.
APP = '''
from shipform import (App, CronJob, DataStorage, Environment, External, Health, Issuer, SecureNamespace, StatefulDB,
                      WebService, Worker)

app = App("tiny-shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.tiny.example.com")
prod = Environment(app, "prod", domain="tiny.example.com", cluster_issuer="letsencrypt",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, prod):
    front = SecureNamespace(env, "front-end")
    back = SecureNamespace(env, "back-end", accepts_from=[front])
    db = StatefulDB(back, "db", engine="postgres", version="16")
    bank = External(back, "bank", host="api.bank.example.com", port=8443, cidrs=["203.0.113.0/24"])
    api = WebService(back, "api", image="ghcr.io/acme/api:1.0", ports={"http": 8000, "grpc": 9000},
                     connects_to=[db, bank])
    WebService(front, "web", image="ghcr.io/acme/web:1.0", port=3000, public=True, connects_to=[api.on("http")])
    Worker(back, "mailer", image="ghcr.io/acme/mailer:1.0", connects_to=[api.on("grpc")],
           health=Health.exec(["mailer", "check"]))
    if env is prod:
        CronJob(back, "report", image="ghcr.io/acme/report:1.0", schedule="0 6 * * *", connects_to=[db])
'''

# Written from APP by hand: prod's box holds its public host, then its namespaces in name order, then what is outside
# the cluster; every node is its name and kind, every edge a connects_to (or the host's) with its port.
PROD_MERMAID = '''flowchart LR
  subgraph tiny_shop_prod["tiny-shop / prod"]
    tiny_shop_prod_entry_https___web_tiny_example_com(("https://web.tiny.example.com<br>ingress class nginx"))
    subgraph tiny_shop_prod_namespace_back_end["namespace back-end"]
      tiny_shop_prod_back_end_api["api<br>web service"]
      tiny_shop_prod_back_end_db[("db<br>database postgres")]
      tiny_shop_prod_back_end_mailer[["mailer<br>worker"]]
      tiny_shop_prod_back_end_report(["report<br>cron job"])
    end
    subgraph tiny_shop_prod_namespace_front_end["namespace front-end"]
      tiny_shop_prod_front_end_web["web<br>web service"]
    end
    subgraph tiny_shop_prod_outside["outside the cluster"]
      tiny_shop_prod_external_back_end_bank>"bank<br>api.bank.example.com<br>203.0.113.0/24"]
    end
  end
  tiny_shop_prod_back_end_api -->|"5432/postgres"| tiny_shop_prod_back_end_db
  tiny_shop_prod_back_end_api -->|"8443/tcp"| tiny_shop_prod_external_back_end_bank
  tiny_shop_prod_back_end_mailer -->|"9000/grpc"| tiny_shop_prod_back_end_api
  tiny_shop_prod_back_end_report -->|"5432/postgres"| tiny_shop_prod_back_end_db
  tiny_shop_prod_entry_https___web_tiny_example_com -->|"3000/http"| tiny_shop_prod_front_end_web
  tiny_shop_prod_front_end_web -->|"8000/http"| tiny_shop_prod_back_end_api
'''

PROD_DOT = '''digraph "tiny-shop" {
  rankdir=LR;
  node [fontname="Helvetica"];
  edge [fontname="Helvetica"];
  subgraph "cluster_tiny-shop/prod" {
    label="tiny-shop / prod";
    "tiny-shop/prod/entry:https://web.tiny.example.com" [label="https://web.tiny.example.com\\ningress class nginx", \
shape="oval"];
    subgraph "cluster_tiny-shop/prod/namespace:back-end" {
      label="namespace back-end";
      "tiny-shop/prod/back-end/api" [label="api\\nweb service", shape="box"];
      "tiny-shop/prod/back-end/db" [label="db\\ndatabase postgres", shape="cylinder"];
      "tiny-shop/prod/back-end/mailer" [label="mailer\\nworker", shape="component"];
      "tiny-shop/prod/back-end/report" [label="report\\ncron job", shape="box", style="rounded"];
    }
    subgraph "cluster_tiny-shop/prod/namespace:front-end" {
      label="namespace front-end";
      "tiny-shop/prod/front-end/web" [label="web\\nweb service", shape="box"];
    }
    subgraph "cluster_tiny-shop/prod/outside" {
      label="outside the cluster";
      "tiny-shop/prod/external:back-end/bank" [label="bank\\napi.bank.example.com\\n203.0.113.0/24", shape="cds"];
    }
  }
  "tiny-shop/prod/back-end/api" -> "tiny-shop/prod/back-end/db" [label="5432/postgres"];
  "tiny-shop/prod/back-end/api" -> "tiny-shop/prod/external:back-end/bank" [label="8443/tcp"];
  "tiny-shop/prod/back-end/mailer" -> "tiny-shop/prod/back-end/api" [label="9000/grpc"];
  "tiny-shop/prod/back-end/report" -> "tiny-shop/prod/back-end/db" [label="5432/postgres"];
  "tiny-shop/prod/entry:https://web.tiny.example.com" -> "tiny-shop/prod/front-end/web" [label="3000/http"];
  "tiny-shop/prod/front-end/web" -> "tiny-shop/prod/back-end/api" [label="8000/http"];
}
'''

# The same prod picture as facts, format-free: (boxes..., label lines...) -> shape, and the labelled edges.
PROD_BOX = "tiny-shop / prod"
BACK, FRONT, OUTSIDE = (PROD_BOX, "namespace back-end"), (PROD_BOX, "namespace front-end"), (PROD_BOX,
                                                                                            "outside the cluster")
HOST = (PROD_BOX, "https://web.tiny.example.com", "ingress class nginx")
API, DB = (*BACK, "api", "web service"), (*BACK, "db", "database postgres")
MAILER, REPORT = (*BACK, "mailer", "worker"), (*BACK, "report", "cron job")
WEB, BANK = (*FRONT, "web", "web service"), (*OUTSIDE, "bank", "api.bank.example.com", "203.0.113.0/24")
PROD_NODES = {HOST: ((PROD_BOX,), "entry"), API: (BACK, "service"), DB: (BACK, "database"),
              MAILER: (BACK, "worker"), REPORT: (BACK, "job"), WEB: (FRONT, "service"), BANK: (OUTSIDE, "external")}
PROD_EDGES = {(HOST, WEB, ("3000/http",)), (WEB, API, ("8000/http",)), (MAILER, API, ("9000/grpc",)),
              (API, DB, ("5432/postgres",)), (API, BANK, ("8443/tcp",)), (REPORT, DB, ("5432/postgres",))}


def graph(tmp_path, *args: str):
    app = tmp_path / "app.py"
    if not app.exists():
        app.write_text(APP)
    return CliRunner().invoke(cli, ["graph", str(app), *args])


def test_mermaid_equals_the_hand_written_graph(tmp_path):
    result = graph(tmp_path, "--env", "prod")
    assert result.exit_code == 0, result.output
    assert result.stdout == PROD_MERMAID
    assert gr.read_mermaid(result.stdout).labelled() == (PROD_NODES, PROD_EDGES)


def test_dot_equals_the_hand_written_graph(tmp_path):
    result = graph(tmp_path, "--env", "prod", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.stdout == PROD_DOT
    assert gr.as_mermaid_shapes(gr.read_dot(result.stdout)).labelled() == (PROD_NODES, PROD_EDGES)


def test_without_env_every_environment_is_drawn_in_its_own_box(tmp_path):
    """dev is prod without the cron job, under its own host; both formats say the same."""
    dev_box = "tiny-shop / dev"

    def in_dev(label: tuple[str, ...]) -> tuple[str, ...]:
        return (dev_box, *label[1:]) if label != HOST else (dev_box, "https://web.dev.tiny.example.com", label[2])

    dev_nodes = {in_dev(k): (tuple(in_dev(boxes)), shape) for k, (boxes, shape) in PROD_NODES.items() if k != REPORT}
    dev_edges = {(in_dev(s), in_dev(t), label) for s, t, label in PROD_EDGES if REPORT not in (s, t)}
    expected = ({**dev_nodes, **PROD_NODES}, dev_edges | PROD_EDGES)
    mermaid, dot = graph(tmp_path), graph(tmp_path, "--format", "dot")
    assert mermaid.exit_code == dot.exit_code == 0
    assert gr.read_mermaid(mermaid.stdout).labelled() == expected
    assert gr.as_mermaid_shapes(gr.read_dot(dot.stdout)).labelled() == expected
    assert mermaid.stdout.index("tiny-shop / dev") < mermaid.stdout.index("tiny-shop / prod")  # the app's order


@pytest.mark.slow
def test_two_runs_print_the_same_bytes(tmp_path):
    """Separate processes (another hash seed): nothing depends on set or dict order."""
    (tmp_path / "app.py").write_text(APP)
    for fmt in ("mermaid", "dot"):
        runs = [subprocess.run([str(SHIPFORM), "graph", str(tmp_path / "app.py"), "--format", fmt],
                               capture_output=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
                for seed in ("1", "2")]
        assert runs[0] == runs[1] and runs[0]


def test_an_unknown_environment_exits_1_naming_the_known_ones(tmp_path):
    result = graph(tmp_path, "--env", "stage")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: Environment 'stage' is not in the app. Fix: pass one of dev, prod\n"


def test_an_unknown_format_exits_1_naming_the_formats(tmp_path):
    result = graph(tmp_path, "--format", "svg")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("error: --format must be one of mermaid, dot, got 'svg'. Fix: pass --format mermaid or "
                             "--format dot\n")


def test_an_invalid_app_exits_1_with_its_problems_and_no_traceback(tmp_path):
    (tmp_path / "app.py").write_text(APP.replace('port=3000', 'port=70000'))
    result = graph(tmp_path)
    assert result.exit_code == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert "tiny-shop/dev/front-end/web: 'port' must be 1-65535, got 70000" in result.stderr


PICTURE = re.compile(r"<!-- `(shipform graph [^`]+)` -->\n```mermaid\n(.*?)```\n", re.S)


def test_the_docs_show_the_graphs_the_command_draws(monkeypatch):
    """The pictures of the README (its 10-line app) and of the graph's guide (a reference app) are the command's
    output, so they cannot go stale."""
    monkeypatch.chdir(REPO)
    for document in (REPO / "README.md", REPO / "docs" / "guide" / "graph.md"):
        blocks = PICTURE.findall(document.read_text())
        assert len(blocks) == 1, document
        command, shown = blocks[0]
        result = CliRunner().invoke(cli, command.split()[1:])
        assert result.exit_code == 0, result.output
        assert shown == result.stdout, f"regenerate the picture of {document.relative_to(REPO)}: {command}"
