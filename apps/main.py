"""Entry point for `shipform synth` and `cdk8s synth`: every reference app, synthesized into dist/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders.app import app as orders
from shop.app import app as shop

APPS = [shop, orders]

if __name__ == "__main__":
    for app in APPS:
        app.synth()
