"""kubernetes-validate's own command line (``kubernetes_validate.__main__.main``), made fast enough to run on
every object of every tree: the tool reads its JSON schema files once per object and parses each YAML file
once per Kubernetes version with PyYAML's pure-Python SafeLoader. Here each schema file and each YAML file is
read once per process, with PyYAML's C build of the same SafeLoader where it exists. Nothing else changes:
same arguments, same checks, same output lines (INFO / WARN / ERROR), same exit code.

    python -m shipform.validators.kubernetes_validate_cached --strict -k 1.33.0 FILE...
"""

from __future__ import annotations

import functools
import sys

import yaml
from kubernetes_validate import __main__ as cli
from kubernetes_validate import utils

yaml.SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[misc]
utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)
utils.resources_from_file = functools.lru_cache(maxsize=None)(utils.resources_from_file)

if __name__ == "__main__":
    sys.exit(cli.main())
