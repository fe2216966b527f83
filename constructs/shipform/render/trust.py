"""``trust/<cloud>-<purpose>[-<env>].yaml`` under the app's output: for each cloud identity the workflows log in
as (:mod:`shipform.render.registries`: push, read, deploy), what its trust policy must require of the job's
GitHub OIDC token, with the App's repository, branch, GitHub environments and workflow files: the audience the
login action asks for, the subject (``repo:<owner>/<repo>:environment:<name>``: every job that logs in to a cloud
runs in a GitHub environment) and the workflow the job belongs to (``job_workflow_ref``,
``<owner>/<repo>/.github/workflows/<file>@<ref>``), written as the cloud takes it (an IAM trust policy, a
workload identity pool's attribute condition and the service account's members, Azure federated credentials).
Written only when the App names its GitHub repository (``App(repository=...)``): the conditions name it.

Claims and formats: GitHub's "OpenID Connect reference" and "Configuring OpenID Connect in Amazon Web Services /
Google Cloud Platform / Azure"; AWS STS's GitHub condition keys (``<issuer host>:job_workflow_ref``, 2026)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shipform import spec
from shipform.render.output import Context
from shipform.render.registries import Purpose, identity_variable, kind_of
from shipform.render.workflow_common import RELEASE_ENVIRONMENT, WORKFLOWS_DIR, built_images, runs_built
from shipform.render.workflow_lock import LOCK_TRUST_ENVIRONMENT
from shipform.render.workflow_patch import SCAN_JOB
from shipform.write.yaml_dump import dump

Cloud = Literal["aws", "gcp", "azure"]
TRUST_DIR = "trust"
_REGISTRY_CLOUD: dict[str, Cloud] = {"ecr": "aws", "gcp": "gcp", "acr": "azure"}
_CLUSTER_CLOUD: dict[str, Cloud] = {"eks": "aws", "gke": "gcp", "aks": "azure"}
AUDIENCE = {"aws": "sts.amazonaws.com", "azure": "api://AzureADTokenExchange",
            "gcp": "https://iam.googleapis.com/projects/<PROJECT_NUMBER>/locations/global/workloadIdentityPools/"
                   "<POOL>/providers/<PROVIDER>"}
"""What the login actions ask GitHub for: aws-actions/configure-aws-credentials and Azure/login their defaults,
google-github-actions/auth the provider's full resource name (its default audience; the pool provider accepts it
unless told otherwise)."""
_GCP_POOL = "principalSet://iam.googleapis.com/projects/<PROJECT_NUMBER>/locations/global/workloadIdentityPools/<POOL>"


@dataclass(frozen=True)
class Identity:
    """One cloud identity and what the jobs that log in as it present."""

    app: str
    cloud: Cloud
    purpose: Purpose
    environment: str
    """The GitHub environment every job of this identity runs in."""
    workflow_refs: tuple[str, ...]
    """``job_workflow_ref`` values, '*' standing for any text (a release tag's name)."""
    jobs: tuple[str, ...]
    """'<workflow file>: <job id>' of each job that logs in as it."""

    @property
    def file(self) -> str:
        return f"{TRUST_DIR}/{self.cloud}-{name(self)}.yaml"


def identities(app: spec.App, context: Context) -> list[Identity]:
    """Every cloud identity the App's workflows log in as, from the same facts the workflows are rendered from."""
    source = app.source
    if source is None:
        return []
    found: list[Identity] = []
    images = built_images(app, context)
    built = bool(images) and app.record_environment is not None
    registry_cloud = _REGISTRY_CLOUD.get(kind_of(app.registry))

    def ref(workflow: str, git_ref: str) -> str:
        return f"{source.name}/{WORKFLOWS_DIR}/{workflow}@{git_ref}"

    if registry_cloud is not None and built:
        build = f"{app.name}-build.yaml"
        tags = ("refs/tags/v*", f"refs/tags/{app.name}/v*")
        refs, jobs = [ref(build, r) for r in (f"refs/heads/{source.branch}", *tags)], [f"{build}: image"]
        if app.keep_images_days is not None:  # the cleanup deletes what the build pushed: the same identity
            refs.append(ref(f"{app.name}-cleanup.yaml", f"refs/heads/{source.branch}"))
            jobs.append(f"{app.name}-cleanup.yaml: cleanup")
        found.append(Identity(app.name, registry_cloud, "push", RELEASE_ENVIRONMENT, tuple(refs), tuple(jobs)))
    if registry_cloud is not None:
        reads = [(f"{app.name}-promote-{a.name}-to-{b.name}.yaml", "promote") for a, b in app.promotions
                 if runs_built(b, images)]
        if any(env.images() for env in app.environments):  # the patch workflow rescans what they run
            reads.append((f"{app.name}-patch.yaml", SCAN_JOB))
        if reads:
            found.append(Identity(app.name, registry_cloud, "read", RELEASE_ENVIRONMENT,
                                  tuple(ref(f, f"refs/heads/{source.branch}") for f, _ in reads),
                                  tuple(f"{f}: {j}" for f, j in reads)))
        # CI's lock trust job reads the registry on pull requests of the repository's own branches and when the build
        # or a promotion calls CI (a called workflow's job_workflow_ref names the called file at the caller's ref).
        ci = f"{app.name}-ci.yaml"
        found.append(Identity(app.name, registry_cloud, "read", LOCK_TRUST_ENVIRONMENT,
                              tuple(ref(ci, r) for r in (f"refs/heads/{source.branch}", "refs/tags/v*",
                                                          f"refs/tags/{app.name}/v*", "refs/pull/*")),
                              (f"{ci}: lock-trust",)))
    for env in app.environments:
        cloud = _CLUSTER_CLOUD.get(env.cluster.kind) if env.cluster is not None else None
        if cloud is None:
            continue
        by_build = env is app.record_environment and built
        workflow, job = (f"{app.name}-build.yaml", f"deploy-{env.name}") if by_build else \
            (f"{app.name}-deploy-{env.name}.yaml", "deploy")
        found.append(Identity(app.name, cloud, "deploy", env.name, (ref(workflow, f"refs/heads/{source.branch}"),),
                              (f"{workflow}: {job}",)))
    return found


def subject(source: spec.SourceRepository, identity: Identity) -> str:
    return f"repo:{source.name}:environment:{identity.environment}"


def issuer(source: spec.SourceRepository) -> str:
    """GitHub's OIDC issuer: github.com's, or a GitHub Enterprise Server's own."""
    if source.server == "https://github.com":
        return "https://token.actions.githubusercontent.com"
    return f"{source.server}/_services/token"


def document(source: spec.SourceRepository, identity: Identity, every: list[Identity]) -> dict[str, Any]:
    variable = identity_variable(identity.cloud, identity.purpose)
    # A deploy identity per Environment: the variable of its GitHub environment (a repository variable would be
    # one identity for all of them, trusting every deploy document's subject and workflow).
    where = f"the GitHub environment '{identity.environment}'" if identity.purpose == "deploy" else \
        f"the repository, or the GitHub environment '{identity.environment}'"
    doc: dict[str, Any] = {
        "identity": identity.purpose, "cloud": identity.cloud, "variable": variable, "set_in": where,
        "used_by": list(identity.jobs), "issuer": issuer(source), "audience": AUDIENCE[identity.cloud],
        "subject": subject(source, identity), "job_workflow_ref": list(identity.workflow_refs)}
    doc |= {"aws": _aws, "gcp": _gcp, "azure": _azure}[identity.cloud](source, identity, every)
    others = [i.file for i in every if i != identity and i.cloud == identity.cloud and i.purpose == identity.purpose
              and identity.purpose != "deploy"]
    if others:  # one identity, presented by jobs of two GitHub environments: it must trust both documents
        doc["also"] = f"the same identity as {', '.join(others)}: its trust holds both documents' conditions"
    return doc


def _aws(source: spec.SourceRepository, identity: Identity, every: list[Identity]) -> dict[str, Any]:
    host = issuer(source).removeprefix("https://")
    return {"trust_policy": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::<ACCOUNT_ID>:oidc-provider/{host}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {
            "StringEquals": {f"{host}:aud": AUDIENCE["aws"], f"{host}:sub": subject(source, identity)},
            "StringLike": {f"{host}:job_workflow_ref": list(identity.workflow_refs)}}}]}}


def name(identity: Identity) -> str:
    """What the App calls the identity: 'push', 'read', 'read-lock-trust' (the read identity as CI's lock trust
    job presents it: another subject, so a document of its own), 'deploy-<env>'."""
    if identity.environment == RELEASE_ENVIRONMENT:
        return identity.purpose
    return f"{identity.purpose}-{identity.environment}"


def _cel(source: spec.SourceRepository, identity: Identity) -> str:
    """True for the token of a job of ``identity`` (standard CEL: ``==``, ``startsWith``, ``&&``, ``||``)."""
    refs = " || ".join(f"assertion.job_workflow_ref.startsWith('{r.removesuffix('*')}')" if r.endswith("*")
                       else f"assertion.job_workflow_ref == '{r}'" for r in identity.workflow_refs)
    return f"(assertion.sub == '{subject(source, identity)}' && ({refs}))"


def gcp_attribute(app: str) -> str:
    """The pool attribute naming which identity of the App a token belongs to ('none': no identity of it)."""
    return "shipform_" + app.replace("-", "_")


def _gcp(source: spec.SourceRepository, identity: Identity, every: list[Identity]) -> dict[str, Any]:
    """The pool provider (GCP_WORKLOAD_IDENTITY_PROVIDER, shared) maps each token to the App's identity whose
    subject and workflow it carries, and admits no other; each service account admits its own identity only. The
    push and read identities share their subject (both jobs run in the environment 'release'): the workflow tells
    them apart."""
    key = gcp_attribute(identity.app)
    mapping = "'none'"
    for other in reversed([i for i in every if i.cloud == "gcp"]):
        mapping = f"{_cel(source, other)} ? '{name(other)}' : {mapping}"
    return {"provider": {"attribute_mapping": {"google.subject": "assertion.sub", f"attribute.{key}": mapping},
                         "attribute_condition": f"attribute.{key} != 'none'"},
            "service_account_binding": {"role": "roles/iam.workloadIdentityUser",
                                        "member": f"{_GCP_POOL}/attribute.{key}/{name(identity)}"}}


def _azure(source: spec.SourceRepository, identity: Identity, every: list[Identity]) -> dict[str, Any]:
    """A federated credential matches issuer, subject and audience exactly and reads no other claim: the GitHub
    environment (its deployment branch rule, its reviewers) is what limits the workflows here."""
    doc: dict[str, Any] = {
        "federated_credential": {"name": f"{identity.app}-{name(identity)}", "issuer": issuer(source),
                                 "subject": subject(source, identity), "audiences": [AUDIENCE["azure"]]},
        "job_workflow_ref_checked": False}
    shared = [name(i) for i in every if i.cloud == "azure" and i != identity and i.environment == identity.environment]
    if shared:
        doc["note"] = (f"Azure cannot tell this identity's jobs from those of {', '.join(shared)}: they run in the "
                       f"same GitHub environment '{identity.environment}', so they present the same subject")
    return doc


def files(app: spec.App, context: Context) -> dict[str, str]:
    source = app.source
    found = identities(app, context)
    if source is None:
        return {}
    return {i.file: context.marker + dump(document(source, i, found)) for i in found}
