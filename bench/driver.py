"""Running the Node load generator (bench/loadgen.mjs) on its own core and answering its marks."""

import asyncio
import json
import tempfile
from collections.abc import Callable
from typing import Any

from bench.servers import BASE_DIR

GENERATOR_CORE = 1
MarkHandler = Callable[[dict[str, Any]], None]


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


async def run_generator(
    config: dict[str, Any], on_mark: MarkHandler | None = None, *, script: str = "loadgen.mjs"
) -> dict[str, Any]:
    """Run one load generator (`script` in bench/) with `config`; call `on_mark` at each phase mark (the generator
    waits on those marked `wait` until it returns). Returns the generator's result, with its levels and marks."""
    config = {"maxSeconds": 300, "connectConcurrency": 100, "connectTimeoutMs": 20_000, **config}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir="/tmp") as file:
        json.dump(config, file)
    process = await asyncio.create_subprocess_exec(
        "taskset",
        "-c",
        str(GENERATOR_CORE),
        "node",
        str(BASE_DIR / "bench" / script),
        file.name,
        cwd=BASE_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,
    )
    assert process.stdout is not None and process.stdin is not None
    result: dict[str, Any] | None = None
    marks: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(config["maxSeconds"] + 30):
            async for raw in process.stdout:
                line = json.loads(raw)
                if "mark" in line:
                    marks.append(line)
                    if on_mark is not None:
                        on_mark(line)
                    if line.get("wait"):
                        process.stdin.write(b"go\n")
                        await process.stdin.drain()
                elif "result" in line:
                    result = line["result"]
                elif "error" in line:
                    raise RuntimeError(f"load generator failed: {line['error']}")
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if result is None:
        raise RuntimeError(f"load generator exited with {process.returncode} and no result")
    result["marks"] = marks
    return result
