"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): wiring that would be silently
wrong. A quota given too small for a backup's dump space; an External host name whose addresses can only be
private, which the NetworkPolicy rule for public addresses would never reach."""

from __future__ import annotations

from unit.bad_inputs import PG

DUMP = 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", SecretRef("s3", "credentials"))))'

WIRING_CASES = [
    ("quota-smaller-than-the-dump-space", 'ns = SecureNamespace(dev, "team", quota=Quota(ephemeral_storage="50Gi"))\n'
     + PG.replace("(dev,", "(ns,") + 'storage="50Gi", ' + DUMP, "shop/dev/team", "quota.ephemeral_storage"),
]
