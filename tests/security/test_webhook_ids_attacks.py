"""The webhook's saved replay memory against someone who holds the secret or the disk.

Whoever has the webhook secret can post any update id. An id Telegram never sends (below
zero, past SQLite's 64-bit integers) must not be saved in a form the next start cannot
read, and one far above Telegram's must not become the floor that refuses every real
update, for good now that the floor is saved. A damaged saved row must not keep the bot
from starting. Through the real Application and webhook server with a real SQLite file.
"""

from __future__ import annotations

import sqlite3

import pytest

from jfa_bot.sandbox import BotApiServer, SimulatedUser
from jfa_bot.settings import Settings
from tests.conftest import WebhookBotRunner
from tests.security.test_webhook import post_update, start_update


def _welcomes(sandbox: BotApiServer, user: SimulatedUser) -> int:
    return sum(m.plain.startswith("Justice For All") for m in sandbox.messages_in(user.id))


@pytest.mark.parametrize("bad_id", [-5, 2**63])
async def test_an_update_id_telegram_never_sends_is_refused_and_the_bot_still_restarts(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner, bad_id: int
) -> None:
    person = sandbox.user(5501, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(bad_id, person.id)) == 400
        assert await post_update(server, start_update(850_000, person.id)) == 200
        await person.wait(1)
    async with run_webhook_bot(deliver=False) as (_, server):  # the saved memory loads
        assert await post_update(server, start_update(850_001, person.id)) == 200
        await person.wait(1)
        assert await post_update(server, start_update(850_000, person.id)) == 200  # replay
        await person.quiet(0.5)
        assert server.replayed == 1
    assert _welcomes(sandbox, person) == 2


async def test_one_forged_high_id_cannot_raise_the_floor_above_telegrams_ids(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The floor is the newest id forgotten: were ids forgotten in arrival order, a forged
    # 2**62 would become it after a few more updates, and every real update after it would
    # be dropped as a replay, across restarts, with no error anywhere.
    monkeypatch.setattr("jfa_bot.webhook.RECENT_UPDATES", 3)
    person = sandbox.user(5502, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(2**62, person.id)) == 200
        await person.wait(1)
        for n in range(4):
            assert await post_update(server, start_update(860_000 + n, person.id)) == 200
            await person.wait(1)
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(860_004, person.id)) == 200
        await person.wait(1)
        assert server.replayed == 0
    assert _welcomes(sandbox, person) == 6


# A range of a trillion ids would take all the memory to expand: refused unread.
@pytest.mark.parametrize("stored", ["5-x", "-3", "1-999999999999"])
async def test_a_damaged_saved_memory_does_not_keep_the_bot_from_starting(
    sandbox: BotApiServer,
    run_webhook_bot: WebhookBotRunner,
    bot_settings: Settings,
    stored: str,
) -> None:
    person = sandbox.user(5503, language_code="en")
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(870_000, person.id)) == 200
        await person.wait(1)
    with sqlite3.connect(bot_settings.db_path) as db:
        db.execute("UPDATE webhook_ids SET recent = ?", (stored,))
    async with run_webhook_bot(deliver=False) as (_, server):
        assert await post_update(server, start_update(870_001, person.id)) == 200
        await person.wait(1)
    assert _welcomes(sandbox, person) == 2
