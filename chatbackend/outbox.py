"""What a unit of work publishes on commit, collected so that `db()` sends it from the event loop itself.

A handler's unit of work runs on a DB thread; the events it publishes are gathered here (a context variable of the
unit's own context) and come back with its result. Sent from the loop before the handler acknowledges, they reach
the room before the ack reaches the client, as when the handler emitted them itself.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Handover:
    """Work for the event loop from sync code: an emit, or (`alone`) something that must wait for what came
    before it and hold back what comes after, such as taking a leaver's connections out of a room after
    `member_left` reached them."""

    run: Callable[[], Awaitable[None]]
    alone: bool = False


# The handovers of the unit of work running in this context, when `db()` collects them (see `collected`).
_outbox: ContextVar[list[Handover] | None] = ContextVar("event_outbox", default=None)


@contextlib.contextmanager
def collected() -> Iterator[list[Handover]]:
    """Collect what is published on commit within the block instead of queueing it: `db()` sends it itself."""
    collecting: list[Handover] = []
    token = _outbox.set(collecting)
    try:
        yield collecting
    finally:
        _outbox.reset(token)


async def run_in_order(handovers: Sequence[Handover]) -> None:
    """Run handovers in order: consecutive emits together (each starts in turn, so local delivery keeps the
    order), an `alone` one after everything before it."""
    together: list[Awaitable[None]] = []
    for handover in handovers:
        if handover.alone:
            await _run_together(together)
            together = []
            await handover.run()
        else:
            together.append(handover.run())
    await _run_together(together)


async def _run_together(emits: list[Awaitable[None]]) -> None:
    if len(emits) == 1:
        await emits[0]  # the usual batch of one: no task for it
    elif emits:
        await asyncio.gather(*emits)


def outbox() -> list[Handover] | None:
    """The list collecting this context's handovers, if `collected` is active."""
    return _outbox.get()
