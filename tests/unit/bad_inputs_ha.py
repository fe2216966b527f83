"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): a highly available Postgres
(StatefulDB(ha=Ha(...)), a CloudNativePG Cluster) that could not fail over, an engine no operator replicates, and
backups barman could not write or a recovery could not read."""

from __future__ import annotations

from unit.bad_inputs import DB, PG

API = 'api_server=ApiServer(cidrs=["10.0.0.10/32"])'
KEYS = ', access_key_id=SecretRef("pg-s3", "ACCESS_KEY_ID"), secret_access_key=SecretRef("pg-s3", "ACCESS_SECRET_KEY")'
BUCKET = 'backup=Backup(schedule="@daily", to=S3Target("acme-bk"{}))'


def ha(props: str = "", backup: str = "") -> str:
    """A postgres with ha=Ha(api_server=..., <props>) and, when given, ``backup``."""
    return PG + (f"{backup}, " if backup else "") + f"ha=Ha({API}{props}))"


HA_CASES = [
    ("ha-one-instance", ha(", instances=1"), "shop/dev/db", "ha.instances"),
    ("ha-on-mysql", DB + f'engine="mysql", version="8.4", ha=Ha({API}))', "shop/dev/db", "ha"),
    ("ha-on-redis", DB + f'engine="redis", version="7.4", ha=Ha({API}))', "shop/dev/db", "ha"),
    ("ha-in-a-mesh", 'm = Environment(app, "stage", mesh=Mesh(), data_storage=DataStorage("ebs.csi.aws.com"))\n'
     'ns = SecureNamespace(m, "team", mesh="istio")\n'
     f'StatefulDB(ns, "db", engine="postgres", version="16", ha=Ha({API}))', "shop/stage/team/db", "ha"),
    ("ha-anti-affinity-unknown", ha(', anti_affinity="sometimes"'), "shop/dev/db", "ha.anti_affinity"),
    ("ha-retention-in-words", ha(', retention="30 days"'), "shop/dev/db", "ha.retention"),
    ("ha-unknown-field", ha(", replicas=3"), "shop/dev/db", "ha.replicas"),
    ("ha-api-server-without-addresses", PG + 'ha=Ha(api_server=ApiServer(cidrs=[])))', "shop/dev/db",
     "ha.api_server.cidrs"),
    ("ha-one-key-only", ha(', access_key_id=SecretRef("pg-s3", "ACCESS_KEY_ID")'), "shop/dev/db", "ha.access_key_id"),
    ("ha-backup-on-a-claim", ha(KEYS, 'backup=Backup(schedule="@daily")'), "shop/dev/db", "backup.to"),
    ("ha-backup-credentials-file", ha(KEYS, BUCKET.format(', credentials=SecretRef("s3", "credentials")')),
     "shop/dev/db", "backup.to.credentials"),
    ("ha-backup-kms-key", ha(KEYS, BUCKET.format(', encryption="aws:kms", kms_key="alias/pg"')), "shop/dev/db",
     "backup.to.kms_key"),
    ("ha-backup-without-keys-or-role", ha("", BUCKET.format("")), "shop/dev/db", "ha.access_key_id"),
    ("ha-backup-keys-and-role", ha(KEYS, BUCKET.format(', identity=AwsRole("arn:aws:iam::123456789012:role/pg")')),
     "shop/dev/db", "ha.access_key_id"),
    ("ha-backup-drill", ha(KEYS, 'backup=Backup(schedule="@daily", to=S3Target("acme-bk"), drill=Drill("@weekly"))'),
     "shop/dev/db", "backup.drill"),
    ("ha-recovery-without-backup", ha(', recovery=Recovery(source="old-db")'), "shop/dev/db", "ha.recovery"),
    ("ha-recovery-into-its-own-folder", ha(KEYS + ', recovery=Recovery(source="db")', BUCKET.format("")),
     "shop/dev/db", "ha.recovery.source"),
    ("ha-recovery-time-without-offset", ha(KEYS + ', recovery=Recovery(source="old", target_time="2026-03-01 09:30")',
                                           BUCKET.format("")), "shop/dev/db", "ha.recovery.target_time"),
    # CloudNativePG's admission refuses an offset without its colon.
    ("ha-recovery-time-offset-without-colon", ha(KEYS + ', recovery=Recovery(source="old", target_time='
                                                 '"2026-03-01T09:30:00+0100")', BUCKET.format("")), "shop/dev/db",
     "ha.recovery.target_time"),
]
