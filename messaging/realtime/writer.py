"""Group commit of Socket.IO sends: one task per process gathers sends for a few ms and stores them together."""

import asyncio
import contextlib
import logging

from chatbackend.db import db
from chatbackend.errors import ShuttingDown
from messaging.models import Message
from messaging.services import SendDraft, SendResult, store_messages

logger = logging.getLogger(__name__)

Pending = tuple[SendDraft, "asyncio.Future[SendResult]"]


class MessageWriter:
    """Stores prepared sends in batches, one transaction (one commit) per batch.

    Owned by the Socket.IO namespace: its task starts with the first send and ends with `close()`, which the
    shutdown drain calls. A handler awaits `send(draft)`; the task takes what is queued once the oldest send waited
    `max_delay_ms` or `max_size` are queued, writes it with one `store_messages` call on the DB pool (which sends
    the batch's `receive_message` events once committed, see chatbackend.db), and answers each send with its own
    result, so the handler acks only what is committed and delivered. While one batch is
    written the next gathers: under load batches grow by themselves. A refusal fails its own send only; a
    database failure fails every send of its batch (each ack says `unavailable`).
    """

    def __init__(self, *, max_delay_ms: float, max_size: int) -> None:
        self.max_delay = max_delay_ms / 1000
        self.max_size = max(1, max_size)
        self._pending: list[Pending] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def send(self, draft: SendDraft) -> tuple[Message, bool]:
        """Store one prepared send with the next batch: (message, created), or raise its refusal."""
        return (await self.store(draft)).unwrap()

    async def store(self, draft: SendDraft) -> SendResult:
        """Store one prepared send with the next batch: its result (see `SendResult`); raises only when the
        database failed the batch or the writer is closed."""
        if self._closed:
            raise ShuttingDown()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="message-writer")
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        self._pending.append((draft, future))
        self._arrived.set()
        if len(self._pending) >= self.max_size:
            self._full.set()
        return await future

    async def close(self) -> None:
        """Store what is queued, then stop; later sends are refused with `unavailable`."""
        self._closed = True
        self._arrived.set()
        self._full.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            if not self._pending:
                if self._closed:
                    return
                self._arrived.clear()
                continue
            if len(self._pending) < self.max_size and not self._closed:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.max_delay)
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            if len(self._pending) < self.max_size:
                self._full.clear()
            await self._write(batch)

    async def _write(self, batch: list[Pending]) -> None:
        try:
            results = await db(store_messages)([draft for draft, _ in batch])
        except Exception as exc:  # the database failed the whole batch; every send hears about it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a handler cancelled meanwhile gets nothing
                future.set_result(result)
