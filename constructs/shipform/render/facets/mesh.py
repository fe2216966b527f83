"""Mesh membership (the Mesh facet): the mesh provider's objects of the workload (its authorization, traffic
policies), and the sidecar's way to the control plane (configuration, certificates, policies), on its ports
alone."""

from __future__ import annotations

from shipform import spec
from shipform.render import mesh
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import pods_in, tcp_numbers


def _meshed(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.Mesh) is not None else f"{w.name}'s namespace is not enrolled in a service mesh (mesh=)"


def reached(w: spec.Workload, enrolled: spec.Mesh) -> NetworkRules:
    return [{"to": [pods_in(enrolled.namespace, enrolled.pods)],
             "ports": tcp_numbers(mesh.control_plane_ports(enrolled))}]


CONTRIBUTION = Contribution(
    spec.Mesh,
    rules=(Rule("mesh", _meshed, objects=mesh.planned,
                why=lambda w, role, cilium: _meshed(w, cilium) or f"nothing calls {w.name} through the mesh"),),
    egress=reached)
