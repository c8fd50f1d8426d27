"""The webhook's memory of update ids survives a restart, and a hard crash.

A captured update (from a proxy's log, say) replayed after the bot restarted must not be
handled again: "take my name off the list" needs no confirmation. Telegram's own
delivery of an update the bot never answered (its connection was cut by the crash, while
a later one got through) must still be taken. Through the real Application and webhook
server with a real SQLite file; the crash is a SIGKILL of `jfa-bot run --webhook`.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from jfa_bot.sandbox import BotApiServer, SimulatedUser
from jfa_bot.store.webhook_ids import as_ranges, from_ranges
from jfa_bot.webhook import SECRET_HEADER
from tests.conftest import WebhookBotRunner, spawn_bot
from tests.security.test_webhook import SECRET, post_update, start_update


def _welcomes(sandbox: BotApiServer, user: SimulatedUser) -> int:
    return sum(m.plain.startswith("Justice For All") for m in sandbox.messages_in(user.id))


async def test_an_update_replayed_after_a_restart_is_still_refused(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner
) -> None:
    victim = sandbox.user(5401, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, first):
        for update_id in (810_000, 810_001):
            assert await post_update(first, start_update(update_id, victim.id)) == 200
        await victim.wait(2)
    async with run_webhook_bot(deliver=False) as (_, server):
        # The attacker replays both captured updates: answered 200, handled never.
        assert await post_update(server, start_update(810_000, victim.id)) == 200
        assert await post_update(server, start_update(810_001, victim.id)) == 200
        # Telegram's next update is handled as usual.
        assert await post_update(server, start_update(810_002, victim.id)) == 200
        await victim.wait(1)
        await victim.quiet(0.5)
        assert server.replayed == 2
    assert _welcomes(sandbox, victim) == 3


async def test_an_update_telegram_could_not_deliver_before_the_stop_is_taken_after_it(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner
) -> None:
    # Telegram delivers over several connections: 820_001's was cut by the stop while
    # 820_002 got through. A floor alone ("refuse up to the newest id seen") would lose it.
    person = sandbox.user(5402, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, first):
        for update_id in (820_000, 820_002):
            assert await post_update(first, start_update(update_id, person.id)) == 200
        await person.wait(2)
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(820_001, person.id)) == 200
        await person.wait(1)
        assert await post_update(server, start_update(820_002, person.id)) == 200  # a replay
        await person.quiet(0.5)
        assert server.replayed == 1
    assert _welcomes(sandbox, person) == 3


async def test_the_floor_of_forgotten_ids_survives_a_restart(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jfa_bot.webhook.RECENT_UPDATES", 3)
    victim = sandbox.user(5403, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, first):
        for n in range(6):
            assert await post_update(first, start_update(830_000 + n, victim.id)) == 200
            await victim.wait(1)
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(830_000, victim.id)) == 200
        await victim.quiet(0.5)
        assert server.replayed == 1
    assert _welcomes(sandbox, victim) == 6


def test_update_ids_are_saved_as_short_ranges() -> None:
    assert as_ranges([9, 5, 6, 7, 12, 13]) == "5-7,9,12-13"
    assert from_ranges("5-7,9,12-13") == [5, 6, 7, 9, 12, 13]
    assert as_ranges(range(1_000, 11_000)) == "1000-10999"
    assert from_ranges("") == [] and as_ranges([]) == ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _start_process(
    sandbox: BotApiServer, db_path: Path, port: int
) -> asyncio.subprocess.Process:
    """Run `python -m jfa_bot run --webhook` as its own process, pointed at the stand-in."""
    return await spawn_bot(
        sandbox,
        db_path,
        "--webhook",
        JFA_WEBHOOK_URL="http://127.0.0.1:1/telegram",
        JFA_WEBHOOK_PORT=str(port),
        JFA_WEBHOOK_SECRET=SECRET,
    )


async def _post_to(port: int, update_id: int, user_id: int) -> int:
    """POST an update to the process's webhook, retrying while it is still starting."""
    async with asyncio.timeout(30):
        while True:
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(
                        f"http://127.0.0.1:{port}/telegram",
                        json=start_update(update_id, user_id),
                        headers={SECRET_HEADER: SECRET},
                    ) as response,
                ):
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)


def _saved_ids(db_path: Path) -> list[int]:
    """Read the saved ids the way an operator would, from a second connection."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT recent FROM webhook_ids").fetchone()
    return [] if row is None else from_ranges(str(row[0]))


async def test_a_replay_after_a_hard_crash_is_refused_and_a_lost_delivery_taken(
    sandbox: BotApiServer, tmp_path: Path
) -> None:
    db_path = tmp_path / "webhook.sqlite3"
    port = _free_port()
    victim = sandbox.user(5404, language_code="en")
    process = await _start_process(sandbox, db_path, port)
    try:
        for update_id in (840_000, 840_002):  # 840_001's connection is cut by the crash
            assert await _post_to(port, update_id, victim.id) == 200
        await victim.wait(2)
        # The memory is saved every few seconds, not per update: wait for that save.
        async with asyncio.timeout(30):
            while _saved_ids(db_path) != [840_000, 840_002]:
                await asyncio.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    process = await _start_process(sandbox, db_path, port)
    try:
        assert await _post_to(port, 840_002, victim.id) == 200  # a captured one, replayed
        assert await _post_to(port, 840_001, victim.id) == 200  # Telegram delivers it now
        await victim.wait(1)
        await victim.quiet(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert _welcomes(sandbox, victim) == 3
