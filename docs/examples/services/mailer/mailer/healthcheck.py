"""Healthy while the worker's loop is turning: its heartbeat file is younger than 30 seconds."""

import sys
import time
from pathlib import Path

if __name__ == "__main__":
    beat = Path("/tmp/mailer-heartbeat")
    sys.exit(0 if beat.exists() and time.time() - beat.stat().st_mtime < 30 else 1)
