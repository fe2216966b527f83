"""The mail worker: polls the API for queued mail and sends it."""

HEARTBEAT = "/tmp/mailer-heartbeat"
