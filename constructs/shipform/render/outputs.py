"""Every output shipform writes, in the order the pipeline renders them. A new output is a module with a
``files(app, context)`` function, listed here."""

from __future__ import annotations

from shipform.render import accepted_risks, compose, dockerfile, gitops, k8s, trust, workflows
from shipform.render.output import Output

OUTPUTS: tuple[Output, ...] = (dockerfile.files, compose.files, k8s.files, gitops.files, accepted_risks.files,
                              workflows.files, trust.files)
