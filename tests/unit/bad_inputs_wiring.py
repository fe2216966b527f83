"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): wiring that would be silently
wrong. A quota given too small for a backup's dump space; an External host name whose addresses can only be
private, which the NetworkPolicy rule for public addresses would never reach."""

from __future__ import annotations

from unit.bad_inputs import PG

DUMP = ('backup=Backup(schedule="@daily", to=S3Target("acme-bk", SecretRef("s3", "credentials"), '
        'restore_credentials=SecretRef("s3-read", "credentials"))))')

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

# Data that must outlive its claim, its cluster and its credentials.
STAGE = 'stage = Environment(app, "stage")\n'
ROLE = 'AwsRole("arn:aws:iam::123456789012:role/backup")'
BUCKET = 'S3Target("acme-bk", identity=' + ROLE + ', '
PROD_PG = 'StatefulDB(prod, "db", engine="postgres", version="16", '
WIRING_CASES += [
    ("database-volume-of-a-class-that-deletes", STAGE + 'StatefulDB(stage, "db", engine="postgres", version="16")',
     "shop/stage/db", "storage_class"),
    ("reclaim-policy-unknown", PG + 'reclaim_policy="Recycle")', "shop/dev/db", "reclaim_policy"),
    ("data-storage-parameter-name-with-a-space", 'Environment(app, "stage", data_storage=DataStorage('
     '"ebs.csi.aws.com", {"i ops": "3000"}))', "shop/stage", "data_storage.parameters['i ops']"),
    ("data-storage-provisioner-not-a-name", 'Environment(app, "stage", data_storage=DataStorage("EBS CSI"))',
     "shop/stage", "data_storage.provisioner"),
    ("backup-kept-in-the-cluster-it-backs-up", PROD_PG + 'backup=Backup(schedule="@daily"))', "shop/prod/db",
     "backup.to"),
    ("backup-in-cluster-reason-with-a-bucket", PROD_PG + 'backup=Backup(schedule="@daily", in_cluster="velero", '
     'to=' + BUCKET + 'restore_identity=' + ROLE + ')))', "shop/prod/db", "backup.in_cluster"),
    ("backup-in-cluster-reason-empty", PROD_PG + 'backup=Backup(schedule="@daily", in_cluster=" "))', "shop/prod/db",
     "backup.in_cluster"),
    ("backup-upload-with-keys-and-identity", PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", '
     'SecretRef("s3", "credentials"), identity=' + ROLE + ', restore_identity=' + ROLE + ')))', "shop/dev/db",
     "backup.to.credentials"),
    ("backup-upload-without-access", PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", '
     'restore_identity=' + ROLE + ')))', "shop/dev/db", "backup.to.credentials"),
    ("backup-restore-without-access", PG + 'backup=Backup(schedule="@daily", to=' + BUCKET + ')))', "shop/dev/db",
     "backup.to.restore_credentials"),
    ("backup-role-not-an-arn", PG + 'backup=Backup(schedule="@daily", to=S3Target("acme-bk", '
     'identity=AwsRole("shop-backup"), restore_identity=' + ROLE + ')))', "shop/dev/db", "backup.to.identity.arn"),
]
