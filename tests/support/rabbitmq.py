"""A private RabbitMQ node from Debian's package, on a loopback port, for the end-to-end tests.

Started without systemd, with its own HOME (Erlang cookie), data and log folders, so it never
touches a system broker and leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pika

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RabbitMQ:
    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.env = {
            **os.environ,
            "HOME": str(base),
            "RABBITMQ_NODENAME": f"vigil{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> None:
        if not SERVER.exists():
            raise RuntimeError(f"{SERVER} is missing: install Debian's rabbitmq-server")
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "enabled_plugins").write_text("[].\n")
        log = (self.base / "server.out").open("ab")
        self.process = subprocess.Popen(
            [str(SERVER)], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the broker accepts a connection. The refused attempts are expected: pika's
        loggers, which would report each as an ERROR, are quiet meanwhile."""
        deadline = time.monotonic() + timeout
        pika_logger = logging.getLogger("pika")
        level = pika_logger.level
        pika_logger.setLevel(logging.CRITICAL)
        try:
            while time.monotonic() < deadline:
                if self.process and self.process.poll() is not None:
                    raise RuntimeError(f"rabbitmq-server exited; see {self.base / 'server.out'}")
                try:
                    self.connection().close()
                    return
                except pika.exceptions.AMQPError:
                    time.sleep(0.5)
        finally:
            pika_logger.setLevel(level)
        raise RuntimeError(f"RabbitMQ did not start in {timeout}s; see {self.base}")

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [str(CTL), *args], env=self.env, check=True, capture_output=True, timeout=120
        )

    def stop_app(self) -> None:
        """The broker stops accepting connections (the node stays up for a quick restart)."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_ready()

    def connection(self) -> pika.BlockingConnection:
        params = pika.ConnectionParameters(
            host="127.0.0.1", port=self.port, connection_attempts=1, socket_timeout=5,
            credentials=pika.PlainCredentials("guest", "guest"),
        )  # fmt: skip
        return pika.BlockingConnection(params)

    def stop(self) -> None:
        try:
            self.ctl("shutdown")
        except (subprocess.SubprocessError, OSError):
            if self.process:
                self.process.kill()
        if self.process:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        subprocess.run([epmd, "-kill"], env=self.env, capture_output=True, check=False)
