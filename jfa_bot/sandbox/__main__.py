"""Run the Telegram stand-in on its own: `python -m jfa_bot.sandbox --port 0`.

Prints `READY <port>` once listening (for benchmarks that run it as a separate process),
then serves on 127.0.0.1 until SIGINT or SIGTERM, and prints `STATS …` (accepted sends,
429s, the most in any second, and the span from the first accepted send to the last).

The process never runs Python's cyclic garbage collector: the stand-in keeps every
message, and a full collection over them (360,000 objects after 20,000 sends) stalled every
answer by up to 300 ms, which real Telegram does not do and which a pacer must count as
possible delay on the way out. One benchmark row is its whole life.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
from contextlib import suppress

from jfa_bot.sandbox.server import BotApiServer


async def _serve(args: argparse.Namespace) -> None:
    gc.disable()
    server = BotApiServer(
        token=args.token,
        port=args.port,
        auto_chats=args.auto_chats,
        latency=(args.latency_ms / 1000, args.jitter_ms / 1000),
    )
    server.faults.flood_limit = args.flood_limit
    server.faults.paid_limit = args.paid_limit
    server.faults.per_chat_limit = args.per_chat_limit
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with server:
        print(f"READY {server.port}", flush=True)
        await stop.wait()
        stats = server.stats
        print(
            f"STATS sends={stats.sends} rate_limited={stats.rate_limited} "
            f"max_per_second={stats.max_sends_per_second()} "
            f"span={stats.send_times[-1] - stats.send_times[0] if stats.sends else 0.0:.6f}",
            flush=True,
        )


def main() -> None:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(prog="python -m jfa_bot.sandbox")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--auto-chats", action="store_true", help="accept any private chat id")
    parser.add_argument("--flood-limit", type=int, default=None)
    parser.add_argument("--per-chat-limit", action="store_true")
    parser.add_argument(
        "--paid-limit", type=int, default=None, help="sends/s with allow_paid_broadcast"
    )
    parser.add_argument("--latency-ms", type=float, default=80.0, help="round trip (0: off)")
    parser.add_argument("--jitter-ms", type=float, default=40.0, help="± on the round trip")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
