"""Hand-written manifests an Environment includes (``env.include("k8s/extra.yaml")``): read at synth time,
checked, and written beside shipform's objects, so they are in the kustomization and what GitOps applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.write import reading


def read_included(env_path: str, root: Path, files: list[str]) -> list[dict[str, Any]]:
    """Every document of every included file, in order; ShipformError for anything that cannot be applied as
    it is, or that would put a credential into git."""
    manifests: list[dict[str, Any]] = []
    base = root.resolve()
    for file in files:
        path = (root / file).resolve()
        if not path.is_relative_to(base):
            raise ShipformError(env_path, "include", "leads outside the app's folder", file,
                                "keep included manifests inside the folder of the app file")
        try:
            documents = [d for d in yaml.safe_load_all(reading.read_text(path)) if d is not None]
        except FileNotFoundError:
            raise ShipformError(env_path, "include", "is not a file", str(path), "create it or fix the path "
                                "(relative to the app file)") from None
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) else err
            raise ShipformError(env_path, "include", f"cannot be read ({reason})", file, "include a UTF-8 YAML file") \
                from None
        except yaml.YAMLError as err:
            raise ShipformError(env_path, "include", f"is not valid YAML ({str(err).splitlines()[0]})", file,
                                "correct the file (one manifest per '---' document)") from None
        for i, document in enumerate(documents):
            manifests.append(_checked(env_path, f"{file} document {i + 1}", document))
    return manifests


def _checked(env_path: str, where: str, document: object) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("apiVersion"), str) or \
            not isinstance(document.get("kind"), str):
        raise ShipformError(env_path, "include", f"{where} is not a Kubernetes object (apiVersion, kind, metadata)",
                            str(document)[:60], "write one object per document")
    meta = document.get("metadata")
    if not isinstance(meta, dict) or not checks.is_dns_subdomain(meta.get("name")):
        raise ShipformError(env_path, "include", f"{where} needs metadata.name, a Kubernetes object name",
                            meta, "add metadata: {name: <lowercase name>}")
    if document["kind"] == "Secret" and (document.get("data") or document.get("stringData")):
        raise ShipformError(env_path, "include", f"{where} is a Secret with its values, which would land in git",
                            meta["name"], "reference the Secret instead (SecretRef; `shipform secrets kubectl` or a "
                            "SecretStore creates it)")
    return document
