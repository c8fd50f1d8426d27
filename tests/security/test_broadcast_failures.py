"""A broadcast that dies is said so, and an organizer's draft survives a failed start.

Another process holding the database's write lock past busy_timeout (5 s) makes the
broadcast's next write fail with "database is locked": the broadcast is marked paused
with the reason, logged at ERROR, the organizer told, and stopping the bot does not
raise the error again. A start that fails keeps the draft to send again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.broadcast.engine import BroadcastEngine
from jfa_bot.sandbox import BotApiServer
from jfa_bot.settings import Settings
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState
from tests.conftest import ADMIN_ID, settle, store_of

_PAST_BUSY_TIMEOUT = 6.0  # seconds the other process holds the lock (busy_timeout is 5 s)


def _lock(path: object) -> sqlite3.Connection:
    other = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_broadcast_killed_by_a_locked_database_is_marked_logged_and_reported(
    sandbox: BotApiServer,
    bot: JfaApplication,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = store_of(bot)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    for user_id in (8001, 8002, 8003):
        sandbox.user(user_id)
        await store.users.touch(user_id, "en")
        await store.subscriptions.subscribe(user_id, "en", "v")
    broadcast, recipients = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Locked out",
        variants={"en": "Hello"},
        default_locale="en",
        created_by=ADMIN_ID,
        report_chat_id=ADMIN_ID,
    )
    assert recipients == 3
    engine: BroadcastEngine = bot.bot_data["engine"]
    other = _lock(bot_settings.db_path)
    with caplog.at_level(logging.INFO):
        engine.start(broadcast.id)
        await asyncio.sleep(_PAST_BUSY_TIMEOUT)
        other.execute("ROLLBACK")
        other.close()
        with contextlib.suppress(sqlite3.OperationalError):
            await engine.wait(broadcast.id)
        await admin.wait()  # the organizer is told
    stopped = await store.broadcasts.get(broadcast.id)
    assert stopped is not None and stopped.state is BroadcastState.PAUSED
    assert stopped.error is not None and "database is locked" in stopped.error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"Broadcast {broadcast.id} stopped by an error" in r.getMessage() for r in errors)
    assert "Broadcast" in admin.last.plain and "OperationalError" in admin.last.plain
    # The `bot` fixture then stops the application: that must not raise the dead task's
    # error again (it did: the test errored in teardown).


async def test_a_broadcast_that_fails_in_its_fan_out_keeps_the_organizers_draft(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    for user_id in (8101, 8102):
        sandbox.user(user_id)
        await store.users.touch(user_id, "en")
        await store.subscriptions.subscribe(user_id, "en", "v")
    admin = sandbox.user(ADMIN_ID, first_name="Org", language_code="en")
    await admin.ask("/broadcast")
    await admin.tap("a:custom")
    [menu] = await admin.ask("Hello <b>everyone</b>")
    preview = menu.find_button(label="👀 Preview and check")
    assert preview is not None and preview.callback_data
    await admin.tap(preview.callback_data, n=2)  # the titled preview, the check
    draft = await store.flows.get(ADMIN_ID)
    assert draft is not None and draft.kind == "broadcast_draft"
    go = next(
        b.callback_data
        for m in reversed(admin.messages)
        for row in m.buttons
        for b in row
        if b.callback_data and b.callback_data.startswith("a:go:")
    )
    # A fault inside the fan-out, in the real database file: writing the outbox fails.
    await store.db.execute(
        "CREATE TRIGGER fan_out_fails BEFORE INSERT ON deliveries "
        "BEGIN SELECT RAISE(ABORT, 'simulated failure in the fan-out'); END"
    )
    await admin.press(go)
    await settle(sandbox, bot)
    assert await store.db.scalar("SELECT COUNT(*) FROM broadcasts") == 0
    assert await store.flows.get(ADMIN_ID) == draft  # nothing lost: press it again
    await store.db.execute("DROP TRIGGER fan_out_fails")
    await admin.press(go)
    await settle(sandbox, bot)
    assert await store.db.scalar("SELECT COUNT(*) FROM broadcasts") == 1
    assert await store.flows.get(ADMIN_ID) is None
