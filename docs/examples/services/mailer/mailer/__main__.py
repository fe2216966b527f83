"""The worker's loop: touches its heartbeat file while it runs."""

import time
from pathlib import Path

HEARTBEAT = Path("/tmp/mailer-heartbeat")

if __name__ == "__main__":
    while True:
        HEARTBEAT.touch()
        time.sleep(5)
