"""Profile a server under the fan-out load with py-spy; writes bench/profile-<label>.txt (and a flame graph).

python -m bench.profile [--rate 2500] [--seconds 10] [--baseline] [--redis]
The text file lists the functions by inclusive and by own share of the samples, from py-spy's raw stacks.
"""

import argparse
import asyncio
import collections
import os
import subprocess
import sys
from pathlib import Path

from bench import fixtures
from bench.driver import GENERATOR_CORE, run_generator, ws_url
from bench.run import population_for
from bench.scenarios import FANOUT_ROOM_SIZE, FANOUT_ROOMS, Options, fanout_clients, sweep_plan
from bench.servers import BASE_DIR, BASELINE_APP, REAL_APP, BenchServer, raise_nofile

PY_SPY = str(Path(sys.executable).parent / "py-spy")


def _function(frame: str) -> str:
    """`name (path:line)` -> `name (short path)`: one entry per function, whichever line was running."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3.11/", str(BASE_DIR) + "/"):
        path = path.split(marker, 1)[-1]
    return f"{name} ({path})"


def summarise(raw: Path, top: int = 45) -> str:
    """Inclusive and own sample shares per function from py-spy's collapsed stacks (`frame;frame;... count`)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples\n", "## inclusive (the function and what it calls)"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "## own (samples in the function itself)"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


async def profile(rate: float, seconds: int, baseline: bool, redis: bool = False) -> Path:
    options = Options(warm_ms=2_000, measure_ms=(seconds + 4) * 1000)
    label = ("baseline" if baseline else "fanout") + ("-redis" if redis else "")
    app = BASELINE_APP if baseline else REAL_APP
    env = fixtures.server_env(redis=redis)
    with BenchServer(app=app, asgi="daphne", env=env, core=0, label=f"profile-{label}") as server:
        if baseline:
            topology = fanout_clients(None, list(range(1, FANOUT_ROOMS + 1)))
        else:
            population = await population_for(server)
            topology = fanout_clients(population, population.rooms["fanout"])
        raw = BASE_DIR / "bench" / "results" / f"profile-{label}.raw"
        plan = sweep_plan(options, start=0, factor=1, room_size=FANOUT_ROOM_SIZE)
        plan["fixed"] = [rate]
        spy: list[subprocess.Popen[bytes]] = []

        def on_mark(mark: dict[str, object]) -> None:
            if mark["mark"] == "measure_start":  # sample the steady state, not the connects
                command = [
                    PY_SPY,
                    "record",
                    "-p",
                    str(server.pid),
                    "-d",
                    str(seconds),
                    "-f",
                    "raw",
                    "--gil",
                    "-o",
                    str(raw),
                ]
                spy.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        config = {"mode": "load", "urls": [ws_url(server.url)], **topology, "plan": plan}
        result = await run_generator(config, on_mark)
        spy[0].wait(timeout=seconds + 30)
    level = result["levels"][0]
    text = f"py-spy of the {label} server under fan-out: {rate:,.0f} deliveries/s offered, "
    text += f"{level['deliveredPerSec']:,.0f}/s delivered, p99 {level['p99']:.1f} ms, {seconds} s sampled\n"
    out = BASE_DIR / "bench" / f"profile-{label}.txt"
    out.write_text(text + summarise(raw))
    return out


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=2_500, help="deliveries/s offered")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--baseline", action="store_true", help="profile the bare baseline instead")
    parser.add_argument("--redis", action="store_true", help="with REDIS_URL (BENCH_REDIS_URL): the Channels fan-out")
    args = parser.parse_args()
    raise_nofile()
    os.sched_setaffinity(0, {GENERATOR_CORE})
    fixtures.prepare_database()
    print(asyncio.run(profile(args.rate, args.seconds, args.baseline, args.redis)))


if __name__ == "__main__":
    cli()
