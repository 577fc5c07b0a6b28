"""Prometheus metrics of one server process (exposed at `/metrics` by chatbackend.health).

The metrics live in prometheus-client's process-wide registry (that library's model: one registry per process,
scraped per process). They are updated in thin places: the Socket.IO event decorator and connect/disconnect
handlers, the socket writer (deliveries), the storing of messages (once committed), the DB thread helper, the
REST exception handler and the presence heartbeat.
"""

from prometheus_client import Counter, Gauge, Histogram

CONNECTED_SOCKETS = Gauge("chat_connected_sockets", "Socket.IO connections open on this process.")
MESSAGES_STORED = Counter("chat_messages_stored", "Messages stored by sends served by this process.")
MESSAGES_DELIVERED = Counter(
    "chat_messages_delivered", "receive_message events sent to connections of this process (one per recipient)."
)
RATE_LIMITED = Counter("chat_rate_limited", "Sends refused with rate_limited.", ["transport"])
ERRORS = Counter("chat_errors", "Refused or failed requests and events, by error code.", ["code", "transport"])
DB_SECONDS = Histogram(
    "chat_db_seconds",
    "Time of one unit of database work run for the Socket.IO handlers (DB thread pool), queueing included.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
REDIS_SECONDS = Histogram(
    "chat_redis_seconds",
    "Round trip of the process's Redis heartbeat (presence and live stats).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


def record_error(code: str, *, transport: str) -> None:
    """Count a refusal or failure seen by a client (`transport`: "socket" or "rest")."""
    ERRORS.labels(code=code, transport=transport).inc()
    if code == "rate_limited":
        RATE_LIMITED.labels(transport=transport).inc()


def current(metric: Counter | Gauge) -> float:
    """The current value of an unlabelled counter (its total) or gauge of this process."""
    for family in metric.collect():
        for point in family.samples:
            if point.name in (family.name, f"{family.name}_total"):
                return float(point.value)
    return 0.0
