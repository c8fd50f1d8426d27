"""Signing: per-update cost through the real Application, signatures per second, /count."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from benchmarks.common import TOKEN, FakeBotApi, Result
from jfa_bot.app import build_application
from jfa_bot.settings import Settings
from jfa_bot.store import NewSignature, Store, Visibility
from jfa_bot.store.seed import seed_signatures

_update_id = 0


def _message(user_id: int, text: str) -> dict[str, Any]:
    global _update_id
    _update_id += 1
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if text.startswith("/")
        else []
    )
    return {
        "update_id": _update_id,
        "message": {
            "message_id": _update_id,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"},
            "text": text,
            "entities": entities,
        },
    }


def _press(user_id: int, data: str) -> dict[str, Any]:
    global _update_id
    _update_id += 1
    return {
        "update_id": _update_id,
        "callback_query": {
            "id": str(_update_id),
            "chat_instance": "bench",
            "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"},
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "text": "form",
            },
        },
    }


async def _bare_ptb(updates: int) -> float:
    """Return CPU seconds per update for a bare PTB echo bot on the same fake network."""
    app = Application.builder().token(TOKEN).request(FakeBotApi()).build()

    async def echo(update: Update, context: object) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    total = 0.0
    for n in range(updates):
        update = Update.de_json(_message(10_000 + n % 500, f"hello {n}"), app.bot)
        started = time.process_time()
        await app.process_update(update)
        total += time.process_time() - started
    await app.shutdown()
    return total / updates


async def _signing_flow(users: int, folder: Path) -> tuple[float, int]:
    """Return CPU seconds per update for whole signing flows, and the number of updates."""
    # The in-process fake enforces no limit: measure CPU, not Telegram's one message per
    # chat per second (the real-path rows measure that), nor flood control.
    settings = Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        db_path=folder / "flow.sqlite3",
        chat_burst=20,
        flood_rate=100.0,
    )
    app = build_application(settings, request=FakeBotApi())
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    store: Store = app.bot_data["store"]
    total, count = 0.0, 0

    async def run(data: dict[str, Any]) -> None:
        nonlocal total, count
        update = Update.de_json(data, app.bot)
        # CPU time of the whole process (both threads: asyncio and aiosqlite's), so the
        # pacer's deliberate waits under Telegram's 30/s limit are not counted as cost.
        started = time.process_time()
        await app.process_update(update)
        total += time.process_time() - started
        count += 1

    for n in range(users):
        uid = 1_000_000 + n
        await run(_message(uid, "/start"))
        await run(_message(uid, "/sign"))
        flow = await store.flows.get(uid)
        assert flow is not None
        await run(_press(uid, f"p:{flow.token}:intro:go"))
        await run(_message(uid, f"Signer {n}"))
        await run(_message(uid, "Kenya"))
        await run(_press(uid, f"p:{flow.token}:country:c:KE"))
        await run(_press(uid, f"p:{flow.token}:org:skip"))
        await run(_press(uid, f"p:{flow.token}:vis:v:public"))
        await run(_press(uid, f"p:{flow.token}:consent:ok"))
    assert await store.signatures.total() == users
    assert app.post_stop and app.post_shutdown
    await app.post_stop(app)
    await app.post_shutdown(app)
    await app.shutdown()
    return total / count, count


async def _signatures_per_second(count: int, folder: Path, *, durable: bool = True) -> float:
    store = await Store.open(folder / f"rate-{'full' if durable else 'normal'}.sqlite3")
    store.db.durable_commits = durable  # False: synchronous=NORMAL, as before issue 11
    for n in range(count):
        await store.users.touch(n + 1, "en")
    started = time.perf_counter()
    for n in range(count):
        await store.signatures.sign(
            NewSignature(
                user_id=n + 1,
                name=f"Signer {n}",
                country="KE",
                organisation=None,
                visibility=Visibility.PUBLIC,
                locale="en",
                petition_version="1/en",
                consent_version="c1",
                signed_day="2026-11-22",
                wants_updates=False,
            )
        )
    elapsed = time.perf_counter() - started
    await store.close()
    return count / elapsed


async def _count_time(signatures: int, folder: Path, calls: int = 2000) -> float:
    store = await Store.open(folder / f"count-{signatures}.sqlite3")
    await seed_signatures(store.db, 1, signatures, dt.date.today().isoformat())
    today = dt.date.today().isoformat()
    assert (await store.signatures.counts(today)).total == signatures
    started = time.perf_counter()
    for _ in range(calls):
        await store.signatures.counts(today)
    elapsed = (time.perf_counter() - started) / calls
    await store.close()
    return elapsed


async def run(quick: bool) -> list[Result]:
    """Run the signing benchmarks."""
    results = []
    with tempfile.TemporaryDirectory(prefix="jfa-bench-") as tmp:
        folder = Path(tmp)
        users = 50 if quick else 300
        ours, updates = await _signing_flow(users, folder)
        bare = await _bare_ptb(updates)
        ratio = ours / bare
        results.append(
            Result(
                "per-update cost, full signing flow (real Application, in-process network fake)",
                f"{ours * 1e3:.3f} ms CPU/update ({updates} updates)",
                f"bare PTB echo {bare * 1e3:.3f} ms CPU/update",
                f"{ratio:.2f}",
                "≤ 1.5",
                ratio <= 1.5,
                "not met. Where the time goes: the echo parses one update and sends one plain "
                "message; a signing update also resolves the user (memory after the first "
                "update), reads and writes the form (2 SQLite round trips, each a hop to "
                "aiosqlite's thread), renders translated HTML with an inline keyboard (PTB "
                "serializes it and parses the answer into a Message), and the final step runs "
                "the signing transaction (10 statements). What would close it: keep forms in "
                "memory with write-behind (1 write per step), a lean reply path like the "
                "broadcast sender's, or batching statements per transaction; the absolute "
                "figure (~0.5 ms CPU per update) is ~2,000 updates/s per core",
            )
        )
        count = 500 if quick else 5000
        normal = await _signatures_per_second(count, folder, durable=False)
        rate = await _signatures_per_second(count, folder)
        results.append(
            Result(
                "signatures completed per second, one core (store transaction, "
                "synchronous=FULL: on disk before the signer is told)",
                f"{rate:,.0f}/s",
                f"synchronous=NORMAL {normal:,.0f}/s",
                f"{rate / normal:.2f}",
                "≥ 1,000/s",
                rate >= 1000,
                "the ratio is what durability costs: one fsync of the write-ahead log per "
                "signature; it depends on the disk (tmpfs and battery-backed caches make it "
                "almost free, a plain SSD costs ~0.1-1 ms a signature)",
            )
        )
        small = await _count_time(1000, folder)
        big = await _count_time(100_000 if quick else 1_000_000, folder)
        results.append(
            Result(
                f"/count at {'100,000' if quick else '1,000,000'} signatures",
                f"{big * 1e3:.3f} ms",
                f"at 1,000 signatures {small * 1e3:.3f} ms",
                f"{big / small:.2f}",
                "constant, ≤ 0.2 ms",
                big <= 0.0002 and big / small < 2.0,  # same queries at any size: noise only
            )
        )
    return results


if __name__ == "__main__":
    for result in asyncio.run(run(quick=True)):
        print(result)
