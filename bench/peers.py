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
from urllib.parse import urlparse

import jwt
import MySQLdb

from bench import fixtures
from bench.driver import GENERATOR_CORE, run_generator
from bench.pyspy import PY_SPY, summarise
from bench.report import median, spread
from bench.servers import BASE_DIR, BASELINE_APP, REAL_APP, BenchServer, raise_nofile

PEER_DATABASE_URL = os.environ.get("BENCH_PEER_DATABASE_URL", "mysql://root@127.0.0.1:3306/chat_bench_peer")
PEER_APP = str(BASE_DIR / "bench" / "peers" / "original.mjs")
PEER_SECRET = "bench-peer-secret-not-for-production"
USERS = 50
SCENARIOS = {  # rooms x clients per room, senders per room
    "fanout": {"rooms": 10, "room_size": 20, "senders": 2},
    "write": {"rooms": 200, "room_size": 2, "senders": 2},
}
# --cost offers nothing, then a fixed rate (sends/s): the server's CPU for all of the second level's work, less
# what it burns idle holding the connections (pings, timers), is the cost of its sends, even when it falls behind.
COST_RATES = {"fanout": [0.0, 100.0], "write": [0.0, 200.0]}
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


def room_groups(scenario: str) -> list[list[int]]:
    """The user indexes of each room: client i is user i % USERS, in room i // room_size."""
    shape = SCENARIOS[scenario]
    size = shape["room_size"]
    return [[(r * size + j) % USERS for j in range(size)] for r in range(shape["rooms"])]


# The original stack's fixtures: its schema is its own, seeded with SQL, tokens signed as it expects.


def _peer_connect(database: str | None = None) -> Any:
    url = urlparse(PEER_DATABASE_URL)
    return MySQLdb.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database if database is not None else url.path.lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
    )


def create_peer_database() -> None:
    connection = _peer_connect(database="")
    try:
        name = urlparse(PEER_DATABASE_URL).path.lstrip("/")
        connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    finally:
        connection.close()


def seed_peer() -> tuple[list[str | None], dict[str, list[int]]]:
    """Users and rooms for the original stack (its server created the tables): tokens and room ids."""
    connection = _peer_connect()
    try:
        cursor = connection.cursor()
        stamp = f"{int(time.time())}-{os.getpid()}"
        user_ids = []
        for index in range(USERS):
            cursor.execute(
                "INSERT INTO users (name, email, password) VALUES (%s, %s, 'x')",
                (f"Bench {index}", f"bench-{stamp}-{index}@example.com"),
            )
            user_ids.append(cursor.lastrowid)
        rooms: dict[str, list[int]] = {}
        for scenario in SCENARIOS:
            rooms[scenario] = []
            for number, group in enumerate(room_groups(scenario)):
                cursor.execute(
                    "INSERT INTO rooms (name, created_by) VALUES (%s, %s)", (f"{scenario} {number}", user_ids[group[0]])
                )
                room_id = cursor.lastrowid
                rooms[scenario].append(room_id)
                cursor.executemany(
                    "INSERT INTO room_members (room_id, user_id) VALUES (%s, %s)",
                    [(room_id, user_ids[member]) for member in group],
                )
    finally:
        connection.close()
    tokens: list[str | None] = [
        jwt.encode({"id": user_id, "name": f"Bench {index}"}, PEER_SECRET, algorithm="HS256")
        for index, user_id in enumerate(user_ids)
    ]
    return tokens, rooms


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


def summary(results: list[dict[str, Any]], scenario: str) -> dict[str, Any]:
    """Per round: the best passing level's rate, p99 at best and at half, CPU and latency at the first level."""
    metric = "deliveredPerSec" if scenario == "fanout" else "sendsPerSec"
    best = [r["best"][metric] if r["best"] else 0.0 for r in results]
    first = [r["levels"][0] for r in results if r["levels"] and r["levels"][0]["sendRate"] == 20.0]
    return {
        "best": best,
        "p99": [r["best"]["p99"] if r["best"] else None for r in results],
        "halfP99": [r["half"]["p99"] if r.get("half") else None for r in results],
        "cpuAt20": [level["serverCpu"] for level in first],
        "p50At20": [level["p50"] for level in first],
        "usPerSend": [r["best"]["cpuUsPerSend"] if r["best"] else None for r in results],
        "usPerDelivery": [r["best"]["cpuUsPerDelivery"] if r["best"] else None for r in results],
        "generatorCpu": [r["best"]["generatorCpu"] if r["best"] else None for r in results],
    }


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


def cost_table(results: dict[tuple[str, str], list[dict[str, Any]]]) -> str:
    """Server CPU per send and per delivery at a fixed offered rate, all of a level's work counted (up to the last
    delivery, however late) less the CPU the server burns idle over the same time (a level that sends nothing),
    and the latency at that rate."""
    lines = [
        "| scenario | server | idle CPU % | µs CPU per send | µs CPU per delivery | p50 / p99 ms | lost |",
        "|---|---|---|---|---|---|---|",
    ]
    for (name, scenario), runs in results.items():
        idle_rates, per_send, per_delivery, p50, p99, lost = [], [], [], [], [], 0
        for run in runs:
            idle, level = run["levels"][0], run["levels"][1]
            if not idle["span"] or not level["span"]:
                continue
            idle_rate = idle["span"][1] / idle["span"][0]
            work = level["span"][1] - idle_rate * level["span"][0]
            idle_rates.append(idle_rate)
            per_send.append(work * 1e6 / max(level["deliveredAll"] / SCENARIOS[scenario]["room_size"], 1))
            per_delivery.append(work * 1e6 / max(level["deliveredAll"], 1))
            p50.append(level["p50"])
            p99.append(level["p99"])
            lost += level["sent"] * SCENARIOS[scenario]["room_size"] - level["deliveredAll"]
        lines.append(
            f"| {scenario}, {COST_RATES[scenario][1]:.0f} sends/s | {name} | {spread(idle_rates, 1, 100)} | "
            f"{spread(per_send)} | {spread(per_delivery, 1)} | {spread(p50, 1)} / {spread(p99, 1)} | {lost} |"
        )
    return "\n".join(lines)


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{median(a) / median(b):.2f}x" if b and median(b) else "n/a"


def peer_table(stats: dict[tuple[str, str], dict[str, Any]], bare_asgi: str, real_asgi: str) -> str:
    header = [
        "scenario",
        "the original stack (Node + MySQL)",
        f"bare python-socketio ({bare_asgi})",
        f"this project ({real_asgi})",
        "project / original",
        "project / bare",
        "target",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    targets = {"fanout": ">= 1.0x original, >= 0.8x bare", "write": ">= 1.5x original"}
    names = {"fanout": "fan-out, delivered/s at p99 < 100 ms", "write": "write-heavy, stored sends/s at p99 < 100 ms"}
    for scenario in SCENARIOS:
        if ("project", scenario) not in stats:
            continue
        row = {name: stats.get((name, scenario)) for name in ("original", "bare", "project")}
        project, original, bare = row["project"], row["original"], row["bare"]
        assert project is not None

        trio = (original, bare, project)

        def cells(key: str, digits: int = 0, scale: float = 1.0, trio: tuple[Any, ...] = trio) -> list[str]:
            return [spread(r[key], digits, scale) if r else "—" for r in trio]

        ratios = [_ratio(project["best"], r["best"]) if r else "—" for r in (original, bare)]
        lines.append("| " + " | ".join([names[scenario], *cells("best"), *ratios, targets[scenario]]) + " |")
        for label, key, digits, scale in (
            ("p99 at the best rate, ms", "p99", 1, 1.0),
            ("p99 at half the best rate, ms", "halfP99", 1, 1.0),
            ("server CPU at 20 sends/s, %", "cpuAt20", 1, 100.0),
            ("p50 at 20 sends/s, ms", "p50At20", 1, 1.0),
            ("server CPU µs per send at the best rate", "usPerSend", 0, 1.0),
            ("server CPU µs per delivery at the best rate", "usPerDelivery", 1, 1.0),
            ("load generator CPU at the best rate, %", "generatorCpu", 0, 100.0),
        ):
            lines.append("| " + " | ".join([f"{scenario}: {label}", *cells(key, digits, scale), "", "", ""]) + " |")
    return "\n".join(lines)


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
