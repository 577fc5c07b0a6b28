"""Scenario 6: rooms served by one process. Process B holds every client of the busy fan-out rooms, process A only
idle clients of quiet rooms; on one Redis, and on two Redis shards; against one process in memory holding them all.

With python-socketio's Redis manager A decoded every emit of B (4.4% of B's CPU, issue 14); on the Channels
manager A subscribes only to its own rooms and users, so B's traffic never reaches it.
"""

import os
from contextlib import ExitStack
from typing import Any

from bench import fixtures
from bench.driver import run_generator, ws_url
from bench.fixtures import Population
from bench.report import Row, median, spread
from bench.scenarios import FANOUT_ROOM_SIZE, Options, fanout_clients, sweep_plan
from bench.servers import REAL_APP, BenchRedis, BenchServer, task_cpu_seconds

RATE = 1_000  # deliveries/s offered: below B's capacity in every mode on a shared machine, so CPU per delivery
# compares like with like
BUSY_RATE = 4_000  # B near its capacity (about 7,000/s on a quiet core): A's share of a process doing real work
# and CPU per delivery where the processes no longer sleep between sends
MEASURE_MS = 8_000  # long enough for A's few milliseconds of CPU to be measured, not rounded away
IDLE_ON_A = 20  # A is a live process (manager started, presence beating) holding a few quiet connections
CONFIGS = ["memory", "redis 1 shard", "redis 2 shards"]


def topology(population: Population, memory: bool) -> dict[str, Any]:
    """The fan-out rooms' clients on B (url 1); IDLE_ON_A users idle in their quiet two-member rooms on A (url 0)."""
    busy = fanout_clients(population, population.rooms["fanout"])
    for client in busy["clients"]:
        client["server"] = 0 if memory else 1
    quiet = population.rooms["write"]
    users = range(200, 200 + IDLE_ON_A)
    idle = [{"token": population.tokens[i], "rooms": [quiet[i // 2]], "server": 0} for i in users]
    return {"clients": busy["clients"] + idle, "senders": busy["senders"]}


async def _round(
    processes: list[BenchServer], redis: list[BenchRedis], population: Population, options: Options
) -> dict[str, float]:
    """A quiet window, one at RATE and one at BUSY_RATE: CPU seconds of each app process and of Redis, and the
    deliveries."""
    samples: dict[tuple[int, str], list[float]] = {}

    def on_mark(mark: dict[str, Any]) -> None:
        if mark["mark"] in ("measure_start", "measure_end"):
            cpu = [task_cpu_seconds(p.pid) for p in processes] + [r.cpu_seconds() for r in redis]
            samples[(mark["level"], mark["mark"])] = cpu

    def used(level: int) -> list[float]:
        start, end = samples[(level, "measure_start")], samples[(level, "measure_end")]
        return [b - a for a, b in zip(start, end, strict=True)]

    plan = sweep_plan(options, start=0, factor=1, room_size=FANOUT_ROOM_SIZE, maxInFlight=20)
    plan.update(fixed=[0, RATE, BUSY_RATE], measureMs=MEASURE_MS)  # level 0 offers nothing: each one's idle cost
    urls = [ws_url(p.url) for p in processes]
    config = {"mode": "load", "urls": urls, **topology(population, len(processes) == 1), "plan": plan}
    result = await run_generator(config, on_mark)
    idle, cpu, busy = used(0), used(1), used(2)
    app, redis_cpu = cpu[: len(processes)], cpu[len(processes) :]
    busy_app = busy[: len(processes)]
    two = len(processes) == 2
    level = result["levels"][1]
    seconds = MEASURE_MS / 1000
    delivered = max(level["delivered"], 1)
    return {
        "delivered": level["delivered"],
        "lossRatio": level["lossRatio"],
        "p99": level["p99"] or 0.0,
        "aShare": app[0] / app[1] if two else 0.0,
        "aCpuMsPerSec": app[0] / seconds * 1000 if two else 0.0,
        "aIdleMsPerSec": idle[0] / seconds * 1000 if two else 0.0,
        "servingIdleMsPerSec": idle[len(processes) - 1] / seconds * 1000,  # B, or the one in-memory process
        # What B's traffic costs A: A's CPU under the load less A's CPU in the quiet window, against B's.
        "aExtraShare": (app[0] - idle[0]) / app[1] if two else 0.0,
        "busyShare": busy[0] / busy[1] if two else 0.0,
        "busyExtraShare": (busy[0] - idle[0]) / busy[1] if two else 0.0,
        "busyBCpuPercent": busy[1] / seconds * 100 if two else 0.0,
        "busyLossRatio": result["levels"][2]["lossRatio"],
        "appMicrosPerDelivery": sum(app) / delivered * 1e6,
        # The same near B's capacity, where a process no longer sleeps between sends: see BUSY_RATE.
        "busyMicrosPerDelivery": sum(busy_app) / max(result["levels"][2]["delivered"], 1) * 1e6,
        "redisCpuPercent": sum(redis_cpu) / seconds * 100,
        # Redis time per relayed message: every delivery of a room's message comes from one publish.
        "redisMicrosPerMessage": sum(redis_cpu) / (delivered / FANOUT_ROOM_SIZE) * 1e6 if redis_cpu else 0.0,
    }


def _env(name: str, redis: list[BenchRedis]) -> dict[str, str]:
    env = fixtures.server_env(redis=bool(redis), channel=f"bench-{os.getpid()}-rooms")
    if redis:
        env["REDIS_URL"] = redis[0].url  # presence, rate limits and the cache: the first instance
        env["REDIS_SHARD_URLS"] = ",".join(r.url for r in (redis[1:] or redis))
    return env


async def rooms_served_by_one_process(options: Options, population: Population, asgi: str) -> list[Row]:
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    load = [os.getloadavg()[0]]
    with ExitStack() as stack:
        # 1 shard: one Redis for everything. 2 shards: presence on its own Redis, pub/sub over two more, so the
        # shards' CPU is the fan-out's alone.
        redis = {
            "memory": [],
            "redis 1 shard": [stack.enter_context(BenchRedis(core=1))],
            "redis 2 shards": [stack.enter_context(BenchRedis(core=1)) for _ in range(3)],
        }
        servers = {
            name: [
                stack.enter_context(
                    BenchServer(app=REAL_APP, asgi=asgi, env=_env(name, redis[name]), core=0, label=f"{name}-{n}")
                )
                for n in range(1 if name == "memory" else 2)
            ]
            for name in CONFIGS
        }
        for _ in range(options.rounds):
            for name in CONFIGS:
                shards = redis[name][1:] if name == "redis 2 shards" else redis[name]
                rounds[name].append(await _round(servers[name], shards, population, options))
    load.append(os.getloadavg()[0])
    figures = {name: {key: [r[key] for r in rows] for key in rows[0]} for name, rows in rounds.items()}
    print(f"  rooms served by one process: {figures}")
    memory = median(figures["memory"]["appMicrosPerDelivery"])
    ratios = {name: median(figures[name]["appMicrosPerDelivery"]) / memory for name in CONFIGS[1:]}
    memory_busy = median(figures["memory"]["busyMicrosPerDelivery"])
    busy_ratios = {name: median(figures[name]["busyMicrosPerDelivery"]) / memory_busy for name in CONFIGS[1:]}
    shares = {name: median(figures[name]["aShare"]) for name in CONFIGS[1:]}
    extra = {name: median(figures[name]["aExtraShare"]) for name in CONFIGS[1:]}
    busy = {name: median(figures[name]["busyShare"]) for name in CONFIGS[1:]}
    busy_extra = {name: median(figures[name]["busyExtraShare"]) for name in CONFIGS[1:]}

    def health(f: dict[str, list[float]]) -> str:
        return f"p99 {spread(f['p99'])} ms, lost {spread(f['lossRatio'], 1, 100)}%"

    memory_figures = figures["memory"]
    memory_cpu = spread(memory_figures["appMicrosPerDelivery"], 1)
    memory_busy_cpu = spread(memory_figures["busyMicrosPerDelivery"], 1)
    measured = [
        f"memory: {memory_cpu} µs CPU/delivery ({memory_busy_cpu} at {BUSY_RATE:,}/s), {health(memory_figures)}"
    ]
    for name in CONFIGS[1:]:
        f = figures[name]
        measured.append(
            f"{name}: A {spread(f['aShare'], 2, 100)}% of B's CPU ({spread(f['aCpuMsPerSec'], 1)} ms/s; "
            f"{spread(f['aIdleMsPerSec'], 1)} ms/s with no load; B's traffic adds {spread(f['aExtraShare'], 2, 100)}%"
            "), "
            f"A+B {spread(f['appMicrosPerDelivery'], 1)} µs CPU/delivery, Redis {spread(f['redisCpuPercent'], 1)}% "
            f"of a core ({spread(f['redisMicrosPerMessage'], 1)} µs/message{', shards only' if '2' in name else ''}), "
            f"{health(f)}; at {BUSY_RATE:,}/s: A {spread(f['busyShare'], 2, 100)}% of B's CPU "
            f"(B {spread(f['busyBCpuPercent'])}% of a core; B's traffic adds {spread(f['busyExtraShare'], 2, 100)}%), "
            f"A+B {spread(f['busyMicrosPerDelivery'], 1)} µs CPU/delivery, "
            f"lost {spread(f['busyLossRatio'], 1, 100)}%"
        )
    met_share = all(share < 0.01 for share in busy.values())
    met_cpu = all(ratio <= 1.3 for ratio in ratios.values())
    met_busy_cpu = all(ratio <= 1.3 for ratio in busy_ratios.values())
    for name in ratios:  # the two targets of issue 14, one line per configuration (medians of the rounds)
        print(
            f"  TARGETS {name}: A/B {busy[name] * 100:.2f}% with B at {BUSY_RATE:,}/s (target < 1%; without A's idle "
            f"cost {busy_extra[name] * 100:+.2f}%; at {RATE:,}/s {shares[name] * 100:.2f}%), CPU per delivery "
            f"{ratios[name]:.2f}x memory at {RATE:,}/s, {busy_ratios[name]:.2f}x at {BUSY_RATE:,}/s (target <= 1.3x)"
        )
    return [
        Row(
            scenario=f"6. rooms served by one process ({asgi}; {RATE:,} and {BUSY_RATE:,} deliveries/s offered to B, "
            f"{IDLE_ON_A} idle clients on A; load average {load[0]:.1f} at start, {load[1]:.1f} at end)",
            measured="; ".join(measured),
            ratio="; ".join(
                f"{name}: A/B {busy[name] * 100:.2f}% at {BUSY_RATE:,}/s ({busy_extra[name] * 100:+.2f}% without A's "
                f"idle cost), {shares[name] * 100:.2f}% at {RATE:,}/s ({extra[name] * 100:+.2f}%); CPU/delivery at "
                f"{RATE:,}/s {ratios[name]:.2f}x memory, at {BUSY_RATE:,}/s {busy_ratios[name]:.2f}x"
                for name in ratios
            ),
            target=f"A < 1% of B (B at {BUSY_RATE:,}/s); CPU/delivery <= 1.3x memory",
            verdict=(
                f"A/B {'met' if met_share else 'MISSED'}; CPU at {RATE:,}/s {'met' if met_cpu else 'MISSED'}, "
                f"at {BUSY_RATE:,}/s {'met' if met_busy_cpu else 'MISSED'}"
            ),
            rounds=rounds,
        )
    ]
