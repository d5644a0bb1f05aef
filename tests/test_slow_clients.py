"""A client that trickles its request head is disconnected; a normal one is served
(a real uvicorn server on loopback)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from api import slow_clients
from api.slow_clients import HeadDeadlineProtocol
from tests.conftest import free_port


async def hello(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hi"})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(slow_clients, "HEAD_TIMEOUT_SECONDS", 0.5)
    port = free_port()
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=port, http=HeadDeadlineProtocol, log_config=None
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.01)
    yield port
    instance.should_exit = True
    thread.join(5)


def test_a_trickled_request_head_is_cut_off(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        time.sleep(1.0)
        slow.settimeout(2)
        assert slow.recv(100) == b""  # closed by the server


def test_normal_requests_on_a_keep_alive_connection_are_served(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as client:
        for _ in range(2):
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(1000).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
