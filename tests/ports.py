"""Loopback ports for servers the tests start (SMTP sinks, Redis, Celery workers)."""

import random
import socket


def free_port() -> int:
    """A free loopback port: bind a plain socket to a concrete port and let it go (binding to
    port 0 and reading the port back does not work on these machines)."""
    ports = list(range(21000, 29000))
    random.shuffle(ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")
