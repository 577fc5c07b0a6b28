"""/metrics exposes this process's figures, and they move when messages flow through a real server."""

import asyncio
import urllib.request

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.support import client_for, make_room, make_user, token_for
from tests.support.socketio_client import connected


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a live server's /metrics, keyed by name and labels."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_figures_move_when_messages_flow(live_server_url: str) -> None:
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))
    before = scrape(live_server_url)

    async def scenario() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        a = await connected(live_server_url, token_for(sender))
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        acks = [await a.call("send_message", {"roomId": room.id, "content": f"m{i}"}) for i in range(6)]
        assert [ack["ok"] for ack in acks] == [True] * 5 + [False]  # MESSAGE_RATE_LIMIT=5 in the test servers
        await b.wait_for("receive_message", lambda m: m["content"] == "m4")
        await a.call("join_room", {"roomId": 10**12})
        during = scrape(live_server_url)
        await a.disconnect()
        await b.disconnect()
        return during

    during = asyncio.run(scenario())

    def delta(name: str, **labels: str) -> float:
        return value(during, name, **labels) - value(before, name, **labels)

    assert delta("chat_connected_sockets") == 2
    assert delta("chat_messages_stored_total") == 5
    assert delta("chat_messages_delivered_total") == 10  # five messages to two subscribed connections
    assert delta("chat_rate_limited_total", transport="socket") == 1
    assert delta("chat_errors_total", code="rate_limited", transport="socket") == 1
    assert delta("chat_errors_total", code="room_not_found", transport="socket") == 1
    assert delta("chat_db_seconds_count") >= 8  # joins and sends ran on the DB pool
    assert value(during, "chat_db_seconds_sum") > 0


@pytest.mark.django_db
def test_rest_refusals_are_counted_by_code() -> None:
    labels = {"code": "not_authenticated", "transport": "rest"}
    before = REGISTRY.get_sample_value("chat_errors_total", labels) or 0.0
    assert client_for().get("/api/rooms").status_code == 401
    assert REGISTRY.get_sample_value("chat_errors_total", labels) == before + 1


@pytest.mark.django_db
def test_metrics_can_be_disabled_or_need_a_token() -> None:
    with override_settings(METRICS_ENABLED=False):
        assert client_for().get("/metrics").status_code == 404
    with override_settings(METRICS_TOKEN="scrape-secret"):
        assert client_for().get("/metrics").status_code == 401
        assert client_for().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
        allowed = client_for().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert allowed.status_code == 200
    assert b"chat_connected_sockets" in allowed.content
