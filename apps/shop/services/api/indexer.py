"""Search indexer: takes jobs off the cache's 'index-jobs' list and indexes each product. In prod KEDA runs one
replica per five waiting jobs, none while the list is empty. `python -m indexer check` is its health check."""

import os
import socket
import sys
from typing import BinaryIO

QUEUE = "index-jobs"


def read(reply: BinaryIO) -> object:
    """One RESP value."""
    line = reply.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b"*":
        return [read(reply) for _ in range(int(rest))]
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else reply.read(size + 2)[:-2]
    return rest


def command(conn: socket.socket, reply: BinaryIO, *args: str) -> object:
    conn.sendall(f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args))
    return read(reply)


if __name__ == "__main__":
    with socket.create_connection((os.environ["CACHE_HOST"], int(os.environ["CACHE_PORT"])), timeout=10) as conn:
        reply = conn.makefile("rb")
        with open(os.environ["CACHE_PASSWORD_FILE"]) as f:
            command(conn, reply, "AUTH", os.environ["CACHE_USER"], f.read().strip())
        if sys.argv[1:] == ["check"]:
            sys.exit(0 if command(conn, reply, "PING") == b"PONG" else 1)
        conn.settimeout(None)
        while True:
            _, job = command(conn, reply, "BLPOP", QUEUE, "0")  # type: ignore[misc]
            print(f"indexing {job.decode()}", flush=True)
