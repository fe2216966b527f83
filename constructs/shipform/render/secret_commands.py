"""The shell script that creates by hand the Secrets an Environment references (`shipform secrets kubectl`).

Only the keys shipform owns (a StatefulDB's passwords: spec.SecretFile.owned) get a random value, and the keys whose
value it knows (a CloudNativePG owner's user name: spec.Environment.fixed_secrets) that value, held in a shell
variable and reused in every namespace that references that Secret, so a database and its clients in other
namespaces agree on the password. Every other key holds a value from outside shipform (a third-party API key, a
managed database's password): the script reads it from a variable the user sets (:func:`asked_variables`), and
stops before creating anything when one is unset, naming each. Secrets an ExternalSecret provides are not created,
only named; an S3 credentials key is an AWS shared credentials file, never a random string. Everything that comes
from the app is quoted for the shell.

No value is ever a command's argument, which any user of the machine can read (/proc/<pid>/cmdline, ``ps``): a
Secret holding values is a manifest that the shell's own ``printf`` writes to ``kubectl create -f -``, each value
base64-encoded by ``base64`` reading it on standard input.
"""

from __future__ import annotations

import json
import re
import shlex

from shipform import spec
from shipform.render.alertmanager import routes_name, secret_places
from shipform.render.external_secrets import PULL_KEY, external_secrets, referenced_secrets

AWS_CREDENTIALS_ENV = "AWS_SHARED_CREDENTIALS"
"""The secret file env name under which a backup's S3Target mounts its credentials."""
AWS_CREDENTIALS_PLACEHOLDER = "/path/to/aws-credentials"
RANDOM_VALUE = '"$(openssl rand -base64 24)"'
ENCODE, ENCODE_FILE = "shipform_base64", "shipform_base64_file"
"""The script's functions that print their argument's value (the file's content) base64-encoded on one line; a shell
function runs no program, so the value reaches ``base64`` on standard input only."""
ENCODING = [f"{ENCODE}() {{ printf '%s' \"$1\" | base64 | tr -d '\\n'; }}",
            f"{ENCODE_FILE}() {{ base64 < \"$1\" | tr -d '\\n'; }}",
            "command -v base64 >/dev/null || { printf '%s\\n' 'error: nothing created: base64 is not installed' >&2; "
            "exit 1; }"]
ASKED_PREFIX = "SHIPFORM_SECRET_"
"""Variables the user sets carry this prefix, so a variable of the same name set for something else (a CI's
GITHUB_TOKEN for a Secret 'github' key 'token') is never taken for a Secret's value by chance."""

Pair = tuple[str, str]
"""(Secret name, key)."""


def _comment(text: str) -> str:
    """A shell comment: one line, whatever the names in it hold."""
    return "# " + " ".join(text.splitlines())


def file_keys(env: spec.Environment) -> set[Pair]:
    """(Secret name, key) pairs that hold an AWS shared credentials file rather than a password."""
    return {(f.ref.name, f.ref.key) for w in env.workloads for f in w.every_secret_file
            if f.env_name == AWS_CREDENTIALS_ENV}


def _variable_names(pairs: list[Pair]) -> dict[Pair, str]:
    names: dict[Pair, str] = {}
    for name, key in pairs:
        base = re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{key}").strip("_").upper() or "SECRET"
        if base[0] in "0123456789":
            base = f"S_{base}"
        candidate, n = base, 2
        while candidate in names.values():
            candidate, n = f"{base}_{n}", n + 1
        names[(name, key)] = candidate
    return names


def value_pairs(env: spec.Environment) -> list[Pair]:
    """The referenced (Secret name, key) pairs that hold a plain value: neither a certificate nor a file."""
    certificates = env.certificates()  # made by cert-manager or by hand from a certificate, never random
    return sorted({(name, key) for (_, name), keys in referenced_secrets(env).items() for key in keys
                   if name not in certificates} - file_keys(env))


def variables(env: spec.Environment) -> dict[Pair, str]:
    """{pair: the shell variable that holds its value}: ``ASKED_PREFIX`` + the name for a value from outside, the
    name alone for one shipform owns (random) or knows (:meth:`spec.Environment.fixed_secrets`)."""
    ours = {(ref.name, ref.key) for ref in env.owned_secrets()} | set(_fixed(env))
    return {pair: name if pair in ours else ASKED_PREFIX + name
            for pair, name in _variable_names(value_pairs(env)).items()}


def _fixed(env: spec.Environment) -> dict[Pair, str]:
    """The known values by (Secret, key): a Secret's keys are the same in every namespace here."""
    return {(name, key): value for (_, name, key), value in env.fixed_secrets().items()}


def _value_lines(env: spec.Environment, names: dict[Pair, str]) -> list[str]:
    """The script's own values: each known value as it is (quoted), a random one for each key shipform owns."""
    fixed = _fixed(env)
    return [f"{names[pair]}={shlex.quote(fixed[pair]) if pair in fixed else RANDOM_VALUE}" for pair in sorted(names)
            if not names[pair].startswith(ASKED_PREFIX)]


def asked_variables(env: spec.Environment) -> dict[Pair, str]:
    """{pair: the variable the user sets} for every value from outside shipform (not owned by it)."""
    return {pair: name for pair, name in variables(env).items() if name.startswith(ASKED_PREFIX)}


def readers(env: spec.Environment, pair: Pair) -> str:
    """Who reads the key, as a person would look it up: 'shop/api (PAYMENTS_API_KEY_FILE), ...'."""
    found = sorted({f"{w.namespace}/{w.name} ({f.env_name}_FILE)" for w in env.workloads
                    for f in w.every_secret_file if (f.ref.name, f.ref.key) == pair})
    found += sorted(f"Alertmanager ({namespace}/{routes_name(env.app)})"
                    for (namespace, name), keys in secret_places(env).items() if (name, pair[1]) == pair
                    and pair[1] in keys)
    found += sorted(f"KafkaSource {s.namespace}/{s.name}" for s in env.eventing.sources
                    if isinstance(s, spec.KafkaSource) and pair in {(r.name, r.key) for r in s.secret_refs()})
    found += sorted({f"{f.reader()} of {w.namespace}/{w.name}" for w in env.workloads for f in w.facets
                     if f.reader() and pair in {(r.name, r.key) for r in f.secret_refs()}})
    return ", ".join(found)


def kubectl_create_commands(env: spec.Environment) -> list[str]:
    """The lines of a POSIX shell script that creates every Secret the Environment references."""
    header = f"Secrets of app {env.app!r}, Environment {env.name!r}"
    wanted = referenced_secrets(env)
    if not wanted and not env.pull_secrets():
        return [_comment(f"{header}: none referenced")]
    if not wanted:
        return [_comment(f"{header}: the image pull secret only"), *pull_lines(env)]
    if env.secret_source is not None:
        return [_comment(f"{header}: provided by External Secrets, nothing to create")] + [
            _comment(f"{doc['metadata']['namespace']}/{doc['metadata']['name']}: from the ExternalSecret of that "
                     f"name, {doc['spec']['secretStoreRef']['kind']} {doc['spec']['secretStoreRef']['name']!r}, "
                     f"remote key {doc['spec']['data'][0]['remoteRef']['key']!r}")
            for doc in external_secrets(env)] + pull_lines(env)
    files = file_keys(env)
    certificates = env.certificates()
    wanted_tls = {key: keys for key, keys in wanted.items() if key[1] in certificates}
    wanted = {key: keys for key, keys in wanted.items() if key[1] not in certificates}
    names = variables(env)
    known = ", and the values it knows (a database's user name)" if env.fixed_secrets() else ""
    lines = [_comment(f"{header}: a random value for each key shipform owns (its databases' passwords), the same "
                      f"in every namespace{known}; every other value from a {ASKED_PREFIX}* variable you set; no value "
                      "is a command's argument"), "set -eu"]
    if _by_hand(env) or any((name, key) not in files for (_, name), keys in wanted.items() for key in keys):
        lines += ENCODING
    lines += _asked_checks(env, asked_variables(env))
    lines += _value_lines(env, names)
    for name, key in sorted({(name, key) for (_, name), keys in wanted.items() for key in keys} & files):
        lines.append(_comment(f"{name}/{key} is an AWS shared credentials file ([default] with aws_access_key_id "
                              f"and aws_secret_access_key): replace {AWS_CREDENTIALS_PLACEHOLDER} with its path"))
    lines += pull_lines(env, prepared=True)  # its check too stops the script before anything is created
    lines += [_create_command(namespace, name, keys, files, names) for (namespace, name), keys in wanted.items()]
    for (namespace, name), keys in wanted_tls.items():
        # A namespace whose workloads only verify the server gets the CA alone, never the key.
        lines.append(_comment(f"{namespace}/{name} holds a certificate ({', '.join(keys)}), best issued by "
                              f"cert-manager (a Certificate with secretName {name}); by hand, from files:"))
        lines.append(" ".join(["kubectl", "-n", shlex.quote(namespace), "create", "secret", "generic",
                               shlex.quote(name), *(f"--from-file={key}=/path/to/{key}" for key in keys)]))
    return lines


def _create_command(namespace: str, name: str, keys: list[str], files: set[Pair], names: dict[Pair, str]) -> str:
    """The command that creates one Secret: from files by their paths alone, else from a manifest on standard
    input, so no value is ever an argument."""
    if all((name, key) in files for key in keys):
        args = [shlex.quote(f"--from-file={key}={AWS_CREDENTIALS_PLACEHOLDER}") for key in keys]
        return " ".join(["kubectl", "-n", shlex.quote(namespace), "create", "secret", "generic", shlex.quote(name),
                         *args])
    return _manifest_command(namespace, name, {
        key: f"$({ENCODE_FILE} {AWS_CREDENTIALS_PLACEHOLDER})" if (name, key) in files
        else f'$({ENCODE} "${names[(name, key)]}")' for key in keys})


def pull_lines(env: spec.Environment, prepared: bool = False) -> list[str]:
    """The pull secret: named where the platform makes it or a store syncs it, else created in each namespace that
    pulls from a manifest on standard input, its docker config JSON read from a variable (never an argument), after
    a check that stops the script while it is unset. ``prepared``: the script has set -eu and the encoding
    functions already."""
    by_name: dict[spec.PullSecretSpec, list[str]] = {}
    for namespace, pull in env.pull_secrets().items():
        if not pull.synced:
            by_name.setdefault(pull, []).append(namespace)
    lines = []
    for pull, namespaces in sorted(by_name.items(), key=lambda item: (item[0].name, item[0].existing)):
        where = ", ".join(namespaces)
        if pull.existing:
            lines.append(_comment(f"{pull.name}: the image pull secret, made by the platform in {where}: nothing to "
                                  "create"))
            continue
        variable = pull_variable(pull.name)
        lines += [_comment(f"{pull.name}: the image pull secret in {where}, from {variable}: a docker config JSON, "
                           'e.g. {"auths":{"ghcr.io":{"auth":"<base64 of user:token>"}}} with a token that may read '
                           "packages"),
                  f'[ -n "${{{variable}:-}}" ] || {{ '
                  f'{_stderr(f"unset {variable}: the docker config JSON of {pull.name}")}; exit 1; }}']
        encoded = {PULL_KEY: f'$({ENCODE} "${variable}")'}
        lines += [_manifest_command(namespace, pull.name, encoded, "kubernetes.io/dockerconfigjson")
                  for namespace in namespaces]
    return [*([] if prepared or not _by_hand(env) else ["set -eu", *ENCODING]), *lines]


def pull_variable(name: str) -> str:
    """The variable that holds the docker config JSON of the pull secret ``name``, as any Secret's key's."""
    return ASKED_PREFIX + re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_dockerconfigjson").strip("_").upper()


def _by_hand(env: spec.Environment) -> bool:
    """Whether the script creates a pull secret (from a variable)."""
    return any(not p.synced and not p.existing for p in env.pull_secrets().values())


def _manifest_command(namespace: str, name: str, encoded: dict[str, str], kind: str = "Opaque") -> str:
    """``kubectl create -f -`` fed a Secret manifest (JSON) by the shell's ``printf``: ``encoded`` maps each key to
    the shell expansion that prints its value in base64. The JSON around the expansions is quoted for the shell."""
    head = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "type": kind}
    text = json.dumps(head)[:-1] + ', "data": {'
    word = ""
    for i, (key, expansion) in enumerate(encoded.items()):
        word += shlex.quote(f'{text}{", " if i else ""}{json.dumps(key)}: "') + f'"{expansion}"'
        text = '"'
    word += shlex.quote(text + "}}")
    return f"printf '%s\\n' {word} | kubectl -n {shlex.quote(namespace)} create -f -"


def _asked_checks(env: spec.Environment, asked: dict[Pair, str]) -> list[str]:
    """Stop before any Secret is created while a value from outside is unset, naming every missing variable."""
    if not asked:
        return []
    lines = ['missing=""']
    for (name, key), variable in sorted(asked.items(), key=lambda item: item[1]):
        what = f"Secret {name}, key {key}, read by {readers(env, (name, key))}"
        lines.append(_comment(f"{variable}: {what}: a value from outside shipform, never generated"))
        lines.append(f'[ -n "${{{variable}:-}}" ] || {{ {_stderr(f"unset {variable}: {what}")}; missing=1; }}')
    fix = ("error: nothing created: export each variable above with the value from its provider (in bash, without "
           "echoing it: read -rs VAR && export VAR), then run this script again")
    lines.append(f'[ -z "$missing" ] || {{ {_stderr(fix)}; exit 1; }}')
    return lines


def _stderr(text: str) -> str:
    """A command that prints ``text`` on stderr as it is (printf, not echo, which some shells read escapes in)."""
    return f"printf '%s\\n' {shlex.quote(text)} >&2"
