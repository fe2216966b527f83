"""The namespace quota an imported app needs, where it is more than SecureNamespace's default: the same count
shipform's quota check makes (each pod at its peak: replicas plus a surge pod, a database's replacement pod),
with the constructs' default resources, since an import sets none."""

from __future__ import annotations

import math
from collections.abc import Iterable

from shipform.importing.plan import Service
from shipform.model.namespace_props import Quota

_GI = 1024


def quota_expression(services: Iterable[Service]) -> str | None:
    """``Quota(...)`` with the fields the default is too small for, or None when it fits."""
    cpu_limit = memory_limit = cpu = memory = 0.0  # cores and MiB
    pods = claims = storage_gi = service_objects = 0
    for s in services:
        if s.kind == "queue":
            continue
        if s.kind == "db":
            n, per = 2, (0.25, 512, 1.0, 1024)
            claims, storage_gi, service_objects = claims + 1, storage_gi + 10, service_objects + 2
        elif s.kind in ("web", "worker"):
            n, per = (s.replicas or 1) + 1, (0.1, 128, 0.5, 256)
            claims, storage_gi = claims + len([v for v in s.volumes.values() if v.startswith("Volume(")]), \
                storage_gi + len([v for v in s.volumes.values() if v.startswith("Volume(")])
            service_objects += 1 if s.kind == "web" else 0
        else:
            n, per = 1, (0.1, 128, 0.5, 256)
        if s.migration is not None:
            pods, cpu, memory, cpu_limit, memory_limit = (pods + 1, cpu + 0.1, memory + 128, cpu_limit + 0.5,
                                                          memory_limit + 256)
        pods += n
        cpu, memory, cpu_limit, memory_limit = (cpu + n * per[0], memory + n * per[1], cpu_limit + n * per[2],
                                                memory_limit + n * per[3])
    default = Quota()
    wanted = {
        "cpu": (math.ceil(cpu), _cores(default.cpu)), "memory": (math.ceil(memory / _GI), _gi(default.memory)),
        "cpu_limit": (math.ceil(cpu_limit), _cores(default.cpu_limit)),
        "memory_limit": (math.ceil(memory_limit / _GI), _gi(default.memory_limit)),
        "pods": (pods, default.pods), "persistent_volume_claims": (claims, default.persistent_volume_claims),
        "storage": (storage_gi, _gi(default.storage)), "services": (service_objects, default.services),
    }
    fields = []
    for key, (need, have) in wanted.items():
        if need > have:
            value = f'"{need}Gi"' if key in ("memory", "memory_limit", "storage") else \
                f'"{need}"' if key in ("cpu", "cpu_limit") else str(need)
            fields.append(f"{key}={value}")
    return f"Quota({', '.join(fields)})" if fields else None


def _cores(value: str | int) -> int:
    return int(value)


def _gi(value: str | int) -> int:
    text = str(value)
    return int(text[:-2]) if text.endswith("Gi") else int(text)
