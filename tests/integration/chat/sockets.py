"""A runner serving the WebSocket API for chat tests: sockets for widgets and consoles, each read on
a thread and kept with the moment every frame arrived."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from devtools.invocations import LocalInvocations
from devtools.runner import RouteTable, make_server
from devtools.sockets import SocketHub, hub_for, local_urls
from devtools.template import functions
from tests.integration.chat.conftest import SHOP, ChatShop, Visitor
from tests.integration.stack import LocalAws


@dataclass
class Realtime:
    port: int
    hub: SocketHub
    opened: ExitStack

    def socket(self, shop: ChatShop, visitor: Visitor, origin: str = SHOP) -> Frames:
        ticket = shop.widget("POST", "/conversation/realtime-ticket", token=visitor.token, origin=origin)
        assert ticket.status == 201, ticket.body
        assert ticket.body["url"] == f"ws://127.0.0.1:{self.port}/ws/widget"
        return Frames(self.connect(ticket.body["ticket"], origin))

    def connect(self, ticket: str, origin: str = SHOP, path: str = "/ws/widget") -> ClientConnection:
        url = f"ws://127.0.0.1:{self.port}{path}"
        return self.opened.enter_context(connect(url, origin=origin, subprotocols=["buzzi.v1", ticket]))

    @property
    def console_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"  # the runner serves the console itself

    def console_ticket(self, shop: ChatShop, token: str) -> str:
        ticket = shop.tenant.call("POST", "/v1/inbox/realtime-ticket", token=token)
        assert ticket.status == 201, ticket.body
        assert ticket.body["url"] == f"ws://127.0.0.1:{self.port}/ws/console"
        return str(ticket.body["ticket"])

    def console(self, shop: ChatShop, token: str) -> Frames:
        """A console signed in with `token`, its live inbox socket open."""
        ticket = self.console_ticket(shop, token)
        return Frames(self.connect(ticket, self.console_origin, "/ws/console"))

    def wait_open(self, count: int) -> None:
        deadline = time.monotonic() + 5
        while self.hub.open_count != count:
            assert time.monotonic() < deadline, f"{self.hub.open_count} sockets open, expected {count}"
            time.sleep(0.01)


@dataclass
class Frames:
    """A widget's socket, read on a thread: every frame with the moment it arrived."""

    connection: ClientConnection
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.connection:
                self.received.append((time.monotonic(), json.loads(raw)))
        except Exception:  # closed
            return

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [frame for _, frame in self.received if frame["type"] == kind]

    def until(self, kind: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.of(kind):
            assert time.monotonic() < deadline, (
                f"no {kind} frame; got {[f['type'] for _, f in self.received]}"
            )
            time.sleep(0.01)
        return self.of(kind)[0]

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def realtime(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Realtime]:
    from chatapp.config import get_settings

    specs = functions()
    hub = hub_for(specs)
    invocations = LocalInvocations(specs, local_aws.sources.queue_urls)
    server = make_server(RouteTable(specs), port=0, services=[hub, invocations])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key, value in local_urls(server.server_port).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    with ExitStack() as opened:
        yield Realtime(server.server_port, hub, opened)
    server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()
