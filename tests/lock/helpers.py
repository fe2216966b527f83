"""The CLI in process (typer's runner): the same commands, without starting Python and Node again."""

from __future__ import annotations

from typing import Any


def invoke(*args: str) -> Any:
    from typer.testing import CliRunner

    from shipform.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)
