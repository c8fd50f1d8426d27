"""Subscribers stop the posts with one tap; organizers see true progress and trust the schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections import Counter

from jfa_bot.app import JfaApplication
from jfa_bot.context import BotContext
from jfa_bot.handlers.admin import start_broadcast
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import parse
from jfa_bot.sandbox import BotApiServer
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState, DeliveryState
from tests.conftest import ADMIN_ID, data_of, store_of
from tests.e2e.conftest import BotRunner
from tests.e2e.test_broadcast import (
    add_subscribers,
    compose,
    engine_of,
    newest_broadcast,
    wait_finished,
)


async def test_a_subscriber_stops_the_posts_from_a_post_and_undoes_it(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    await add_subscribers(sandbox, store, 11_000, 4)  # en, fr, sw, ar
    broadcast_id, _ = await start_broadcast(
        BotContext(bot),
        kind=BroadcastKind.CUSTOM,
        label="News",
        variants={"en": "News of the week"},
        created_by=ADMIN_ID,
        report_chat_id=None,
    )
    await wait_finished(bot, broadcast_id)
    for user_id, locale in ((11_000, "en"), (11_001, "fr"), (11_003, "ar")):
        [post] = sandbox.messages_in(user_id)
        label = Translator.for_locale(locale).gettext("🔕 Stop these posts")
        data = data_of(post, label)  # in the subscriber's language; the data is not
        assert data == "w:stop" and len(data.encode()) <= 64 and parse(data) is not None

    reader = sandbox.user(11_001)
    fr = Translator.for_locale("fr")
    [post] = sandbox.messages_in(11_001)
    answer = await reader.press(data_of(post, fr.gettext("🔕 Stop these posts")))
    assert answer.text == fr.gettext("Stopped.")
    [confirmation] = await reader.wait()
    assert confirmation.plain == fr.gettext(
        "Done: you will no longer receive these posts. Changed your mind? Undo it below, "
        "or send /subscribe at any time."
    )
    assert not await store.subscriptions.is_subscribed(11_001)
    again = await reader.press(data_of(post, fr.gettext("🔕 Stop these posts")))
    assert again.text == fr.gettext("You do not receive these posts any more.")

    await reader.press(data_of(confirmation, fr.gettext("↩️ Undo: keep receiving them")))
    [undone] = await reader.wait()
    assert undone.message_id == confirmation.message_id  # edited in place
    assert undone.plain == fr.gettext(
        "🔔 You will receive these posts again. /unsubscribe stops them."
    )
    assert "🏠" in undone.button_labels()[0]
    assert await store.subscriptions.is_subscribed(11_001)
    consents = (await store.personal_data.export(11_001))["consents"]
    assert [(c["kind"], c["given"]) for c in consents][-2:] == [
        ("updates", False),
        ("updates", True),
    ]


async def test_pause_holds_sends_within_one_batch(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    in_flight = 30  # a batch takes three seconds at 10/s: pausing must not wait for its end
    async with run_bot(broadcast_rate=10, broadcast_in_flight=in_flight) as app:
        store = store_of(app)
        await add_subscribers(sandbox, store, 51_000, 60)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await compose(admin, {"en": "Hello all"})
        await admin.press(data_of(admin.last, "✅ Send; 45 get the English post"))
        broadcast = await newest_broadcast(store)
        await sandbox.wait_until(lambda: received(sandbox, 51_000) >= 5, 20)
        answer = await admin.press(f"a:pause:{broadcast.id}")
        assert answer.text == "Done."
        at_pause = received(sandbox, 51_000)
        async with asyncio.timeout(20):
            while engine_of(app).is_running(broadcast.id):
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # a second and a half at 10/s: 15 sends if it went on
        after = received(sandbox, 51_000)
        # Only sends already handed to Telegram finish; the rest of the batch waits.
        assert after - at_pause <= 5 < in_flight
        progress = await store.broadcasts.progress(broadcast.id)
        assert progress.count(DeliveryState.SENT) == after
        assert progress.count(DeliveryState.PENDING) == 60 - after
        await admin.quiet(0.5)
        report = next(m for m in reversed(admin.messages) if m.plain.startswith("📣"))
        assert "paused" in report.plain and f"Sent: {after} " in report.plain
        await engine_of(app).cancel(broadcast.id)


def received(sandbox: BotApiServer, first: int, count: int = 60) -> int:
    return sum(1 for m in sandbox.sent if first <= m.chat_id < first + count)


async def test_cancel_counts_the_unsent_apart_from_the_undelivered(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(broadcast_rate=10, broadcast_in_flight=5) as app:
        store = store_of(app)
        await add_subscribers(sandbox, store, 52_000, 60)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await compose(admin, {"en": "Hello all"})
        await admin.press(data_of(admin.last, "✅ Send; 45 get the English post"))
        broadcast = await newest_broadcast(store)
        await sandbox.wait_until(lambda: received(sandbox, 52_000) >= 10, 20)
        assert (await admin.press(f"a:cancel:{broadcast.id}")).text == "Done."
        await wait_finished(app, broadcast.id)
        await admin.quiet(0.5)
        progress = await store.broadcasts.progress(broadcast.id)
        sent = progress.count(DeliveryState.SENT)
        unsent = progress.count(DeliveryState.PENDING)
        assert sent == received(sandbox, 52_000) and sent + unsent == 60 and unsent > 0
        final = await store.broadcasts.get(broadcast.id)
        assert final is not None and final.state is BroadcastState.CANCELLED
    report = next(m for m in reversed(admin.messages) if m.plain.startswith("📣"))
    assert "cancelled" in report.plain
    assert f"Sent: {sent} " in report.plain and f"Not sent: {unsent}" in report.plain
    assert "100%" not in report.plain and "Remaining" not in report.plain
    by_language = [line for line in report.plain.splitlines() if line.startswith("English:")]
    assert by_language and "0 not delivered" in by_language[0] and "not sent" in by_language[0]


async def test_commands_for_another_bot_get_no_answer_in_a_group(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    group = sandbox.group(-100600, title="Two bots here")
    member = sandbox.user(120, language_code="en")
    await member.send("/start@OtherBot", chat=group)
    await member.send("/help@OtherBot", chat=group)
    await member.send("/start@jfa_test_bot", chat=group)  # this one is ours
    await sandbox.wait_until(lambda: bool(sandbox.messages_in(-100600)), 10)
    await member.quiet(0.5)
    assert len(sandbox.messages_in(-100600)) == 1
    # Addressed to no bot: ours to answer (in another group: one invitation per group
    # every GROUP_POINTER_EVERY seconds).
    other = sandbox.group(-100601, title="Another group")
    await member.send("/help", chat=other)
    assert await sandbox.wait_until(lambda: len(sandbox.messages_in(-100601)) == 1, 10)


async def test_a_weekly_post_missed_while_down_is_sent_once_after_restart(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot() as app:  # no schedule yet: people subscribe
        await add_subscribers(sandbox, store_of(app), 61_000, 3)
    slot = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).replace(microsecond=0)
    while dt.datetime.now(dt.UTC) <= slot:  # the bot is down when the post is due
        await asyncio.sleep(0.1)
    schedule = {
        "broadcast_weekday": slot.isoweekday(),
        "broadcast_time": slot.time(),
        "timezone": "UTC",
        "campaign_start": slot.date() - dt.timedelta(weeks=8),  # week 9: it has a post
    }
    admin = sandbox.user(ADMIN_ID, language_code="en")
    async with run_bot(**schedule) as app:
        store = store_of(app)
        async with asyncio.timeout(15):
            while not await store.broadcasts.latest(1):
                await asyncio.sleep(0.1)
        [broadcast] = await store.broadcasts.latest(1)
        assert broadcast.kind is BroadcastKind.SPOTLIGHT
        await wait_finished(app, broadcast.id)
        await admin.quiet(0.5)
    notices = [m.plain for m in admin.messages if "started automatically" in m.plain]
    assert len(notices) == 1 and "while the bot was not running" in notices[0]
    async with run_bot(**schedule) as app:  # a second restart sends nothing more
        await asyncio.sleep(2.5)
        assert len(await store_of(app).broadcasts.latest(5)) == 1
    received_posts = Counter(m.chat_id for m in sandbox.sent if 61_000 <= m.chat_id < 61_003)
    assert received_posts == {61_000: 1, 61_001: 1, 61_002: 1}


async def test_an_organizer_tries_their_tools_with_try_organizer() -> None:
    async def chat(*flags: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JFA_")}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "jfa_bot",
            "try",
            *flags,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        out, _err = await asyncio.wait_for(process.communicate(b"/broadcasts\n:quit\n"), 60)
        assert process.returncode == 0
        return out.decode()

    assert "No broadcasts yet. /broadcast starts one." in await chat("--organizer")
    assert "Sorry, I did not understand that." in await chat()


async def test_the_broadcast_picker_names_each_week_once(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    [menu] = await admin.ask("/broadcast")
    weeks = [label for label in menu.button_labels() if label.startswith("Week ")]
    assert weeks, menu.button_labels()
    for label in weeks:
        number = label.split(":")[0]  # "Week 9"
        assert label.count(number) == 1, label
