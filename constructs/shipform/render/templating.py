"""The one Jinja2 loader: templates/ ships inside the wheel as shipform/templates and sits at the
repository root in an editable install."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2


def templates_dir() -> Path:
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,  # compiled once per process: no stat of every template at every render
    )


def render(name: str, **context: object) -> str:
    """Template ``name`` filled with ``context``; an unknown variable is an error, never an empty string."""
    return environment().get_template(name).render(**context)
