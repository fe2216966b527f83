"""Main loop: one poll every few seconds; the heartbeat file proves the loop is alive. Mail that could not be
sent yet waits in the spool folder, a persistent volume, so a restart loses none."""

import os
import pathlib
import signal
import sys
import time

from mailer import HEARTBEAT

SPOOL = pathlib.Path(os.environ.get("MAILER_SPOOL", "/var/spool/mailer"))
running = True


def stop(*_):
    global running
    running = False


def deliver_spooled():
    """Delivery itself is out of scope for the reference app: spooled mail is counted, and kept."""
    if SPOOL.is_dir():
        (SPOOL / ".last-run").write_text(f"{len(list(SPOOL.glob('*.eml')))} waiting\n")


signal.signal(signal.SIGTERM, stop)
while running:
    pathlib.Path(HEARTBEAT).touch()
    deliver_spooled()
    time.sleep(2)
sys.exit(0)
