"""Scenario 5: one process in memory, one on Redis, two on Redis: CPU per delivered message and throughput."""

import os
from contextlib import ExitStack
from typing import Any

from bench import fixtures
from bench.driver import run_generator, ws_url
from bench.fixtures import Population
from bench.report import Row, median, spread
from bench.scenarios import FANOUT_ROOM_SIZE, Options, fanout_clients, sweep_plan
from bench.servers import REAL_APP, BenchServer

# Below every configuration's capacity, so the CPU per delivery compares like with like.
MODERATE_RATE = 2_000
# Far above any capacity: the senders' in-flight cap turns it into a closed loop, delivering as fast as it can.
SATURATING_RATE = 60_000
CONFIGS = {"memory x1": (False, 1), "redis x1": (True, 1), "redis x2": (True, 2)}


async def _round(servers: list[BenchServer], topology: dict[str, Any], options: Options) -> dict[str, float]:
    cpu: dict[str, float] = {}

    def on_mark(mark: dict[str, Any]) -> None:
        if mark.get("level") == 0 and mark["mark"] in ("measure_start", "measure_end"):
            cpu[mark["mark"]] = sum(server.cpu_seconds() for server in servers)

    plan = sweep_plan(options, start=0, factor=1, room_size=FANOUT_ROOM_SIZE, maxInFlight=20)
    plan["fixed"] = [MODERATE_RATE, SATURATING_RATE]
    config = {"mode": "load", "urls": [ws_url(s.url) for s in servers], **topology, "plan": plan}
    result = await run_generator(config, on_mark)
    moderate, saturated = result["levels"]
    return {
        "cpuMicrosPerDelivery": (cpu["measure_end"] - cpu["measure_start"]) / max(moderate["delivered"], 1) * 1e6,
        "moderateP99": moderate["p99"],
        "throughput": saturated["arrivalsPerSec"],
    }


async def scale_out(options: Options, population: Population, asgi: str) -> list[Row]:
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    with ExitStack() as stack:
        servers: dict[str, list[BenchServer]] = {}
        for name, (redis, processes) in CONFIGS.items():
            # One channel per configuration: the processes of one must not relay the other's messages.
            env = fixtures.server_env(redis=redis, channel=f"bench-{os.getpid()}-{name.replace(' ', '')}")
            servers[name] = [
                stack.enter_context(BenchServer(app=REAL_APP, asgi=asgi, env=env, core=core, label=f"scale{core}"))
                for core in range(processes)
            ]
        for _ in range(options.rounds):
            for name, (_redis, processes) in CONFIGS.items():
                topology = fanout_clients(population, population.rooms["fanout"], servers=processes)
                rounds[name].append(await _round(servers[name], topology, options))
    cpu = {name: [r["cpuMicrosPerDelivery"] for r in rows] for name, rows in rounds.items()}
    throughput = {name: [r["throughput"] for r in rows] for name, rows in rounds.items()}
    cpu_ratio = median(cpu["redis x1"]) / median(cpu["memory x1"])
    scale_ratio = median(throughput["redis x2"]) / median(throughput["redis x1"])
    print(f"  scale-out: cpu µs/delivery {cpu}, throughput {throughput}")
    measured = "; ".join(
        f"{name}: {spread(cpu[name], 1)} µs CPU/delivery, {spread(throughput[name])}/s saturated" for name in CONFIGS
    )
    return [
        Row(
            scenario=f"5. scale-out ({asgi}; CPU at {MODERATE_RATE:,}/s offered)",
            measured=measured,
            ratio=f"CPU redis/memory {cpu_ratio:.2f}x; throughput redis x2 / x1 {scale_ratio:.2f}x",
            target="CPU <= 1.5x; x2 >= 1.6x x1",
            verdict=(
                f"CPU {'met' if cpu_ratio <= 1.5 else 'MISSED'}; "
                f"scaling {'met' if scale_ratio >= 1.6 else f'MISSED ({scale_ratio / 1.6:.2f} of 1.6x)'}"
            ),
            rounds=rounds,
        )
    ]
