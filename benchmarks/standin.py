"""The stand-in OpenCTI API, served from its own process as the real platform would be."""

from __future__ import annotations

import socket
import time

from tests.support.opencti_standin import StandIn, StandInServer
from tests.support.rabbitmq import RabbitMQ


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
