"""`shipform secrets kubectl` and `secrets init-local` generate only the Secret keys shipform owns (a StatefulDB's
passwords, which its image sets at first start); every value from outside shipform (an External's credentials, a
service's third-party key) is asked for through a ``SHIPFORM_SECRET_*`` variable, and nothing is made up for it.

The printed script runs for real, under sh and bash, with stand-ins for openssl and kubectl on PATH that log what
they were given (no cluster here): it stops before creating anything while a value is missing, naming each."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from conftest import exec_app, write_sources
from shipform import spec
from shipform.delivery.local_secrets import init_local, secrets_folder, unset_files
from shipform.render.secret_commands import asked_variables, kubectl_create_commands
from shipform.synth.pipeline import synth_app
from shipform.values.secret_ref import SecretRef

TWO_NAMESPACES = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.example.com")
prod = Environment(app, "prod", domain="example.com", secret_store=SecretStore("vault"),
                   unpinned_images="a test app: its images are never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, prod):
    front = SecureNamespace(env, "front")
    back = SecureNamespace(env, "back", accepts_from=[front])
    offsite = S3Target(bucket="acme-backups", credentials=SecretRef("backup-s3", "credentials"),
                       restore_credentials=SecretRef("restore-s3", "credentials"))
    db = StatefulDB(back, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=offsite))
    WebService(front, "api", image="nginx:1.27.3", port=8000, connects_to=[db],
               secrets={"API_TOKEN": SecretRef("api", "token")})
'''

# A managed Postgres (RDS) and a payment API outside the cluster, and a cache shipform runs.
MANAGED = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.example.com")
prod = Environment(app, "prod", domain="example.com", unpinned_images="a test app: its images are never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, prod):
    ns = SecureNamespace(env, "shop")
    rds = External(ns, "rds", host="orders.abc123.eu-west-1.rds.amazonaws.com", port=5432, cidrs=["10.0.0.0/16"],
                   secrets={"PASSWORD": SecretRef("rds", "password")})
    payments = External(ns, "payments", host="api.stripe.com", port=443, scheme="https")
    cache = StatefulDB(ns, "cache", engine="redis", version="7.4")
    WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[rds, payments, cache],
               secrets={"STRIPE_API_KEY": SecretRef("stripe", "api-key")})
    Worker(ns, "mailer", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]),
           connects_to=[rds])
'''
GIVEN = {"SHIPFORM_SECRET_RDS_PASSWORD": "the-password-rds-was-created-with",
         "SHIPFORM_SECRET_STRIPE_API_KEY": "sk_test_from-the-stripe-dashboard"}

# Every program the script runs logs its argv (fields end in \x1f, calls in \x1e) to $LOG.argv; kubectl also logs
# its argv to $LOG, and the manifest it reads on standard input ("create -f -") after a \x1d.
ARGV = 'for arg in "$@"; do printf "%s\\037" "$arg"; done >> "$LOG.argv"; printf "\\036" >> "$LOG.argv"\n'
FAKE_TOOLS = {
    "openssl": ARGV + 'n=$(cat "$LOG.n" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$LOG.n"; echo "random-$n"\n',
    "kubectl": ARGV + 'for arg in "$@"; do printf "%s\\037" "$arg"; done >> "$LOG"\n'
               'if [ "$4" = -f ]; then printf "\\035" >> "$LOG"; cat >> "$LOG"; fi; printf "\\036" >> "$LOG"\n',
    **{tool: ARGV + f'PATH=/usr/bin:/bin exec {tool} "$@"\n' for tool in ("base64", "tr", "cat")},
}
SHELLS = ["sh", "bash"]


class Call(list[str]):
    """The argv of one kubectl call, and the manifest it read on standard input (``create -f -``), if any."""

    manifest: dict[str, Any] | None = None


def run(lines: list[str], tmp_path: Path, given: dict[str, str] | None = None,
        shell: str = "sh") -> tuple[subprocess.CompletedProcess[str], list[Call], int]:
    """Run the printed script with ``shell``, stand-in openssl and kubectl, and the variables ``given``; return the
    process, each kubectl call and how many random values openssl made. Fails when a value from ``given`` or a
    random one is in the argv of any program the script ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in FAKE_TOOLS.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "kubectl.log"
    for path in (log, Path(f"{log}.n"), Path(f"{log}.argv")):
        path.unlink(missing_ok=True)
    done = subprocess.run([shell, "-c", "\n".join(lines)], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), **(given or {})})
    calls = [_call(call) for call in log.read_text().split("\x1e")[:-1]] if log.exists() else []
    made = int(Path(f"{log}.n").read_text()) if Path(f"{log}.n").exists() else 0
    argv = Path(f"{log}.argv").read_text() if Path(f"{log}.argv").exists() else ""
    values = [v for v in (given or {}).values() if v] + [f"random-{n}" for n in range(1, made + 1)]
    assert [v for v in values if v in argv] == [], "a value is in a program's arguments"
    return done, calls, made


def _call(logged: str) -> Call:
    args, _, stdin = logged.partition("\x1d")
    call = Call(args.split("\x1f")[:-1])
    call.manifest = json.loads(stdin) if stdin else None
    return call


def run_script(lines: list[str], tmp_path: Path, given: dict[str, str] | None = None,
               shell: str = "sh") -> list[Call]:
    """Each kubectl call of a script that must succeed."""
    done, calls, _ = run(lines, tmp_path, given, shell)
    assert done.returncode == 0, done.stderr
    return calls


def literals(calls: list[Call]) -> dict[tuple[str, str, str], str]:
    """{(namespace, Secret, key): value} of every Secret the script created from a manifest, decoded."""
    found = {}
    for call in calls:
        if call.manifest is not None:
            assert call == ["-n", call.manifest["metadata"]["namespace"], "create", "-f", "-"]
            assert call.manifest["kind"] == "Secret" and call.manifest["type"] == "Opaque"
            kubernetes_validate.validate(call.manifest, "1.33.0", strict=True)
            found |= {(call[1], call.manifest["metadata"]["name"], key): base64.b64decode(value).decode()
                      for key, value in call.manifest["data"].items()}
    return found


def env_spec(tmp_path: Path, source: str, name: str) -> spec.Environment:
    write_sources(tmp_path)
    app = exec_app(source, tmp_path)
    return next(e for e in app.environments if e.name == name).to_spec()


# The rule: what shipform owns, and what it asks for.


def test_only_a_databases_own_passwords_are_owned(tmp_path):
    env = env_spec(tmp_path, MANAGED, "prod")
    # redis: no root password; its backup user's has a key of its own
    assert env.owned_secrets() == {SecretRef("cache-credentials", "password"),
                                   SecretRef("cache-credentials", "backup-password")}
    assert asked_variables(env) == {("rds", "password"): "SHIPFORM_SECRET_RDS_PASSWORD",
                                    ("stripe", "api-key"): "SHIPFORM_SECRET_STRIPE_API_KEY"}
    lines = kubectl_create_commands(env)
    assert [line for line in lines if "openssl" in line] == [
        'CACHE_CREDENTIALS_BACKUP_PASSWORD="$(openssl rand -base64 24)"',
        'CACHE_CREDENTIALS_PASSWORD="$(openssl rand -base64 24)"']


@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_the_script_stops_before_creating_anything_while_a_value_from_outside_is_unset(tmp_path, shell):
    lines = kubectl_create_commands(env_spec(tmp_path, MANAGED, "prod"))
    done, calls, made = run(lines, tmp_path, shell=shell)
    assert done.returncode == 1 and calls == [] and made == 0
    assert done.stderr.splitlines() == [
        "unset SHIPFORM_SECRET_RDS_PASSWORD: Secret rds, key password, read by shop/api (RDS_PASSWORD_FILE), "
        "shop/mailer (RDS_PASSWORD_FILE)",
        "unset SHIPFORM_SECRET_STRIPE_API_KEY: Secret stripe, key api-key, read by shop/api (STRIPE_API_KEY_FILE)",
        "error: nothing created: export each variable above with the value from its provider (in bash, without "
        "echoing it: read -rs VAR && export VAR), then run this script again"]
    done, calls, made = run(lines, tmp_path, {"SHIPFORM_SECRET_RDS_PASSWORD": "x", "RDS_PASSWORD": "not-this"},
                            shell)
    assert done.returncode == 1 and calls == [] and made == 0
    assert done.stderr.splitlines()[0].startswith("unset SHIPFORM_SECRET_STRIPE_API_KEY: ")
    assert len(done.stderr.splitlines()) == 2


@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_the_script_creates_the_values_given_and_generates_only_the_owned(tmp_path, shell):
    done, calls, made = run(kubectl_create_commands(env_spec(tmp_path, MANAGED, "prod")), tmp_path, GIVEN, shell)
    assert done.returncode == 0 and done.stderr == ""
    assert made == 2
    assert literals(calls) == {("shop", "cache-credentials", "backup-password"): "random-1",
                               ("shop", "cache-credentials", "password"): "random-2",
                               ("shop", "rds", "password"): GIVEN["SHIPFORM_SECRET_RDS_PASSWORD"],
                               ("shop", "stripe", "api-key"): GIVEN["SHIPFORM_SECRET_STRIPE_API_KEY"]}


def test_a_value_from_outside_is_the_same_in_every_namespace_that_reads_it(tmp_path):
    lines = kubectl_create_commands(env_spec(tmp_path, TWO_NAMESPACES, "dev"))
    assert sum(line.startswith("DB_CREDENTIALS_PASSWORD=") for line in lines) == 1
    values = literals(run_script(lines, tmp_path, {"SHIPFORM_SECRET_API_TOKEN": "token-value"}))
    assert values[("back", "db-credentials", "password")] == values[("front", "db-credentials", "password")]
    assert values[("back", "db-credentials", "password")] == "random-2"  # after the backup login's
    assert values[("front", "api", "token")] == "token-value"


def test_s3_credentials_are_a_file_never_a_random_string(tmp_path):
    lines = kubectl_create_commands(env_spec(tmp_path, TWO_NAMESPACES, "dev"))
    s3 = [line for line in lines if "backup-s3" in line]
    assert s3 == ["# backup-s3/credentials is an AWS shared credentials file ([default] with aws_access_key_id and "
                  "aws_secret_access_key): replace /path/to/aws-credentials with its path",
                  "kubectl -n back create secret generic backup-s3 --from-file=credentials=/path/to/aws-credentials"]
    assert not any(line.startswith(("BACKUP_S3", "SHIPFORM_SECRET_BACKUP_S3")) or "SECRET_BACKUP_S3" in line
                   for line in lines)


def test_secrets_an_external_secret_provides_are_only_named(tmp_path):
    lines = kubectl_create_commands(env_spec(tmp_path, TWO_NAMESPACES, "prod"))
    assert all(line.startswith("# ") for line in lines)
    assert "# front/db-credentials: from the ExternalSecret of that name, SecretStore 'vault', remote key " \
           "'shop/prod/db-credentials'" in lines
    # The database's certificate is cert-manager's (no ExternalSecret in its namespace); a client in another
    # namespace gets the CA from the store.
    assert "# front/db-tls: from the ExternalSecret of that name, SecretStore 'vault', remote key " \
           "'shop/prod/db-tls'" in lines
    assert not any(line.startswith("# back/db-tls") for line in lines)
    assert len(lines) == 7  # and the upload's and the restore's S3 keys


@pytest.mark.slow
def test_the_script_quotes_every_name_for_the_shell(tmp_path):
    hostile = "x$(touch pwned)'\"; echo `id`\ntouch pwned"
    owned, asked = SecretRef("name " + hostile, "key " + hostile), SecretRef("third " + hostile, "k " + hostile)
    workload = spec.Workload(
        path="demo/dev/w", name="w", namespace="ns " + hostile, component="worker", app="demo", version="1",
        image="nginx:1.27.3", run=spec.Continuous(replicas=1),
        secret_files=(spec.SecretFile("A", owned, owned=True), spec.SecretFile("B " + hostile, asked),
                      spec.SecretFile("AWS_SHARED_CREDENTIALS", SecretRef("s3", "cred " + hostile))))
    env = spec.Environment(app="demo", name="dev", local=False, gitops="argocd", namespaces=(), workloads=(workload,))
    lines = kubectl_create_commands(env)
    done, calls, _ = run(lines, tmp_path)
    assert done.returncode == 1 and calls == [] and not (tmp_path / "pwned").exists()
    assert f"Secret third {hostile}, key k {hostile}" in done.stderr  # as it is: printf, never echo
    [variable] = asked_variables(env).values()
    calls = run_script(lines, tmp_path, {variable: "given $(touch pwned)"})
    assert calls[1] == ["-n", "ns " + hostile, "create", "secret", "generic", "s3",
                        f"--from-file=cred {hostile}=/path/to/aws-credentials"]
    assert literals(calls) == {("ns " + hostile, "name " + hostile, "key " + hostile): "random-1",
                               ("ns " + hostile, "third " + hostile, "k " + hostile): "given $(touch pwned)"}
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_no_value_is_a_programs_argument(tmp_path, shell):
    """Any user of the machine reads a process's arguments (ps, /proc/<pid>/cmdline): the values reach kubectl in
    a manifest on its standard input, encoded by base64 reading its standard input. ``run`` checks every program's
    argv; here the values are awkward too (a leading dash, quotes, a newline, a trailing space)."""
    given = {"SHIPFORM_SECRET_RDS_PASSWORD": "-n kube-system 'q\"\nline two ",
             "SHIPFORM_SECRET_STRIPE_API_KEY": "--from-literal=x=y"}
    calls = run_script(kubectl_create_commands(env_spec(tmp_path, MANAGED, "prod")), tmp_path, given, shell)
    assert literals(calls)[("shop", "rds", "password")] == given["SHIPFORM_SECRET_RDS_PASSWORD"]
    assert literals(calls)[("shop", "stripe", "api-key")] == given["SHIPFORM_SECRET_STRIPE_API_KEY"]
    assert all(call[2:] == ["create", "-f", "-"] for call in calls)


def test_a_secret_with_a_value_and_a_file_reads_both_on_standard_input(tmp_path):
    both = SecretRef("backup-s3", "credentials"), SecretRef("backup-s3", "region")
    workload = spec.Workload(
        path="demo/dev/w", name="w", namespace="ns", component="worker", app="demo", version="1",
        image="nginx:1.27.3", run=spec.Continuous(replicas=1),
        secret_files=(spec.SecretFile("AWS_SHARED_CREDENTIALS", both[0]), spec.SecretFile("REGION", both[1])))
    env = spec.Environment(app="demo", name="dev", local=False, gitops="argocd", namespaces=(), workloads=(workload,))
    credentials = tmp_path / "aws-credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n")
    lines = [line.replace("/path/to/aws-credentials", str(credentials)) for line in kubectl_create_commands(env)]
    calls = run_script(lines, tmp_path, {"SHIPFORM_SECRET_BACKUP_S3_REGION": "eu-west-1"})
    assert literals(calls) == {("ns", "backup-s3", "credentials"): credentials.read_text(),
                               ("ns", "backup-s3", "region"): "eu-west-1"}


# init-local: the same rule for the files compose reads.


def test_init_local_generates_the_owned_writes_the_given_and_names_the_rest(tmp_path):
    write_sources(tmp_path)
    app = exec_app(MANAGED, tmp_path)
    out = tmp_path / "out"
    synth_app(app, outdir=str(out))
    folder = secrets_folder(app, out)
    given = {"SHIPFORM_SECRET_STRIPE_API_KEY": GIVEN["SHIPFORM_SECRET_STRIPE_API_KEY"], "RDS_PASSWORD": "not-this"}
    created = init_local(app, out, given)
    assert created == [folder / "cache-credentials.backup-password", folder / "cache-credentials.password",
                       folder / "stripe.api-key"]
    assert len((folder / "cache-credentials.password").read_text().strip()) == 43  # random, 32 bytes
    assert (folder / "stripe.api-key").read_text() == given["SHIPFORM_SECRET_STRIPE_API_KEY"]  # as given, no newline
    assert not (folder / "rds.password").exists()
    assert unset_files(app, out) == [
        f"{folder / 'rds.password'}: Secret rds, key password, read by shop/api (RDS_PASSWORD_FILE), shop/mailer "
        "(RDS_PASSWORD_FILE), is a value from outside shipform, never generated. Fix: export "
        "SHIPFORM_SECRET_RDS_PASSWORD with it and run `shipform secrets init-local` again, or write it into that file"]
    assert init_local(app, out, GIVEN) == [folder / "rds.password"]
    assert (folder / "rds.password").read_text() == GIVEN["SHIPFORM_SECRET_RDS_PASSWORD"]
    assert (folder / "stripe.api-key").read_text() == given["SHIPFORM_SECRET_STRIPE_API_KEY"]  # never overwritten
    assert unset_files(app, out) == []


def test_an_empty_variable_is_no_value(tmp_path):
    write_sources(tmp_path)
    app = exec_app(MANAGED, tmp_path)
    out = tmp_path / "out"
    synth_app(app, outdir=str(out))
    init_local(app, out, dict.fromkeys(GIVEN, ""))
    assert [line.split(":")[0] for line in unset_files(app, out)] == [
        str(secrets_folder(app, out) / name) for name in ("rds.password", "stripe.api-key")]
