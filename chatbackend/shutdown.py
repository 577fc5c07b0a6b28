"""Graceful shutdown on SIGTERM: refuse new work, let the work in flight finish and be acknowledged, then stop.

Neither daphne nor a plain SIGTERM waits for Socket.IO handlers: a send whose row is being written would lose its
ack, and daphne runs no disconnect handler at all. This hook takes SIGTERM first, drains, runs the cleanup it
was given (closing every connection properly), then hands the signal to the server's own handler.
"""

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from chatbackend.errors import ShuttingDown

logger = logging.getLogger(__name__)


class GracefulShutdown:
    def __init__(self, *, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.draining = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._installed = False
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """Wrap one unit of client work: refused once draining has begun, waited for otherwise."""
        if self.draining:
            raise ShuttingDown()
        self._inflight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    def install(self, on_drained: Callable[[], Awaitable[None]]) -> None:
        """Take SIGTERM for this process (once, from the event loop's thread, which must be the main thread)."""
        if self._installed or threading.current_thread() is not threading.main_thread():
            return
        self._installed = True
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: Any) -> None:
            if self.draining:
                return
            self.draining = True
            logger.info("SIGTERM: draining %d event(s) in flight", self._inflight)
            loop.call_soon_threadsafe(self._start, on_drained, previous)

        signal.signal(signal.SIGTERM, on_sigterm)

    def _start(self, on_drained: Callable[[], Awaitable[None]], previous: Any) -> None:
        self._task = asyncio.ensure_future(self._drain(on_drained, previous))

    async def _drain(self, on_drained: Callable[[], Awaitable[None]], previous: Any) -> None:
        try:
            await asyncio.wait_for(self._idle.wait(), self.grace_seconds)
        except TimeoutError:
            logger.warning("shutdown grace period over with %d event(s) still in flight", self._inflight)
        try:
            await on_drained()
        except Exception:
            logger.exception("cleanup at shutdown failed")
        logger.info("drained; stopping the server")
        signal.signal(signal.SIGTERM, previous)
        if callable(previous):
            previous(signal.SIGTERM, None)
        else:
            os.kill(os.getpid(), signal.SIGTERM)
