"""A fuzz of random payloads against every Socket.IO event: no crash, no disconnect, and no one else disturbed."""

import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support import BASE_DIR, make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]

EVENTS = ["join_room", "leave_room", "send_message", "typing"]
# Names no handler serves, and the reserved ones a client may still send as plain events.
UNKNOWN_EVENTS = ["no_such_event", "connect", "disconnect", "message", "receive_message", "error", "", "on_typing"]
FAILURE_CODES = {"validation_error", "room_not_found", "not_room_member", "rate_limited", "unknown_event"}
PAYLOADS_PER_RUN = 1600
MAX_PAYLOAD_BYTES = 45_000  # below SOCKETIO_MAX_PAYLOAD_BYTES: an oversized packet closes the connection by design
KEYS = ["roomId", "content", "isTyping", "after", "clientMsgId"]


class PayloadMaker:
    """Seeded random JSON-like values: every JSON type, edge numbers, hostile text, the right keys with wrong types."""

    def __init__(self, seed: int, room_ids: list[int]) -> None:
        self.random = random.Random(seed)
        self.room_ids = room_ids

    def text(self) -> str:
        pick = self.random.random()
        if pick < 0.15:
            return self.random.choice(["", " ", "\n\t", "\x00", "\u200f", "\u202e", "<script>x</script>", "1", "true"])
        alphabet = "ab \n\t\x00\x01\x1b\x7f\x85\x9f\u00a0\u200d\u200f\u202e\u2028😀👩<>&\"'\\"
        size = self.random.choice([1, 5, 40, 300, 3999, 4000, 4001, 9000])
        return "".join(self.random.choice(alphabet) for _ in range(size))

    def number(self) -> int | float:
        return self.random.choice(
            [
                0,
                -1,
                1,
                2**31,
                2**63 - 1,
                2**63,
                2**64 + 1,
                -(2**70),
                10**40,
                self.random.randint(-(10**9), 10**9),
                0.5,
                -0.0,
                1e308,
                -1e-308,
                float("inf"),
                float("-inf"),
                float("nan"),
            ]
        )

    def scalar(self) -> Any:
        kind = self.random.randrange(6)
        return [None, self.random.random() < 0.5, self.number(), self.text(), self.room_id(), self.number()][kind]

    def room_id(self) -> Any:
        return self.random.choice([*self.room_ids, 0, -1, 2**63 - 1, 10**30, str(self.room_ids[0]), "1e3"])

    def value(self, depth: int = 0) -> Any:
        kind = self.random.randrange(8 if depth < 3 else 5)
        if kind < 5:
            return self.scalar()
        if kind == 5:
            return [self.value(depth + 1) for _ in range(self.random.randrange(4))]
        if kind == 6:
            return {self.text()[:20]: self.value(depth + 1) for _ in range(self.random.randrange(4))}
        return self.shaped(depth + 1)

    def shaped(self, depth: int = 0) -> dict[str, Any]:
        """An object with the contract's keys, each a plausible or a wrong value, and sometimes extra keys."""
        payload: dict[str, Any] = {}
        for key in KEYS:
            if self.random.random() < 0.6:
                plausible = {
                    "roomId": self.room_id(),
                    "content": self.text(),
                    "isTyping": self.random.random() < 0.5,
                    "after": self.random.choice([0, 1, None]),
                    "clientMsgId": self.text()[:70],
                }[key]
                payload[key] = plausible if self.random.random() < 0.6 else self.value(depth + 1)
        if self.random.random() < 0.3:
            payload[self.random.choice(["extra", "__proto__", "constructor", "roomid", ""])] = self.value(depth + 1)
        return payload

    def payload(self) -> Any:
        while True:
            payload = self.shaped() if self.random.random() < 0.6 else self.value()
            if len(json.dumps(payload)) < MAX_PAYLOAD_BYTES:
                return payload


def assert_failure_shape(reply: Any, where: str) -> None:
    assert isinstance(reply, dict), f"{where}: {reply!r}"
    assert reply.get("ok") is False, f"{where}: {reply!r}"
    error = reply["error"]
    assert isinstance(error, dict) and error["code"] in FAILURE_CODES, f"{where}: {reply!r}"
    assert isinstance(error["message"], str) and error["message"], f"{where}: {reply!r}"


def test_random_payloads_on_every_event_disturb_no_one(live_server_url: str) -> None:
    fuzzer, alice, bob = make_user(), make_user(), make_user()
    room = make_room(creator=alice, members=(bob, fuzzer))
    own_private = make_room(creator=fuzzer, private=True)
    strangers_private = make_room(private=True)
    room_ids = [room.id, own_private.id, strangers_private.id]
    seed = int(os.environ.get("FUZZ_SEED") or time.time_ns() % 2**32)
    maker = PayloadMaker(seed, room_ids)
    log_path = BASE_DIR / "test-artifacts" / f"server-{urlsplit(live_server_url).port}.log"
    log_start = log_path.stat().st_size
    counts = {"acked": 0, "unacked": 0, "ok": 0, "error_events": 0}
    chat_acks: dict[str, list[int]] = {"alice": [], "bob": []}

    async def chat(sender: Peer, name: str, stop: asyncio.Event) -> None:
        """Two members keep talking, within the rate limit, for as long as the fuzz runs."""
        number = 0
        while not stop.is_set():
            number += 1
            ack = await sender.call("send_message", {"roomId": room.id, "content": f"{name} {number}"})
            assert ack["ok"] is True, ack
            chat_acks[name].append(ack["message"]["id"])
            await asyncio.sleep(0.25)

    async def fuzz(peer: Peer) -> None:
        for index in range(PAYLOADS_PER_RUN):
            event = maker.random.choice(EVENTS + UNKNOWN_EVENTS[:1]) if index % 8 else UNKNOWN_EVENTS[index // 8 % 8]
            payload = maker.payload()
            where = f"seed {seed}, payload {index}, {event}({json.dumps(payload)[:300]})"
            if index % 3:
                reply = await peer.call(event, payload, timeout=10)
                counts["acked"] += 1
                if isinstance(reply, dict) and reply.get("ok") is True:
                    assert event in EVENTS, where
                    counts["ok"] += 1
                else:
                    assert_failure_shape(reply, where)
            else:
                await peer.emit(event, payload)
                counts["unacked"] += 1
            assert peer.client.connected, where

    async def scenario() -> None:
        alice_peer = await connected(live_server_url, token_for(alice))
        bob_peer = await connected(live_server_url, token_for(bob))
        fuzz_peer = await connected(live_server_url, token_for(fuzzer))
        for peer in (alice_peer, bob_peer):
            assert (await peer.call("join_room", {"roomId": room.id}))["ok"] is True
        stop = asyncio.Event()
        chatting = [
            asyncio.create_task(chat(alice_peer, "alice", stop)),
            asyncio.create_task(chat(bob_peer, "bob", stop)),
        ]
        try:
            await fuzz(fuzz_peer)
            # The connection still answers properly after all of it.
            joined = await fuzz_peer.call("join_room", {"roomId": room.id})
            assert joined["ok"] is True, joined
        finally:
            stop.set()
            await asyncio.gather(*chatting)
        sent = chat_acks["alice"] + chat_acks["bob"]
        for peer in (alice_peer, bob_peer):
            await peer.wait_for("receive_message", lambda message: message["id"] == max(sent))
            received = {message["id"] for message in peer.received("receive_message")}
            assert set(sent) <= received
            assert peer.client.connected
        for error in fuzz_peer.received("error"):
            assert error["code"] in FAILURE_CODES and error["message"] and isinstance(error["event"], str), error
        counts["error_events"] = len(fuzz_peer.received("error"))
        assert fuzz_peer.client.connected
        for peer in (alice_peer, bob_peer, fuzz_peer):
            await peer.disconnect()
        assert len(sent) >= 10

    started = time.monotonic()
    asyncio.run(scenario())
    elapsed = time.monotonic() - started
    print(f"socket fuzz, seed {seed}: {counts['acked'] + counts['unacked']} payloads in {elapsed:.1f}s: {counts}")

    assert counts["acked"] + counts["unacked"] == PAYLOADS_PER_RUN >= 500
    assert counts["ok"] > 0 and counts["error_events"] > 0
    server_log = Path(log_path).read_bytes()[log_start:].decode(errors="replace")
    assert "Traceback" not in server_log, server_log[-5000:]


@pytest.mark.parametrize("event", ["no_such_event", "connect", "disconnect"])
def test_an_event_outside_the_contract_is_refused_and_runs_no_handler(live_server_url: str, event: str) -> None:
    """A client's plain "disconnect" event must not run the disconnect handler (the user would go offline)."""
    alice, bob = make_user(), make_user()
    room = make_room(creator=alice, members=(bob,))

    async def scenario() -> None:
        alice_peer = await connected(live_server_url, token_for(alice))
        bob_peer = await connected(live_server_url, token_for(bob))
        assert (await bob_peer.call("join_room", {"roomId": room.id}))["ok"] is True

        reply = await alice_peer.call(event, {"roomId": room.id})
        await alice_peer.emit(event, None)
        error = await alice_peer.wait_for("error")

        assert reply["ok"] is False and reply["error"]["code"] == "unknown_event", reply
        assert error["code"] == "unknown_event" and error["event"] == event
        ack = await alice_peer.call("send_message", {"roomId": room.id, "content": "still here"})
        assert ack["ok"] is True, ack
        await bob_peer.wait_for("receive_message", lambda message: message["id"] == ack["message"]["id"])
        assert not bob_peer.received("user_status", lambda status: status["userId"] == alice.id)
        assert alice_peer.client.connected
        await alice_peer.disconnect()
        await bob_peer.disconnect()

    asyncio.run(scenario())
