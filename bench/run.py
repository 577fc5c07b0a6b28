"""`make bench`: the peer comparison (the original Node stack, bare python-socketio and this project, bench/peers.py),
then the other scenarios against the real server and the bare baseline, one table row each.

python -m bench.run [--long] [--rounds N] [--scenarios p,1,2,3,4,5,6,7] [--compare-uvicorn]
`make bench` runs p (the peers), 3 (idle, this project and the bare framework), 4 (history), 6 (rooms served by
one process: the Channels layer on Redis against memory) and 7 (search).
The runner pins itself and the load generator to core 1 and every server under test to core 0.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

from bench import fixtures, peers, rooms, scaleout, scenarios, search
from bench.driver import GENERATOR_CORE
from bench.report import Row, table
from bench.scenarios import FANOUT_ROOM_SIZE, FANOUT_ROOMS, WRITE_ROOMS, Options
from bench.servers import BASE_DIR, BASELINE_APP, REAL_APP, BenchServer, raise_nofile

RESULTS = BASE_DIR / "bench" / "results"
PEER_TABLE: list[str] = []  # the peer comparison's table, when run
HISTORY_SIZES = [10_000, 1_000_000]


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, load average {load[0]:.2f} at start"


async def population_for(server: BenchServer) -> fixtures.Population:
    users = 2 * WRITE_ROOMS  # 400: every fan-out and write-heavy client is its own user
    population = await fixtures.register_users(server.url, users)
    fanout = [list(range(r * FANOUT_ROOM_SIZE, (r + 1) * FANOUT_ROOM_SIZE)) for r in range(FANOUT_ROOMS)]
    await fixtures.make_rooms(server.url, population, "fanout", fanout)
    await fixtures.make_rooms(server.url, population, "write", [[2 * r, 2 * r + 1] for r in range(WRITE_ROOMS)])
    return population


async def main(args: argparse.Namespace) -> list[Row]:
    options = Options(long=args.long, rounds=args.rounds)
    if args.long:
        options.idle_rounds = args.rounds
        options.idle_connections, options.history_requests, options.measure_ms = 10_050, 2_000, 5_000
        options.warm_ms = 1_000
    if args.idle_connections:
        options.idle_connections = args.idle_connections + 50  # plus the 50 warm-up connections
    chosen = {int(s) for s in args.scenarios.split(",") if s != "p"}
    rows: list[Row] = []
    started = time.monotonic()
    if "p" in args.scenarios.split(","):
        print(f"[{time.monotonic() - started:.0f}s] peers: original, bare python-socketio, this project")
        peer_args = argparse.Namespace(
            targets="original,bare,project",
            scenarios="fanout,write",
            rounds=args.rounds,
            asgi=peers.RUN_ASGI,
            real_asgi=peers.RUN_ASGI,
            before="",
            before_env="",
            cost=False,
            profile="",
            measure_ms=3_000 if args.long else 1_500,
        )
        PEER_TABLE.append(await peers.run(peer_args))
        print(f"\n{PEER_TABLE[-1]}\n", flush=True)  # shown at once: the scenarios after it take minutes
    fixtures.prepare_database()
    history_rooms = fixtures.seed_history(HISTORY_SIZES) if 4 in chosen else {}
    asgi_servers = ["daphne", "uvicorn"] if args.compare_uvicorn or args.long else [peers.RUN_ASGI]
    population: fixtures.Population | None = None
    for asgi in asgi_servers:
        print(f"[{time.monotonic() - started:.0f}s] servers under {asgi}")
        with (
            BenchServer(app=REAL_APP, asgi=asgi, env=fixtures.server_env(), core=0, label="real") as real,
            BenchServer(app=BASELINE_APP, asgi=asgi, env=fixtures.server_env(), core=0, label="baseline") as bare,
        ):
            population = population or await population_for(real)
            print(f"[{time.monotonic() - started:.0f}s] {len(population.tokens)} users registered")
            if 1 in chosen:
                rows += await scenarios.fanout(options, real, bare, population, asgi)
            if asgi == asgi_servers[0] and 2 in chosen:
                rows += await scenarios.write_heavy(options, real, population)
            if asgi == asgi_servers[0] and 4 in chosen:
                rows += await scenarios.history(options, real, population, history_rooms)
            if asgi == asgi_servers[0] and 7 in chosen:
                print(f"[{time.monotonic() - started:.0f}s] search")
                rows += await search.search(options, real, population)
        if 3 in chosen:
            print(f"[{time.monotonic() - started:.0f}s] idle connections under {asgi}")
            real_idle = await scenarios.idle(options, population, asgi)
            bare_idle = await scenarios.idle(options, population, asgi, app=BASELINE_APP)
            rows += [*real_idle, *bare_idle, scenarios.idle_against_bare(real_idle[0], bare_idle[0], asgi)]
        if asgi == asgi_servers[0] and 5 in chosen:
            print(f"[{time.monotonic() - started:.0f}s] scale-out")
            rows += await scaleout.scale_out(options, population, asgi)
        if asgi == asgi_servers[0] and 6 in chosen:
            print(f"[{time.monotonic() - started:.0f}s] rooms served by one process")
            rows += await rooms.rooms_served_by_one_process(options, population, asgi)
    print(f"[{time.monotonic() - started:.0f}s] done")
    return rows


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="10,000 idle connections, 5 s windows, uvicorn too")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per scenario (medians need at least 3)")
    parser.add_argument("--scenarios", default="p,3,4,6,7", help="which scenarios, e.g. p,1,3 (p: the peers)")
    parser.add_argument("--compare-uvicorn", action="store_true", help="repeat fan-out and idle under uvicorn")
    parser.add_argument("--idle-connections", type=int, default=0, help="idle connections held (short: 1,950)")
    args = parser.parse_args()
    raise_nofile()
    os.sched_setaffinity(0, {GENERATOR_CORE})
    header = machine()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = asyncio.run(main(args))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True)
    summary = f"{when}, commit {commit.stdout.strip()}, {'long' if args.long else 'short'} run, {header}"
    output = f"{summary}\n\n" + "".join(f"{text}\n\n" for text in PEER_TABLE) + f"{table(rows)}\n"
    print("\n" + output)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(output)
    with open(RESULTS / "latest.json", "w") as file:
        json.dump({"summary": summary, "rows": [asdict(row) for row in rows]}, file, indent=1, default=str)


if __name__ == "__main__":
    cli()
