"""The peer comparison: the original Node stack, bare python-socketio and this project, driven alike by the
official socket.io-client (bench/sioload.mjs) in one run, for fan-out and write-heavy load.

python -m bench.peers [--rounds N] [--scenarios fanout,write] [--asgi uvicorn] [--real-asgi ...]
Each server runs alone on core 0, the generator on core 1; servers alternate round by round so all see the same
noise. Users: 50, spread over the connections (client i is user i % 50), as a frontend's tabs would be.
"""

import argparse
import asyncio
import contextlib
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.driver import GENERATOR_CORE, run_generator
from bench.peer_fixtures import (
    COST_RATES,
    PEER_APP,
    PEER_DATABASE_URL,
    PEER_SECRET,
    SCENARIOS,
    USERS,
    create_peer_database,
    room_groups,
    seed_peer,
)
from bench.peer_tables import cost_table, peer_table, summary
from bench.pyspy import PY_SPY, summarise
from bench.servers import BASE_DIR, BASELINE_APP, REAL_APP, BenchServer, raise_nofile

# This project's server as `make run` starts it, and the bare framework under the same server.
RUN_ASGI = "uvicorn"


@dataclass
class Target:
    """One server under test with its rooms per scenario and a token per user (None: no authentication)."""

    name: str
    server: BenchServer
    tokens: list[str | None]
    rooms: dict[str, list[int]] = field(default_factory=dict)


def topology(target: Target, scenario: str) -> dict[str, Any]:
    shape = SCENARIOS[scenario]
    clients, senders = [], []
    for index in range(shape["rooms"] * shape["room_size"]):
        room_id = target.rooms[scenario][index // shape["room_size"]]
        clients.append({"token": target.tokens[index % USERS], "rooms": [room_id]})
        if index % shape["room_size"] < shape["senders"]:
            senders.append({"client": index, "roomId": room_id})
    return {"clients": clients, "senders": senders}


async def seed_real(target: Target) -> None:
    population = await fixtures.register_users(target.server.url, USERS)
    target.tokens = list(population.tokens)
    for scenario in SCENARIOS:
        target.rooms[scenario] = await fixtures.make_rooms(
            target.server.url, population, scenario, room_groups(scenario)
        )


def plan_for(scenario: str, previous: float | None, *, measure_ms: int) -> dict[str, Any]:
    """Round 1 sweeps up from 20 sends/s by x2; later rounds start under round 1's answer and step by x1.2."""
    start, factor = (0.7 * previous, 1.2) if previous else (20.0, 2.0)
    return {
        "roomSize": SCENARIOS[scenario]["room_size"],
        "startRate": start,
        "factor": factor,
        "resolution": 0.1,
        "maxLevels": 9,
        "warmMs": 500,
        "measureMs": measure_ms,
        "drainMs": 1_500,
        "pauseMs": 500,
        "p99LimitMs": 100,
        "halfCheck": True,
    }


async def sweep(
    target: Target,
    scenario: str,
    previous: float | None,
    measure_ms: int,
    fixed: list[float] | None = None,
    profile: bool = False,
) -> dict[str, Any]:
    cpu: dict[int, list[float]] = {}
    spans: dict[int, list[tuple[float, float]]] = {}  # (wall, server CPU) at a level's start and end

    spies: list[subprocess.Popen[bytes]] = []
    raw = BASE_DIR / "bench" / "results" / f"profile-{target.name}-{scenario}.raw"

    def on_mark(mark: dict[str, Any]) -> None:
        if mark["mark"] in ("measure_start", "measure_end"):
            cpu.setdefault(int(mark["level"]), []).append(target.server.cpu_seconds())
        if mark["mark"] in ("level_start", "level_end"):
            spans.setdefault(int(mark["level"]), []).append((time.monotonic(), target.server.cpu_seconds()))
        last = len(fixed) - 1 if fixed else 0
        if mark["mark"] == "measure_start" and profile and int(mark["level"]) == last:  # py-spy the top rate
            seconds = str(max(1, measure_ms // 1000 - 1))
            command = [
                PY_SPY,
                "record",
                "-p",
                str(target.server.pid),
                "-d",
                seconds,
                "-f",
                "raw",
                "--gil",
                "-o",
                str(raw),
            ]
            spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    config = {"url": target.server.url, **topology(target, scenario), "connectConcurrency": 50}
    config["plan"] = plan_for(scenario, previous, measure_ms=measure_ms)
    if fixed is not None:
        config["plan"].update(fixed=fixed, drainMs=10_000)  # every send's delivery is counted, however late
    result = await run_generator(config, on_mark, script="sioload.mjs")
    for spy in spies:
        spy.wait(timeout=60)
        summary_path = raw.with_suffix(".txt")
        summary_path.write_text(
            f"py-spy of {target.name} under {scenario}, the last level of {fixed} sends/s\n" + summarise(raw)
        )
        print(f"    profile: {summary_path}")
    seconds = measure_ms / 1000
    for level in result["levels"] + ([result["half"]] if result.get("half") else []):
        start_end = cpu.get(level["level"], [])
        busy = (start_end[1] - start_end[0]) / seconds if len(start_end) == 2 else None
        level["serverCpu"] = busy
        span = spans.get(level["level"], [])
        level["span"] = (span[1][0] - span[0][0], span[1][1] - span[0][1]) if len(span) == 2 else None
        sends = level["sendsPerSec"]
        level["cpuUsPerSend"] = busy * 1e6 / sends if busy is not None and sends else None
        level["cpuUsPerDelivery"] = busy * 1e6 / level["deliveredPerSec"] if busy and level["deliveredPerSec"] else None
    if not result["levels"]:
        raise RuntimeError(f"{target.name} {scenario}: setup failed: {result.get('counters')}")
    by_id = {level["level"]: level for level in result["levels"]}
    result["best"] = result.get("best")
    result["best"] = by_id.get(result["best"]["level"]) if result["best"] else None
    for level in result["levels"] + ([result["half"]] if result.get("half") else []):
        print(
            f"    {target.name} {scenario} {level['sendRate']:.0f}/s: p50 {level['p50']} p99 {level['p99']} "
            f"lost {level['lost']} errors {level['errors']} cpu {level['serverCpu']} pass {level['pass']}"
        )
    return result


async def start_targets(
    names: list[str], stack: Any, bare_asgi: str, real_asgi: str, before: str, before_env: str = ""
) -> list[Target]:
    """Start the servers named (original, bare, project, before: this project from another checkout) and make
    their fixtures."""
    env = fixtures.server_env()
    targets = []
    for spec in names:  # a name, or name@server to run a Python target under another ASGI server
        name, _, server_name = spec.partition("@")
        bare_server, real_server = (server_name or bare_asgi), (server_name or real_asgi)
        if name == "original":
            peer_env = {**os.environ, "DATABASE_URL": PEER_DATABASE_URL, "JWT_SECRET": PEER_SECRET}
            server = stack.enter_context(BenchServer(app=PEER_APP, asgi="node", env=peer_env, core=0, label=name))
            tokens, rooms = seed_peer()
            targets.append(Target(name, server, tokens, rooms))
        elif name == "bare":
            server = stack.enter_context(BenchServer(app=BASELINE_APP, asgi=bare_server, env=env, core=0, label=name))
            rooms = {s: list(range(1, SCENARIOS[s]["rooms"] + 1)) for s in SCENARIOS}
            targets.append(Target(spec, server, [None] * USERS, rooms))
        else:
            cwd = Path(before) if name == "before" else BASE_DIR
            extra = dict(item.split("=", 1) for item in before_env.split(",") if item) if name == "before" else {}
            server = BenchServer(app=REAL_APP, asgi=real_server, env={**env, **extra}, core=0, label=name, cwd=cwd)
            targets.append(Target(spec, stack.enter_context(server), []))
            await seed_real(targets[-1])
    return targets


async def run(args: argparse.Namespace) -> str:
    started = time.monotonic()
    create_peer_database()
    fixtures.prepare_database()
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as stack:
        names = args.targets.split(",")
        targets = await start_targets(names, stack, args.asgi, args.real_asgi, args.before, args.before_env)
        print(f"[{time.monotonic() - started:.0f}s] servers up, fixtures made, load {os.getloadavg()[0]:.2f}")
        for scenario in args.scenarios.split(","):
            for number in range(args.rounds):
                for target in targets:
                    if scenario == "write" and target.name.startswith("bare") and not args.cost:
                        continue  # the bare framework stores nothing: write-heavy compares the stores
                    runs = results.setdefault((target.name, scenario), [])
                    previous = runs[0]["best"]["sendRate"] if runs and runs[0]["best"] else None
                    fixed = COST_RATES[scenario] if args.cost else None
                    profile = target.name in args.profile.split(",") and number == 0
                    outcome = await sweep(target, scenario, previous, args.measure_ms, fixed=fixed, profile=profile)
                    runs.append(outcome)
                    best = outcome["best"]
                    print(
                        f"[{time.monotonic() - started:.0f}s] {scenario} {target.name} round {number + 1}: "
                        f"best {best['sendRate'] if best else 0:.0f} sends/s, load {os.getloadavg()[0]:.2f}"
                    )
    if args.cost:
        return cost_table(results)
    return peer_table({key: summary(value, key[1]) for key, value in results.items()}, args.asgi, args.real_asgi)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scenarios", default="fanout,write")
    parser.add_argument("--asgi", default=RUN_ASGI, help="the server of the bare framework")
    parser.add_argument("--real-asgi", default=RUN_ASGI, help="the server of this project")
    parser.add_argument("--measure-ms", type=int, default=2_000)
    parser.add_argument("--targets", default="original,bare,project", help="also: before (see --before)")
    parser.add_argument("--before", default="", help="a checkout of this project to measure as `before`")
    parser.add_argument("--profile", default="", help="py-spy these targets in round 1 (bench/results/)")
    parser.add_argument("--before-env", default="", help="KEY=VALUE,... for the `before` server's environment")
    parser.add_argument("--cost", action="store_true", help="CPU per send at a fixed rate instead of the sweep")
    args = parser.parse_args()
    raise_nofile()
    os.sched_setaffinity(0, {GENERATOR_CORE})
    text = asyncio.run(run(args))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n\n{text}")


if __name__ == "__main__":
    cli()
