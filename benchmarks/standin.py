"""The stand-in OpenCTI API, served from its own process as the real platform would be."""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.opencti_standin import StandIn, StandInServer
from tests.support.rabbitmq import RabbitMQ, free_port


def serve_standin(broker: RabbitMQ, port: int) -> None:
    with StandInServer(StandIn(broker), port=port):
        while True:
            time.sleep(3600)


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"stand-in did not listen on {port}")


@contextmanager
def local_platform(base: Path) -> Iterator[tuple[RabbitMQ, int]]:
    """A private RabbitMQ node, and the stand-in API on the returned port in a process of its
    own (the platform is another process in real life: its request handling stays off the
    measured process's GIL). Both are stopped on leaving."""
    broker = RabbitMQ(base)
    broker.start()
    port = free_port()
    api = multiprocessing.get_context("fork").Process(
        target=serve_standin, args=(broker, port), daemon=True
    )
    api.start()
    try:
        wait_for_port(port)
        yield broker, port
    finally:
        api.terminate()
        broker.stop()
