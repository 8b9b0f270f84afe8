"""A small stand-in for OpenCTI's GraphQL API: just the operations a connector helper uses.

Like the platform, registering a connector declares the worker exchange and the connector's push
queue on the real broker; pings store and echo the state; works are recorded with their status so
tests can assert that each was closed, and faults can be scripted (refuse a work, or run a hook
while a day's bundle is being sent).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.rabbitmq import RabbitMQ

EXCHANGE = "amqp.worker.exchange"
_OPERATION = re.compile(r"(query|mutation)\s+(\w+)")


@dataclass
class Work:
    id: str
    name: str
    status: str = "wait"
    in_error: bool = False
    message: str | None = None
    expectations: int = 0


@dataclass
class StandIn:
    broker: RabbitMQ
    version: str = "7.261026.0"
    state: Any = None  # what the platform holds (dict or None)
    works: dict[str, Work] = field(default_factory=dict)
    operations: list[str] = field(default_factory=list)
    refuse_work_names: set[str] = field(default_factory=set)
    on_expectations: Callable[[Work], None] | None = None
    fail_everything: bool = False
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the platform side ------------------------------------------------------------------

    def _stored_state(self) -> str | None:
        """A str state is returned verbatim, to play a platform holding garbage."""
        if self.state is None or isinstance(self.state, str):
            return self.state
        return json.dumps(self.state)

    def _declare(self, connector_id: str) -> None:
        connection = self.broker.connection()
        channel = connection.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
        channel.queue_declare(f"push_{connector_id}", durable=True)
        channel.queue_bind(
            f"push_{connector_id}", EXCHANGE, routing_key=f"push_routing_{connector_id}"
        )
        connection.close()

    def _config(self, connector_id: str) -> dict[str, Any]:
        return {
            "connection": {
                "host": "127.0.0.1", "vhost": "/", "use_ssl": False, "port": self.broker.port,
                "user": "guest", "pass": "guest",
            },
            "listen": f"listen_{connector_id}", "listen_routing": f"listen_routing_{connector_id}",
            "listen_exchange": "amqp.connector.exchange",
            "push": f"push_{connector_id}", "push_routing": f"push_routing_{connector_id}",
            "push_exchange": EXCHANGE,
        }  # fmt: skip

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        query, variables = body.get("query", ""), body.get("variables") or {}
        match = _OPERATION.search(query)
        name = match.group(2) if match else ("healthCheck" if "about" in query else "anonymous")
        with self._lock:
            self.operations.append(name)
        if self.fail_everything:
            return {"errors": [{"message": "Internal server error", "name": "INTERNAL"}]}
        if "about" in query and "version" in query:
            return {"data": {"about": {"version": self.version}}}
        if name == "RegisterConnector":
            connector_id = variables["input"]["id"]
            self._declare(connector_id)
            return {"data": {"registerConnector": {
                "id": connector_id, "connector_user_id": "user--standin",
                "connector_state": self._stored_state(),
                "jwks": json.dumps({"keys": []}), "config": self._config(connector_id),
            }}}  # fmt: skip
        if name == "PingConnector":
            raw = variables.get("state")
            with self._lock:
                self.state = json.loads(raw) if raw else None
                echoed = json.dumps(self.state) if self.state is not None else None
            return {"data": {"pingConnector": {
                "id": variables["id"], "connector_state": echoed, "connector_info": None,
            }}}  # fmt: skip
        if name == "GetConnector":
            return {"data": {"connector": {
                "id": variables["id"], "name": "VigilIntel", "active": True, "auto": False,
                "only_contextual": False, "connector_type": "EXTERNAL_IMPORT",
                "connector_scope": ["stix2"], "connector_state": None, "built_in": False,
                "connector_queue_details": {"messages_number": 0, "messages_size": 0},
                "updated_at": None, "created_at": None, "config": None,
            }}}  # fmt: skip
        if name == "workAdd":
            friendly = variables.get("friendlyName") or ""
            if any(part in friendly for part in self.refuse_work_names):
                return {"errors": [{"message": "Work refused by stand-in", "name": "FORBIDDEN"}]}
            work = Work(id=f"work_{next(self._ids)}", name=friendly)
            with self._lock:
                self.works[work.id] = work
            return {"data": {"workAdd": {"id": work.id}}}
        if name in ("workToProcessed", "workToReceived", "addExpectations", "reportExpectation"):
            return self._work_edit(name, variables)
        if name == "StixBundlePush":
            return {"data": {"stixBundlePush": True}}
        return {"data": {}}

    def _work_edit(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        work = self.works.get(variables.get("id", ""))
        if work is None:
            return {"errors": [{"message": "WORK_NOT_ALIVE", "name": "WORK_NOT_ALIVE"}]}
        if name == "workToProcessed":
            work.status, work.message = "complete", variables.get("message")
            work.in_error = bool(variables.get("inError"))
        elif name == "workToReceived":
            work.status = "progress"
        elif name == "addExpectations":
            work.expectations += int(variables.get("expectations") or 0)
            if self.on_expectations:
                self.on_expectations(work)
        return {"data": {"workEdit": {"id": work.id}}}

    # -- what tests read --------------------------------------------------------------------

    def drain(self, connector_id: str) -> list[dict[str, Any]]:
        """Every message in the push queue, decoded: what the platform's workers would get."""
        connection = self.broker.connection()
        channel = connection.channel()
        messages = []
        while True:
            method, _, body = channel.basic_get(f"push_{connector_id}", auto_ack=True)
            if method is None:
                break
            message = json.loads(body)
            message["bundle"] = json.loads(base64.b64decode(message["content"]))
            messages.append(message)
        connection.close()
        return messages


class StandInServer:
    def __init__(self, standin: StandIn, port: int = 0):
        self.standin = standin
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    answer = outer.standin.handle(json.loads(self.rfile.read(length) or b"{}"))
                except Exception as exc:  # surface stand-in bugs as GraphQL errors, not hangs
                    answer = {"errors": [{"message": f"stand-in failure: {exc!r}"}]}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> StandInServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
