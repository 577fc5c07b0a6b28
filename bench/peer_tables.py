"""The peer comparison's tables: the best rates side by side with both ratios, and the cost of a send."""

from typing import Any

from bench.peer_fixtures import COST_RATES, SCENARIOS
from bench.report import median, spread


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
