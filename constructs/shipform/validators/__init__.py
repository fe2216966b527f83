"""The third-party validators shipform's own gate runs over synthesized output (tests/validators), run the same way
for `shipform validate`: which files each tool reads (tree.py), how a tool is found and run offline (process.py),
each tool's command line and report (images.py, manifests.py, compose.py, workflows.py), which findings are
accepted and why (accepted.py), all of them over one folder (run.py) and SARIF 2.1.0 (sarif.py).

Everything here is plain Python over files on disk: no construct, spec or renderer."""
