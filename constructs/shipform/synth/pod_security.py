"""Pod Security "restricted" checked on every pod shipform renders, once the constructs' changes are applied:
a field an escape-hatch patch (or a prop) relaxes is an error unless the workload's ``accepted_risks`` names
its rule with a reason, which the workload's objects and .trivyignore.yaml then carry for the scanners (see
values/pod_security.py for the rules)."""

from __future__ import annotations

from collections.abc import Sequence

from shipform.errors import ShipformError
from shipform.render.environment import Rendered
from shipform.synth.handles import Resolved
from shipform.values import pod_security
from shipform.values.pod_security import Violation


def pod_security_errors(rendered: Sequence[Rendered], resolved: Sequence[Resolved]) -> list[ShipformError]:
    """One error per field of a rendered pod that breaks a rule its workload does not accept."""
    changed_by = {key: member.path for member, _, keys in resolved for key in keys}
    errors = []
    for r in rendered:
        found = pod_security.violations(r.manifest)
        if not found:
            continue
        stated = pod_security.accepted({risk.check for risk in r.owner.accepted_risks} if r.owner else set())
        owner = r.owner.path if r.owner is not None else changed_by.get(r.key, r.key.namespace)
        errors += [_error(owner, r.key.kind, v, r.owner is not None) for v in found if v.rule.name not in stated]
    return errors


def _error(owner: str, kind: str, v: Violation, can_accept: bool) -> ShipformError:
    if not can_accept:
        fix = "remove it (the object belongs to no workload whose accepted_risks could accept it)"
    else:
        scanners = f"checkov and trivy read it as {', '.join(v.rule.written)}" if v.rule.written else \
            "no scanner reports it"
        fix = (f"remove the patch or prop that sets it, or accept it with accepted_risks={{'{v.rule.name}': "
               f"'<why>'}} on {owner} ({scanners})")
    unset = " (it is not set)" if v.value is None else ""
    return ShipformError(f"{owner}/{kind}", v.field, f"breaks Pod Security 'restricted'{unset}: {v.rule.name} "
                         f"{v.rule.must}", v.value, fix)
