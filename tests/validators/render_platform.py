"""Render the generated platform app (tests/apps/platform_app.py) to disk, in its own process:

    python tests/validators/render_platform.py OUTDIR

builds the app (at scale 1: every construct and prop family, a quarter of the services, so the validators'
run stays short) with its sources under OUTDIR (conftest.write_sources), renders it with
shipform.synth.pipeline.render(app, OUTDIR / "out") and writes every file under OUTDIR/out/<app>/, the folder
``render`` resolves relative paths against (compose build contexts). Prints that folder on its last line."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from apps.platform_app import build  # noqa: E402
from conftest import write_sources  # noqa: E402
from shipform.synth.pipeline import render  # noqa: E402


def main(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_sources(root)
    app = build(root, scale=1)
    outdir = root / "out"
    folder = outdir / app.name
    for rel, text in render(app, outdir).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


if __name__ == "__main__":
    print(main(Path(sys.argv[1]).resolve()))
