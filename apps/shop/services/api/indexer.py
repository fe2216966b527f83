"""Search indexer: takes jobs off the cache's 'index-jobs' list and indexes each product. In prod KEDA runs one
replica per five waiting jobs, none while the list is empty.

`python -m indexer check` is its health check: it says whether the worker's loop is turning (a heartbeat file it
touches at least every few seconds), not whether Redis is up. A check that failed with Redis would have
Kubernetes restart every worker whenever Redis blips, which helps nothing; while Redis is away the loop keeps
retrying, and turning."""

import os
import socket
import sys
import time
from pathlib import Path
from typing import BinaryIO

QUEUE = "index-jobs"
HEARTBEAT = Path(os.environ.get("INDEXER_HEARTBEAT", "/tmp/indexer.heartbeat"))
STALE_SECONDS = 30
WAIT_SECONDS = 5  # the longest one turn of the loop blocks on the list


def read(reply: BinaryIO) -> object:
    """One RESP value."""
    line = reply.readline()
    if not line:
        raise ConnectionError("the server closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [read(reply) for _ in range(size)]
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else reply.read(size + 2)[:-2]
    return rest


def command(conn: socket.socket, reply: BinaryIO, *args: str) -> object:
    conn.sendall(f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args))
    return read(reply)


def drain() -> None:
    """Log in and take jobs until the connection breaks."""
    with socket.create_connection((os.environ["CACHE_HOST"], int(os.environ["CACHE_PORT"])), timeout=10) as conn:
        conn.settimeout(WAIT_SECONDS + 10)
        reply = conn.makefile("rb")
        with open(os.environ["CACHE_PASSWORD_FILE"]) as f:
            command(conn, reply, "AUTH", os.environ["CACHE_USER"], f.read().strip())
        while True:
            HEARTBEAT.touch()
            popped = command(conn, reply, "BLPOP", QUEUE, str(WAIT_SECONDS))
            if isinstance(popped, list):
                print(f"indexing {popped[1].decode()}", flush=True)


def healthy() -> bool:
    try:
        return time.time() - HEARTBEAT.stat().st_mtime < STALE_SECONDS
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        sys.exit(0 if healthy() else 1)
    while True:
        try:
            drain()
        except (OSError, RuntimeError) as error:  # Redis away, or refusing us: say so and try again
            print(f"cannot reach the queue ({error}); retrying in {WAIT_SECONDS} s", file=sys.stderr, flush=True)
            HEARTBEAT.touch()
            time.sleep(WAIT_SECONDS)
