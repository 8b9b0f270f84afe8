"""A real HTTP server standing in for GitHub: raw files under /raw/, the git-trees listing at
/tree.json, and scripted faults per path so tests can make upstream misbehave on purpose."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LISTING = "tree.json"


@dataclass
class Fault:
    """What to do instead of (or before) serving a path. ``times`` = how many requests it hits."""

    kind: str  # status | sleep | body | reset | stream | drip
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    size: int = 0
    times: int = 1_000_000


class UpstreamServer:
    def __init__(self, root: Path):
        self.root = root
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[tuple[str, str]] = []
        self.latency = 0.0  # seconds added to every request (benchmarks: a distant GitHub)
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def source_url(self) -> str:
        return f"{self.base}/raw"

    @property
    def listing_url(self) -> str:
        return f"{self.base}/{LISTING}"

    def fault(self, path: str, *faults: Fault) -> None:
        self.faults[path] = list(faults)

    def count(self, path: str, method: str | None = None) -> int:
        return sum(1 for m, p in self.requests if p == path and (method is None or m == method))

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(path)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                path = self.path.split("?", 1)[0].lstrip("/")
                if path.startswith("raw/"):
                    path = path[4:]
                with server._lock:
                    server.requests.append((self.command, path))
                if server.latency:
                    time.sleep(server.latency)
                fault = server._next_fault(path)
                if fault and fault.kind == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault and fault.kind == "sleep":
                    time.sleep(fault.seconds)
                if fault and fault.kind == "status":
                    return self._send(fault.status, fault.body, fault.headers, head)
                if fault and fault.kind == "body":
                    return self._send(200, fault.body, fault.headers, head)
                if fault and fault.kind == "stream":
                    return self._stream(fault.size, head)
                if fault and fault.kind == "drip":
                    return self._drip(fault.size, fault.seconds, head)
                file = server.root / path
                if path and ".." not in path and file.is_file():
                    return self._send(200, file.read_bytes(), {}, head)
                return self._send(404, b"404: Not Found", {}, head)

            def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    with suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)
                    with server._lock:
                        server.bytes_sent += len(body)

            def _stream(self, size: int, head: bool) -> None:
                """A body with no declared length, to prove the cap is enforced while reading."""
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                if head:
                    return
                chunk = b"0" * 65536
                try:
                    for _ in range(size // len(chunk)):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip(self, size: int, every: float, head: bool) -> None:
                """One byte every ``every`` seconds, each read well within any read timeout; the
                server stops on its own after ``size`` bytes or when the client hangs up."""
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                if head:
                    return
                with suppress(BrokenPipeError, ConnectionResetError):
                    for _ in range(size):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(every)

        return Handler

    def __enter__(self) -> UpstreamServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def copy_sample(sample: Path, target: Path) -> Path:
    """A private, writable copy, so a test can add, swap or break files."""
    shutil.copytree(sample, target)
    return target


@contextmanager
def serving(root: Path) -> Iterator[UpstreamServer]:
    with UpstreamServer(root) as server:
        yield server


def listing_without(listing_path: Path, *paths: str) -> bytes:
    document = json.loads(listing_path.read_bytes())
    document["tree"] = [e for e in document["tree"] if e["path"] not in paths]
    return json.dumps(document).encode()
