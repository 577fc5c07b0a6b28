"""channels_redis's pub/sub layer with publishes sharing round trips, an idle shard asleep, and group_add returning
once the subscription is effective.

channels_redis 4.3.0's shard connection publishes under the lock that also guards its subscriptions, one round
trip at a time, so under load every emit of a process queues behind all the others (sends took 5x longer than in
memory in bench/rooms.py). And its receiver polls Redis every 100 ms per shard even when nothing comes, which was
most of the CPU of a process serving no busy room. Its `subscribe` returns once SUBSCRIBE is written, before Redis
has run it: a message published meanwhile is missed, so a client that subscribes and then reads history could
miss one in between; here it returns once Redis confirmed it. Everything else is the library's: group names, consistent
hashing over the hosts, subscriptions, and redis-py's resubscription after a reconnect. Pinned versions:
requirements.txt; this reaches into `RedisPubSubLoopLayer._shards`, the shard's `_pubsub`/`_redis`, and the writer
of the redis-py connection it publishes on.
"""

import asyncio
import logging
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection

logger = logging.getLogger("channels_redis.pubsub")  # the library's logger: its log filters apply
CONFIRM_TIMEOUT_S = 3.0
MARKER_SPAN = 64  # where a message's own marker is looked for: its first bytes


class PipelinedShardConnection(RedisSingleShardConnection):
    """One Redis host: publishes queue and go out together in one pipeline per round trip, in order; the
    receiver blocks on the socket instead of polling; a subscription returns once confirmed."""

    def __init__(self, host: dict[str, Any], channel_layer: RedisPubSubLoopLayer) -> None:
        super().__init__(host, channel_layer)
        self._outbox: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}
        self._publishing: tuple[Any, Any] | None = None  # (the pool it came from, the connection publishing)

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            if channel in self._subscribed_to:
                return
            self._ensure_redis()
            self._ensure_receiver()
            confirmed = asyncio.get_running_loop().create_future()
            self._confirmations.setdefault(channel, []).append(confirmed)
            try:
                await self._pubsub.subscribe(channel)
            except BaseException:
                self._confirmations[channel].remove(confirmed)
                raise
            self._subscribed_to.add(channel)
        try:  # outside the lock: other subscriptions need not wait for this one's round trip
            await asyncio.wait_for(asyncio.shield(confirmed), CONFIRM_TIMEOUT_S)
        except TimeoutError:
            logger.warning("subscription to %s not confirmed within %.0f s", channel, CONFIRM_TIMEOUT_S)
        finally:
            waiting = self._confirmations.get(channel, [])
            if confirmed in waiting:
                waiting.remove(confirmed)
            if not waiting:
                self._confirmations.pop(channel, None)

    async def publish(self, channel: str, message: bytes) -> None:
        """Returns once Redis took the message (raises if it could not), like the library's."""
        sent = asyncio.get_running_loop().create_future()
        self._outbox.append((channel, message, sent))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await sent

    async def _flush(self) -> None:
        while self._outbox:  # what queued during one round trip goes in the next
            batch, self._outbox = self._outbox, []
            error: BaseException | None = None
            try:
                await self._send(batch)
            except Exception as exc:
                error = exc
            for _, _, sent in batch:
                if sent.done():  # its publisher was cancelled meanwhile
                    continue
                if error is None:
                    sent.set_result(None)
                else:
                    sent.set_exception(error)

    async def _send(self, batch: list[tuple[str, bytes, asyncio.Future[None]]]) -> None:
        """Write a batch's PUBLISHes at once and read their replies, on a connection kept for publishing.

        Not through redis-py's client: its per-command machinery (pool checkout and release, the retry wrapper,
        a task per timed write) cost more CPU than the publish itself, about 0.3 ms per send on a process that
        sleeps between sends (bench/README.md). A failed exchange closes the connection (redis-py's
        `read_response` does, and so does this on a failed write): the next batch connects afresh, and the
        manager retries the failed one.
        """
        self._ensure_redis()
        pool = self._redis.connection_pool
        if self._publishing is None or self._publishing[0] is not pool:  # the first batch, or after a flush()
            self._publishing = (pool, await pool.get_connection())
        connection = self._publishing[1]
        try:
            if not connection.is_connected:
                await connection.connect()
            commands = [("PUBLISH", channel, message) for channel, message, _ in batch]
            connection._writer.writelines(connection.pack_commands(commands))
            await connection._writer.drain()
            for _ in batch:
                await connection.read_response()
        except BaseException:
            await connection.disconnect(nowait=True)
            raise

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    # timeout=None blocks until a message (or a broken connection) instead of waking every 100 ms.
                    message = await self._pubsub.get_message(timeout=None)
                    if message is not None and message["type"] == "subscribe":
                        self._confirm(message["channel"])
                    elif message is not None and message["type"] == "message":
                        self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: redis-py reconnects and resubscribes at the next read
                logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(1)

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        marker = self.channel_layer.channel_layer.own_marker
        if message is not None and marker and marker in message["data"][:MARKER_SPAN]:
            return  # this process's own publication, back from Redis: dropped before it is queued and decoded
        super()._receive_message(message)

    def _confirm(self, channel: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        for confirmed in self._confirmations.pop(name, []):
            if not confirmed.done():
                confirmed.set_result(None)


class RedisPubSubLayer(RedisPubSubChannelLayer):
    """`channels_redis.pubsub.RedisPubSubChannelLayer` on PipelinedShardConnection; configured the same way."""

    own_marker = b""  # messages carrying these bytes near their start are this process's own: see drop_own

    def drop_own(self, marker: bytes) -> None:
        """Drop, before decoding, the received messages whose first MARKER_SPAN bytes hold `marker`: a process
        receives its own publications back on every group it joined, and discarding them decoded cost as much as
        a delivery (chatbackend/channels_manager.py passes the serialized form of its host id)."""
        self.own_marker = marker

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            layer = super()._get_layer()
            # The library's shard objects connect lazily: swapped before first use, they never opened anything.
            layer._shards = [PipelinedShardConnection(shard.host, layer) for shard in layer._shards]
        return self._layers[loop]
