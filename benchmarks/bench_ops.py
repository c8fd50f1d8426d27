"""Health checks must not slow people down: /count with 8 clients polling /healthz.

The real bot runs by long polling against the stand-in on loopback, with its operations
server on, over a database of 300,000 signatures. A simulated person sends /count and
waits for the answer, again and again; we take the median. Then 8 health-check clients,
in a separate process (as real checkers are), poll GET /healthz every 100 ms each while
the person does the same. Phases alternate (quiet, polled) three times each so a busy
neighbour on the shared machine hits both alike; the load average is recorded per phase.

Before the cached health state, each /healthz ran `PRAGMA quick_check` on the bot's own
connection (0.92 s at 300k signatures) and 8 pollers pushed /count from 0.11 s to 7.75 s.

    python -m benchmarks.bench_ops            # 300k signatures
    python -m benchmarks.bench_ops --quick    # 30k
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import TOKEN, Result
from jfa_bot.app import OPS_SERVER_KEY, build_application, running
from jfa_bot.ops import quick_check_file
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from jfa_bot.store import Store
from jfa_bot.store.seed import seed_signatures

__all__ = ["run"]

CLIENTS = 8
POLL_EVERY = 0.1  # seconds between two requests of one health-check client
ROUNDS = 3
ASKS = 60  # /count requests per phase
ASK_EVERY = 0.05  # seconds between two /count of the person: a phase lasts about 3 s


async def _poll(url: str, clients: int, every: float, seconds: float) -> None:
    """Poll `url` from `clients` loops until `seconds` pass or stdin closes; print counts."""
    import aiohttp

    counts = {"requests": 0, "ok": 0}
    deadline = time.monotonic() + seconds
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), stop.set)  # the parent closes our stdin to stop us

    async def client(http: aiohttp.ClientSession) -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            async with http.get(url) as response:
                await response.read()
                counts["requests"] += 1
                counts["ok"] += response.status == 200
            await asyncio.sleep(every)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    print(f"{counts['requests']} {counts['ok']}", flush=True)


class _Pollers:
    """The health-check clients, in a child process that stops by itself."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.process: asyncio.subprocess.Process | None = None
        self.requests = self.ok = 0

    async def __aenter__(self) -> _Pollers:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.bench_ops", "--poll", self.url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.sleep(0.5)  # let the clients connect and settle
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        out, _ = await self.process.communicate()
        requests, ok = out.split()
        self.requests, self.ok = int(requests), int(ok)


async def _ask_count(sandbox: BotApiServer, asks: int) -> list[float]:
    user = sandbox.user(9_000_001, language_code="en")
    times = []
    for _ in range(asks):
        started = time.perf_counter()
        await user.ask("/count")
        times.append(time.perf_counter() - started)
        await asyncio.sleep(ASK_EVERY)
    return times


async def measure(signatures: int) -> tuple[float, float, list[str], int, int]:
    """Return the median /count time quiet and polled, the phase notes, and poll counts."""
    with tempfile.TemporaryDirectory(prefix="jfa-bench-ops-") as tmp:
        db_path = Path(tmp) / "ops.sqlite3"
        store = await Store.open(db_path)
        await seed_signatures(store.db, 1, signatures, dt.date.today().isoformat())
        await store.close()
        async with BotApiServer(token=TOKEN, bot_username="jfa_bench_bot") as sandbox:
            settings = Settings(
                bot_token=TOKEN,
                db_path=db_path,
                api_base_url=sandbox.base_url,
                file_base_url=sandbox.base_file_url,
                http_port=0,
            )
            async with running(build_application(settings), poll_timeout=10) as app:
                port = app.bot_data[OPS_SERVER_KEY].port
                url = f"http://127.0.0.1:{port}/healthz"
                await _ask_count(sandbox, 5)  # warm up
                quiet: list[float] = []
                polled: list[float] = []
                notes = []
                requests = ok = 0
                for round_number in range(1, ROUNDS + 1):
                    times = await _ask_count(sandbox, ASKS)
                    quiet += times
                    notes.append(
                        f"r{round_number} quiet {statistics.median(times) * 1e3:.1f} ms "
                        f"(load {os.getloadavg()[0]:.2f})"
                    )
                    async with _Pollers(url) as pollers:
                        times = await _ask_count(sandbox, ASKS)
                    polled += times
                    requests += pollers.requests
                    ok += pollers.ok
                    notes.append(
                        f"r{round_number} polled {statistics.median(times) * 1e3:.1f} ms "
                        f"(load {os.getloadavg()[0]:.2f}, {pollers.requests} /healthz)"
                    )
                # The rare integrity check (every 6 h), on its own connection in a thread.
                started = time.perf_counter()
                check = asyncio.ensure_future(asyncio.to_thread(quick_check_file, db_path))
                times = await _ask_count(sandbox, 10)
                verdict = await check
                took = time.perf_counter() - started
                notes.append(
                    f"during the integrity check ({verdict}, {took:.2f} s) "
                    f"{statistics.median(times) * 1e3:.1f} ms"
                )
    return statistics.median(quiet), statistics.median(polled), notes, requests, ok


async def run(quick: bool) -> list[Result]:
    """Run the benchmark and return its row."""
    signatures = 30_000 if quick else 300_000
    quiet, polled, notes, requests, ok = await measure(signatures)
    ratio = polled / quiet
    return [
        Result(
            f"/count reply with {CLIENTS} clients polling /healthz every "
            f"{POLL_EVERY * 1e3:.0f} ms, {signatures:,} signatures (real bot, stand-in, "
            "loopback)",
            f"{polled * 1e3:.1f} ms median",
            f"no pollers {quiet * 1e3:.1f} ms",
            f"{ratio:.2f}",
            "≤ 1.2",
            ratio <= 1.2 and ok == requests > 0,
            f"{ROUNDS} rounds interleaved, {ASKS} /count each: "
            + "; ".join(notes)
            + f"; {ok} of {requests} /healthz answered 200",
        )
    ]


def main() -> None:
    """Run the benchmark alone, or (--poll URL) be the health-check clients."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ops")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--poll", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poll:
        asyncio.run(_poll(args.poll, CLIENTS, POLL_EVERY, seconds=300))
        return
    for result in asyncio.run(run(args.quick)):
        print(result)


if __name__ == "__main__":
    main()
