"""cdk8s.yaml, which shipform reads as the cdk8s CLI does: `app` names the command that runs the app file,
`output` the output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shipform.delivery.lock import shown
from shipform.delivery.repository import CDK8S_YAML
from shipform.errors import ShipformError
from shipform.write import reading

CONFIG = Path(CDK8S_YAML)


def read_config(prop: str, fix: str, project: Path = Path(".")) -> dict[str, Any]:
    """The project's cdk8s.yaml as a mapping ({} when there is none); a file that cannot be read as one is a
    ShipformError about ``prop``, with ``fix``, naming the file as seen from the working folder."""
    config = project / CONFIG
    name = shown(config.absolute())
    if not config.is_file() and not reading.is_special(config):
        return {}
    try:
        data = yaml.safe_load(reading.read_text(config))
    except (OSError, UnicodeError, yaml.YAMLError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1}: {getattr(err, 'problem', None)})" \
            if where is not None else ""
        reason = err.strerror if isinstance(err, OSError) else f"the file is not valid YAML{at}"
        raise ShipformError(name, prop, f"cannot be read: {reason}", None, fix) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ShipformError(name, prop, f"cannot be read: the file is a {type(data).__name__}, not a "
                            "mapping", None, f"write cdk8s.yaml as `key: value` lines; {fix}")
    return data
