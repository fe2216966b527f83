"""Main loop: one poll every few seconds; the heartbeat file proves the loop is alive."""

import pathlib
import signal
import sys
import time

from mailer import HEARTBEAT

running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
while running:
    pathlib.Path(HEARTBEAT).touch()
    time.sleep(2)
sys.exit(0)
