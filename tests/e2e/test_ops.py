"""An operator watches the bot: /healthz, /count.json and /metrics, alerts, blocked users."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from telegram import Update
from telegram.ext import CommandHandler, filters

from jfa_bot.app import OPS_KEY, OPS_SERVER_KEY, JfaApplication
from jfa_bot.context import BotContext
from jfa_bot.ops import OpsServer, OpsState
from jfa_bot.sandbox import BotApiServer
from jfa_bot.sandbox.state import UpdateType
from jfa_bot.settings import Settings
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState
from tests.conftest import ADMIN_ID, BotRunner, WebhookBotRunner, store_of
from tests.e2e.test_petition import sign

BOT_USER = {"id": 1, "is_bot": True, "first_name": "Bot"}


async def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET a path of the bot's server on loopback: status, headers, body."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def until(predicate: Any, seconds: float = 10.0) -> bool:
    """Wait until an async predicate holds (event-free polling with a deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def check_the_three_endpoints(port: int, sandbox: BotApiServer) -> None:
    """Two people sign; the operator reads health, the public count and the metrics."""
    await sign(
        sandbox.user(4101, language_code="en"),
        name="Amina Yusuf",
        country_query="Kenya",
        country="KE",
        organisation="Kituo",
    )
    await sign(
        sandbox.user(4102, language_code="en"), name="Juma", country_query="Kenya", country="KE"
    )

    status, headers, body = await get(port, "/healthz")
    health = json.loads(body)
    assert status == 200, health
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["last_update"] is not None
    assert headers["Cache-Control"] == "no-store"

    status, headers, body = await get(port, "/count.json")
    assert status == 200
    count = json.loads(body)
    assert count["total"] == 2 and count["today"] == 2
    # Two signers are too few to name their country publicly (JFA_PUBLIC_COUNTRY_MIN).
    assert count["countries"] == {} and count["other_countries"] == 2
    assert count["updated_at"].endswith("Z")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in headers["Cache-Control"]
    assert b"Amina" not in body and b"Kituo" not in body and b"4101" not in body

    status, headers, body = await get(port, "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    handled = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("jfa_updates_handled_total ")
    )
    assert handled >= 10  # two whole signing forms
    assert "jfa_update_handling_seconds_bucket{" in text
    assert 'jfa_sends_total{outcome="sent",path="reply"}' in text
    assert "jfa_telegram_429_total 0.0" in text
    assert 'jfa_queue_depth{queue="updates"}' in text
    assert 'jfa_database_bytes{file="db"}' in text
    assert "Amina" not in text


async def test_operator_reads_health_count_and_metrics_in_polling_mode(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(http_port=0) as app:
        server: OpsServer = app.bot_data[OPS_SERVER_KEY]
        assert server.port != 0
        await check_the_three_endpoints(server.port, sandbox)


async def test_operator_reads_health_count_and_metrics_in_webhook_mode(
    sandbox: BotApiServer, run_webhook_bot: WebhookBotRunner
) -> None:
    # A private port for the operations paths besides the public webhook port.
    async with run_webhook_bot(http_port=0) as (app, server):
        await check_the_three_endpoints(server.port, sandbox)
        private: OpsServer = app.bot_data[OPS_SERVER_KEY]
        status, _, body = await get(private.port, "/count.json")
        assert status == 200 and json.loads(body)["total"] == 2


async def test_health_fails_when_a_running_broadcast_has_no_task(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    ops: OpsState = bot.bot_data[OPS_KEY]
    await ops.refresh()
    assert ops.health()[0] == 200
    # A broadcast marked running that no task sends: what a dead broadcast task leaves.
    await store_of(bot).broadcasts.create(
        kind=BroadcastKind.CUSTOM, label="x", variants={"en": "hi"}, default_locale="en"
    )
    await ops.refresh()
    status, body = ops.health()
    assert status == 503 and "broadcast task stopped" in body["status"]


async def test_count_feed_is_served_from_a_cache(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    ops: OpsState = bot.bot_data[OPS_KEY]
    first = await ops.count_json()
    await sign(
        sandbox.user(4201, language_code="en"), name="Ana", country_query="Kenya", country="KE"
    )
    # Within the cache's lifetime every caller gets the same bytes, without a query.
    assert await ops.count_json() is first
    ops._count = None  # the cache expires
    assert json.loads(await ops.count_json())["total"] == 1


async def test_a_user_who_blocks_the_bot_is_unsubscribed_at_once(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(4301, language_code="en")
    await user.ask("/subscribe")
    store = store_of(bot)
    assert await store.subscriptions.is_subscribed(4301)

    def member_update(chat: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "chat": chat,
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": {
                "status": "member",
                "user": {"id": 1, "is_bot": True, "first_name": "Bot"},
            },
            "new_chat_member": {
                "status": status,
                "user": {"id": 1, "is_bot": True, "first_name": "Bot"},
                **({"until_date": 0} if status == "kicked" else {}),
            },
        }

    # Removed from a group: says nothing about the person's own choice.
    group = {"id": -100777, "type": "supergroup", "title": "Friends"}
    await sandbox.inject(UpdateType.MY_CHAT_MEMBER, member_update(group, "left"))
    private = {"id": 4301, "type": "private", "first_name": user.first_name}
    await sandbox.inject(UpdateType.MY_CHAT_MEMBER, member_update(private, "kicked"))

    async def blocked() -> bool:
        record = await store.users.get(4301)
        return record is not None and record.blocked_at is not None

    assert await until(blocked)
    assert not await store.subscriptions.is_subscribed(4301)
    consents = await store.db.fetchall(
        "SELECT given, version FROM consents WHERE user_id = 4301 AND kind = 'updates' "
        "ORDER BY rowid"
    )
    assert [tuple(row) for row in consents][-1] == (0, "blocked-the-bot")


async def test_organizers_hear_of_an_error_once_without_personal_data(
    sandbox: BotApiServer, bot_settings: Settings, run_bot: BotRunner
) -> None:
    async def crash(update: Update, context: BotContext) -> None:
        raise RuntimeError(f"bad input from {update.effective_message.text}")  # type: ignore[union-attr]

    def add_crash(app: JfaApplication) -> None:
        app.add_handler(CommandHandler("crash", crash, filters.ChatType.PRIVATE), group=-2)

    admin = sandbox.user(ADMIN_ID, language_code="en")
    async with run_bot(prepare=add_crash):
        user = sandbox.user(4401, language_code="en")
        await user.ask("/crash Amina Yusuf")
        [alert] = await admin.wait()
        assert "RuntimeError" in alert.plain and "test_ops.py" in alert.plain
        assert "Amina" not in alert.plain and "4401" not in alert.plain
        assert bot_settings.token() not in alert.plain
        await user.ask("/crash again")  # the same error soon after: not reported again
        await admin.quiet(0.5)
        assert len([m for m in admin.messages if "RuntimeError" in m.plain]) == 1


async def test_menus_are_published_past_a_failed_call(
    sandbox: BotApiServer, run_bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.faults.fail_methods = frozenset({"setMyCommands"})
    sandbox.faults.fail_next_5xx = 1  # the very first menu is refused
    async with run_bot():
        pass
    assert "Could not publish commands (default)" in caplog.text
    # Every description and the other menus were still published.
    assert set(sandbox.store.descriptions) >= {"", "en", "fr", "ar"}
    assert len(sandbox.store.commands) >= 7


async def test_start_up_survives_a_network_blip(sandbox: BotApiServer, run_bot: BotRunner) -> None:
    sandbox.faults.fail_methods = frozenset({"getMe"})
    sandbox.faults.fail_next_5xx = 2
    async with run_bot() as app:
        assert sandbox.faults.fail_next_5xx == 0
        [welcome] = await sandbox.user(4501, language_code="en").ask("/start")
        assert welcome.plain.startswith("Justice For All")
        assert app.running


async def test_the_container_health_check_asks_the_running_bot(
    sandbox: BotApiServer,
    run_bot: BotRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jfa_bot.cli import main

    async with run_bot(http_port=0) as app:
        port = app.bot_data[OPS_SERVER_KEY].port
        monkeypatch.setenv("JFA_HTTP_PORT", str(port))
        assert await asyncio.to_thread(main, ["health"]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "ok"
    # The bot has stopped: nothing answers on that port any more.
    assert await asyncio.to_thread(main, ["health"]) == 1
    assert "unhealthy: the bot does not answer" in capsys.readouterr().err


class _BuggySender:
    """A sender with a bug (not a Telegram error): what kills a broadcast task."""

    async def send(self, chat_id: int, text: str, *, paid: bool) -> None:
        raise ZeroDivisionError(f"bug while sending to {chat_id}")


async def test_organizers_hear_when_a_broadcast_task_dies(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    from jfa_bot.broadcast.engine import BroadcastEngine

    admin = sandbox.user(ADMIN_ID, language_code="en")
    store = store_of(bot)
    sandbox.user(4601, language_code="en")
    await store.users.touch(4601, "en")
    await store.subscriptions.subscribe(4601, "en", "test")
    engine: BroadcastEngine = bot.bot_data["engine"]
    engine.sender = _BuggySender()
    broadcast, recipients = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM, label="x", variants={"en": "hi"}, default_locale="en"
    )
    assert recipients == 1
    engine.start(broadcast.id)
    [alert] = await admin.wait()
    assert alert.plain.startswith(f"⚠️ Broadcast {broadcast.id} stopped because of an error")
    assert "ZeroDivisionError" in alert.plain and "4601" not in alert.plain
    stopped = await store.broadcasts.get(broadcast.id)
    assert stopped is not None and stopped.state is BroadcastState.PAUSED


async def test_metrics_count_broadcast_sends_by_outcome_and_429s(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    from jfa_bot.broadcast.engine import BroadcastEngine

    store = store_of(bot)
    for user_id in (4701, 4702, 4703):
        sandbox.user(user_id, language_code="en")
        await store.users.touch(user_id, "en")
        await store.subscriptions.subscribe(user_id, "en", "test")
    sandbox.faults.blocked = {4703}
    sandbox.faults.fail_next_429 = 1  # Telegram's flood control, once
    engine: BroadcastEngine = bot.bot_data["engine"]
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM, label="x", variants={"en": "hi"}, default_locale="en"
    )
    engine.start(broadcast.id)
    await engine.wait(broadcast.id)
    text = bot.bot_data[OPS_KEY].metrics().decode()
    assert 'jfa_sends_total{outcome="sent",path="broadcast"} 2.0' in text
    assert 'jfa_sends_total{outcome="blocked",path="broadcast"} 1.0' in text
    assert "jfa_telegram_429_total 1.0" in text
