"""Scenario 7: p50/p99 of a search (GET /api/search, limit 50) in a table of 1M messages (bench/seed_search.py):
a rare word, a common word and a short word, in all the caller's rooms and in one of them."""

import asyncio
import json
import subprocess
import sys
from urllib.parse import quote

from bench import fixtures
from bench.fixtures import Population
from bench.report import Row, median, spread, verdict
from bench.scenarios import Options, add_percentiles, get_latencies
from bench.servers import BASE_DIR, BenchServer

P99_TARGET_MS = 50


def seed(user_id: int) -> dict[str, object]:
    """The seeded corpus (seeding it the first time), with `user_id` a member of its first rooms."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.seed_search", str(user_id)],
        cwd=BASE_DIR,
        env=fixtures.server_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    corpus: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return corpus


async def search(options: Options, real: BenchServer, population: Population) -> list[Row]:
    corpus = await asyncio.to_thread(seed, population.user_ids[0])
    words: dict[str, str] = corpus["words"]  # type: ignore[assignment]
    rooms: list[int] = corpus["rooms"]  # type: ignore[assignment]
    cases = {
        f"{kind} {where}": f"/api/search?q={quote(word)}&limit=50"
        + (f"&roomId={rooms[0]}" if where == "1 room" else "")
        for kind, word in words.items()
        for where in ("all rooms", "1 room")
    }
    stats: dict[str, dict[str, list[float]]] = {case: {"p50": [], "p99": []} for case in cases}
    note = await asyncio.to_thread(fixtures.settling_note)
    for _ in range(options.rounds):
        for case, path in cases.items():
            timings = await asyncio.to_thread(
                get_latencies, real.url, population.tokens[0], path, options.search_requests
            )
            add_percentiles(stats[case], timings)
    worst = max(median(stats[case]["p99"]) for case in cases)
    cells = "; ".join(
        f"{case}: p50 {spread(stats[case]['p50'], 1)} p99 {spread(stats[case]['p99'], 1)} ms" for case in cases
    )
    print(f"  search: {cells}{note}")
    return [
        Row(
            scenario=f"7. search (limit 50), REST, 1M messages, caller in {len(rooms)} rooms{note}",
            measured=cells,
            target=f"p99 < {P99_TARGET_MS} ms",
            verdict=verdict(worst < P99_TARGET_MS, f"worst p99 {worst:.1f} ms"),
            rounds=stats,
        )
    ]
