"""`python -m benchmarks.memory N`: RSS growth (MB) of a whole broadcast to N subscribers."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from benchmarks.common import rss_mb
from jfa_bot.broadcast.engine import BroadcastEngine, EngineConfig
from jfa_bot.broadcast.pacer import Pacer
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastPost
from jfa_bot.store.seed import seed_subscribers


class NullSender:
    """Accept every send at once: the engine's own cost is what is measured."""

    async def send(self, chat_id: int, post: BroadcastPost, *, paid: bool) -> None:
        return None


async def main(size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="jfa-mem-") as tmp:
        store = await Store.open(Path(tmp) / "mem.sqlite3")
        await seed_subscribers(store.db, 1, size)
        engine = BroadcastEngine(
            store,
            NullSender(),
            EngineConfig(rate=1_000_000, in_flight=500, max_attempts=3),
            pacer=Pacer(1_000_000, limit=1_000_000),
        )
        before = rss_mb()
        broadcast, recipients = await store.broadcasts.create(
            kind=BroadcastKind.CUSTOM,
            label="Memory",
            variants={"en": "x"},
            default_locale="en",
        )
        assert recipients == size
        engine.start(broadcast.id)
        await engine.wait(broadcast.id)
        after = rss_mb()
        sent = (await store.broadcasts.progress(broadcast.id)).by_state.get("sent", 0)
        assert sent == size, sent
        await store.close()
    print(f"size {size} sent {sent} growth_mb {after - before:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
