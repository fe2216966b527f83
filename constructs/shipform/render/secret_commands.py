"""The shell script that creates by hand the Secrets an Environment references (`shipform secrets kubectl`).

Each (Secret name, key) gets one random value, held in a shell variable and reused in every namespace that
references that Secret, so a database and its clients in other namespaces agree on the password. Secrets an
ExternalSecret provides are not created, only named; an S3 credentials key is an AWS shared credentials
file, never a random string. Everything that comes from the app is quoted for the shell.
"""

from __future__ import annotations

import re
import shlex

from shipform import spec
from shipform.render.external_secrets import external_secrets, referenced_secrets

AWS_CREDENTIALS_ENV = "AWS_SHARED_CREDENTIALS"
"""The secret file env name under which a backup's S3Target mounts its credentials."""
AWS_CREDENTIALS_PLACEHOLDER = "/path/to/aws-credentials"
RANDOM_VALUE = '"$(openssl rand -base64 24)"'


def _comment(text: str) -> str:
    """A shell comment: one line, whatever the names in it hold."""
    return "# " + " ".join(text.splitlines())


def file_keys(env: spec.Environment) -> set[tuple[str, str]]:
    """(Secret name, key) pairs that hold an AWS shared credentials file rather than a password."""
    return {(f.ref.name, f.ref.key) for w in env.workloads for f in w.every_secret_file
            if f.env_name == AWS_CREDENTIALS_ENV}


def _variable_names(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for name, key in pairs:
        base = re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{key}").strip("_").upper() or "SECRET"
        if base[0] in "0123456789":
            base = f"S_{base}"
        candidate, n = base, 2
        while candidate in names.values():
            candidate, n = f"{base}_{n}", n + 1
        names[(name, key)] = candidate
    return names


def kubectl_create_commands(env: spec.Environment) -> list[str]:
    """The lines of a POSIX shell script that creates every Secret the Environment references."""
    header = f"Secrets of app {env.app!r}, Environment {env.name!r}"
    wanted = referenced_secrets(env)
    if not wanted:
        return [_comment(f"{header}: none referenced")]
    if env.secret_source is not None:
        return [_comment(f"{header}: provided by External Secrets, nothing to create")] + [
            _comment(f"{doc['metadata']['namespace']}/{doc['metadata']['name']}: from the ExternalSecret of that "
                     f"name, {doc['spec']['secretStoreRef']['kind']} {doc['spec']['secretStoreRef']['name']!r}, "
                     f"remote key {doc['spec']['data'][0]['remoteRef']['key']!r}")
            for doc in external_secrets(env)]
    files = file_keys(env)
    certificates = env.certificates()  # made by cert-manager or by hand from a certificate, never random
    wanted_tls = {key: keys for key, keys in wanted.items() if key[1] in certificates}
    wanted = {key: keys for key, keys in wanted.items() if key[1] not in certificates}
    pairs = sorted({(name, key) for (_, name), keys in wanted.items() for key in keys} - files)
    variables = _variable_names(pairs)
    lines = [_comment(f"{header}: one random value per Secret key, the same in every namespace"), "set -eu"]
    lines += [f"{variables[pair]}={RANDOM_VALUE}" for pair in pairs]
    for name, key in sorted({(name, key) for (_, name), keys in wanted.items() for key in keys} & files):
        lines.append(_comment(f"{name}/{key} is an AWS shared credentials file ([default] with aws_access_key_id "
                              f"and aws_secret_access_key): replace {AWS_CREDENTIALS_PLACEHOLDER} with its path"))
    for (namespace, name), keys in wanted.items():
        args = [shlex.quote(f"--from-file={key}={AWS_CREDENTIALS_PLACEHOLDER}") if (name, key) in files
                else shlex.quote(f"--from-literal={key}=") + f'"${variables[(name, key)]}"' for key in keys]
        lines.append(" ".join(["kubectl", "-n", shlex.quote(namespace), "create", "secret", "generic",
                               shlex.quote(name), *args]))
    for (namespace, name), keys in wanted_tls.items():
        # A namespace whose workloads only verify the server gets the CA alone, never the key.
        lines.append(_comment(f"{namespace}/{name} holds a certificate ({', '.join(keys)}), best issued by "
                              f"cert-manager (a Certificate with secretName {name}); by hand, from files:"))
        lines.append(" ".join(["kubectl", "-n", shlex.quote(namespace), "create", "secret", "generic",
                               shlex.quote(name), *(f"--from-file={key}=/path/to/{key}" for key in keys)]))
    return lines
