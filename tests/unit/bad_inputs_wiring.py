"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): wiring that would be silently
wrong. A quota given too small for a backup's dump space; an External host name whose addresses can only be
private, which the NetworkPolicy rule for public addresses would never reach."""

from __future__ import annotations

from unit.bad_inputs import PG

DUMP = 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", SecretRef("s3", "credentials"))))'

LEDGER = 'ledger = External(dev, "ledger", port=5432, host="{}")\n' + \
    'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[ledger])'

WIRING_CASES = [
    ("external-host-single-label", LEDGER.format("ledger"), "shop/dev/ledger", "host"),
    ("external-host-internal", LEDGER.format("ledger.internal"), "shop/dev/ledger", "host"),
    ("external-host-kubernetes-service", LEDGER.format("ledger.payments.svc.cluster.local"), "shop/dev/ledger",
     "host"),
    ("external-host-home-network", LEDGER.format("nas.home.arpa"), "shop/dev/ledger", "host"),
    ("quota-smaller-than-the-dump-space", 'ns = SecureNamespace(dev, "team", quota=Quota(ephemeral_storage="50Gi"))\n'
     + PG.replace("(dev,", "(ns,") + 'storage="50Gi", ' + DUMP, "shop/dev/team", "quota.ephemeral_storage"),
]
