"""Service meshes: each is a provider (:class:`~shipform.providers.mesh.protocol.MeshProvider`) registered in
:data:`MESHES`, which ``Mesh(kind=...)`` and ``SecureNamespace(mesh=...)`` choose from by name."""

from __future__ import annotations

from shipform.providers.mesh.istio import ISTIO
from shipform.providers.mesh.linkerd import LINKERD
from shipform.providers.mesh.protocol import MeshProvider
from shipform.providers.registry import Registry

MESHES: Registry[MeshProvider] = Registry("mesh", [ISTIO, LINKERD])
"""The meshes shipform knows, by name, in the order docs and errors list them."""
