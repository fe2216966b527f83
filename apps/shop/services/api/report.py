"""Nightly report: counts the catalog's products and how often they were asked for (its metrics port)."""

import json
import os
import urllib.request

if __name__ == "__main__":
    with urllib.request.urlopen(f"{os.environ['CATALOG_URL']}/products", timeout=10) as res:
        print(f"{len(json.load(res))} products")
    metrics = f"http://{os.environ['CATALOG_HOST']}:{os.environ['CATALOG_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(metrics, timeout=10) as res:
        requests = [line for line in res.read().decode().splitlines() if line.startswith("catalog_product_")]
    print("\n".join(requests))
