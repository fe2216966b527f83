"""Healthy while the main loop touched its heartbeat file in the last 30 seconds."""

import os
import sys
import time

from mailer import HEARTBEAT

try:
    sys.exit(0 if time.time() - os.path.getmtime(HEARTBEAT) < 30 else 1)
except OSError:
    sys.exit(1)
