"""`manage.py chat_stats`: live figures of every server process of the deployment, read from Redis."""

import json
import time
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from presence.stats import read_live_stats


class Command(BaseCommand):
    help = "Print open connections, rooms with subscribers and messages per minute across all server processes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object per reading")
        parser.add_argument("--watch", type=float, metavar="SECONDS", help="print again every SECONDS until ^C")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "REDIS_URL is not set: live stats are shared through Redis. A single process without Redis exposes"
                " its figures at /metrics (chat_connected_sockets, chat_messages_stored_total)."
            )
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
        prefix = settings.CHAT["SOCKETIO_CHANNEL"]
        try:
            while True:
                stats = read_live_stats(client, prefix=prefix)
                if options["json"]:
                    self.stdout.write(json.dumps(stats.as_dict()))
                else:
                    self.stdout.write(
                        f"processes {stats.processes}  connections {stats.connections}  "
                        f"rooms with subscribers {stats.rooms_with_subscribers}  "
                        f"messages/min {stats.messages_last_minute}"
                    )
                if not options["watch"]:
                    return
                time.sleep(options["watch"])
        except redis.RedisError as exc:
            raise CommandError(f"Redis at REDIS_URL is unreachable: {exc}") from exc
        except KeyboardInterrupt:
            return
        finally:
            client.close()
