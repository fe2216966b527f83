"""Nightly report: how many products the catalog lists."""

import json
import os
import urllib.request

if __name__ == "__main__":
    with urllib.request.urlopen(f"{os.environ['CATALOG_URL']}/products", timeout=10) as res:
        print(f"{len(json.load(res))} products")
