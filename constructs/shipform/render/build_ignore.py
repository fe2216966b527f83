"""What never belongs in an image, by .dockerignore rule: the generated ignore file lists these, and compose's
develop.watch ignores the same paths, so a change to one neither syncs nor rebuilds anything."""

from __future__ import annotations

NEVER = (
    "**/.git", "**/.gitignore", "**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks",
    "**/secrets/", "**/.npmrc", "**/.yarnrc", "**/.yarnrc.yml", "**/.pypirc", "**/pip.conf", "**/.netrc",
    "**/.docker/", "**/.aws/", "**/.azure/", "**/.config/gcloud/", "**/.kube/", "**/.ssh/", "**/id_rsa*",
    "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*", "**/*.tfstate", "**/*.tfstate.*", "**/*.tfvars",
)
"""Version control, local secrets, environment and credentials files, at any depth."""
LOCAL = (
    "**/__pycache__", "**/*.pyc", ".venv/", "venv/", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/",
    "node_modules/", "npm-debug.log*", ".npm/", "coverage/", "*.test", ".idea/", ".vscode/", "*.swp", ".DS_Store",
)
"""Local build output, caches and editor files."""
INSTRUCTIONS = ("Dockerfile*", "*.dockerignore", "compose*.yaml", "compose*.yml")
"""The build instructions themselves."""
