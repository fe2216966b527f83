"""What a client of a database is told, the same whether shipform runs the database (StatefulDB) or it runs
outside the cluster (External with engine=): one env shape, the password only by Secret reference."""

from __future__ import annotations

from dataclasses import dataclass

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.engines import Engine, fill
from shipform.values import checks
from shipform.values.secret_ref import SecretRef


@dataclass(frozen=True)
class DatabaseClient:
    """``<PREFIX>_HOST``, ``_PORT``, ``_NAME`` (engines with named databases), ``_USER``, ``_URL`` and the password
    as the file ``_PASSWORD_FILE`` (or, with ``password_env``, as ``_PASSWORD`` from a secretKeyRef, which the URL
    then carries), the CA that vouches for the server as ``_CA_FILE``."""

    prefix: str
    engine: Engine
    host: spec.ServiceHost | str
    """A server in the cluster, or one outside it by its name or address."""
    port: int
    user: str
    database: str
    password: SecretRef | None
    password_env: str | None
    url_scheme: str
    url_query: str
    """Appended to the URL's path; {ca} is the CA file's path."""
    ca: SecretRef | None = None

    def env(self) -> list[spec.EnvVar]:
        p, e = self.prefix, self.engine
        host = self.host if isinstance(self.host, spec.ServiceHost) else spec.Plain(self.host)
        env = [spec.EnvVar(f"{p}_HOST", host), spec.EnvVar(f"{p}_PORT", spec.Plain(str(self.port)))]
        if e.has_database:
            env.append(spec.EnvVar(f"{p}_NAME", spec.Plain(self.database)))
        if e.has_user:
            env.append(spec.EnvVar(f"{p}_USER", spec.Plain(self.user)))
        ca = f"/run/secrets/{self.ca.file_name}" if self.ca is not None else ""
        path = fill(e.url_path, database=self.database) + fill(self.url_query, ca=ca)
        url_host = self.host if isinstance(self.host, spec.ServiceHost) or ":" not in self.host else f"[{self.host}]"
        url = spec.ConnectionUrl(self.url_scheme, self.user if e.has_user else "", url_host, self.port, path)
        if self.password_env and self.password is not None:
            # Dependent env var expansion: the kubelet assembles the URL; no file holds the password.
            env.append(spec.EnvVar(f"{p}_PASSWORD", spec.FromSecret(self.password), spec.KUBERNETES_ONLY))
            env.append(spec.EnvVar(f"{p}_URL", spec.ConnectionUrl(
                url.scheme, url.user, url.host, url.port, url.path, password_var=f"{p}_PASSWORD")))
        else:
            env.append(spec.EnvVar(f"{p}_URL", url))
        return env

    def secrets(self) -> dict[str, SecretRef]:
        password = {f"{self.prefix}_PASSWORD": self.password} if self.password is not None else {}
        ca = {f"{self.prefix}_CA": self.ca} if self.ca is not None else {}
        return {**password, **ca}

    def risks(self) -> tuple[spec.AcceptedRisk, ...]:
        if not self.password_env:
            return ()
        return (spec.AcceptedRisk("CKV_K8S_35", f"{self.prefix}_PASSWORD: {self.password_env}"),)


def password_env(path: str, reason: str | None) -> str | None:
    """The reason clients need the password in an env var, which scanners read as an accepted risk: so by the rule
    of a workload's own accepted_risks, one line without ','."""
    if reason is not None and not checks.is_stated_reason(reason, commas=False):
        raise ShipformError(path, "password_env", "must say why clients need the password in an env var, in one "
                            "line without ','", reason, "write e.g. password_env='the ORM reads only DATABASE_URL', "
                            "or drop it and read <PREFIX>_PASSWORD_FILE")
    return reason
