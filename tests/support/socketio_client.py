"""Test support for Socket.IO: a real python-socketio client that records every event the server sends it."""

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Coroutine
from typing import Any

import socketio


class Peer:
    """One client connection, as a frontend would hold it: connect, call events with acks, watch server events."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: defaultdict[str, list[Any]] = defaultdict(list)
        self.arrivals: list[tuple[str, Any]] = []  # every event in the order it came, for tests of ordering
        self.connect_error: Any = None
        self._changed = asyncio.Event()
        self.client.on("*", self._record)
        self.client.on("connect_error", self._on_connect_error)

    async def _record(self, event: str, *args: Any) -> None:
        payload = args[0] if len(args) == 1 else list(args)
        self.events[event].append(payload)
        self.arrivals.append((event, payload))
        self._changed.set()

    async def _on_connect_error(self, data: Any) -> None:
        self.connect_error = data

    async def connect(
        self,
        token: str | None = None,
        *,
        transports: list[str] | None = None,
        headers: dict[str, str] | None = None,
        query_token: bool = False,
    ) -> "Peer":
        url = f"{self.url}?token={token}" if query_token and token else self.url
        auth = {"token": token} if token and not query_token and not headers else None
        await self.client.connect(
            url, auth=auth, headers=headers or {}, transports=transports or ["websocket"], wait_timeout=5
        )
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 5) -> Any:
        return await self.client.call(event, data, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data)

    async def wait_for(self, event: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 5) -> Any:
        """The first recorded `event` whose payload matches; waits for it up to `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for payload in self.events[event]:
                if where(payload):
                    return payload
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {event!r} matching within {timeout}s; got {dict(self.events)}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def received(self, event: str, where: Callable[[Any], bool] = lambda _: True) -> list[Any]:
        return [payload for payload in self.events[event] if where(payload)]

    async def disconnect(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a test's async scenario to its end."""
    asyncio.run(scenario())


async def close(*peers: Peer) -> None:
    for peer in peers:
        await peer.disconnect()


async def connected(url: str, token: str, **options: Any) -> Peer:
    return await Peer(url).connect(token, **options)


def http(method: str, url: str, *, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """A plain HTTP call to a live server: (status, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
