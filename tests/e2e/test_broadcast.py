"""Organizers broadcast the weekly spotlight through the stand-in with flood control on."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from jfa_bot.app import JfaApplication
from jfa_bot.broadcast.engine import BroadcastEngine
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, SimulatedUser
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState, DeliveryState
from tests.conftest import ADMIN_ID, press, store_of
from tests.e2e.conftest import BotRunner

EN = Translator.for_locale("en")
LOCALES = ("en", "fr", "sw", "ar")


def engine_of(app: JfaApplication) -> BroadcastEngine:
    engine: BroadcastEngine = app.bot_data["engine"]
    return engine


async def add_subscribers(
    sandbox: BotApiServer, store: Store, first: int, count: int
) -> dict[int, str]:
    """Subscribe `count` users (with chats in the stand-in) in rotating locales."""
    locales = {}
    for offset in range(count):
        user_id = first + offset
        locale = LOCALES[offset % len(LOCALES)]
        sandbox.user(user_id, language_code=locale)
        await store.users.touch(user_id, locale)
        await store.subscriptions.subscribe(user_id, locale, "test")
        locales[user_id] = locale
    return locales


async def compose(admin: SimulatedUser, variants: dict[str, str]) -> None:
    """Write a custom broadcast through the organizer's buttons, up to the check."""
    await admin.ask("/broadcast")
    await press(admin, "✏️ Write a custom message")
    await admin.ask(variants["en"], n=1)
    for locale, text in variants.items():
        if locale == "en":
            continue
        from jfa_bot.i18n import LANGUAGE_NAMES

        await press(admin, f"Add {LANGUAGE_NAMES[locale]}")
        await admin.ask(text)
    await admin.tap(
        next(
            b.callback_data
            for m in reversed(admin.messages)
            for row in m.buttons
            for b in row
            if b.text == "👀 Preview and check"
        ),
        n=len(variants) + 1,  # each preview is one message: its header and the post
    )


async def newest_broadcast(store: Store, timeout: float = 10):
    """Wait for the broadcast the organizer just confirmed to exist."""
    async with asyncio.timeout(timeout):
        while not (found := await store.broadcasts.latest(1)):
            await asyncio.sleep(0.05)
    return found[0]


async def wait_finished(app: JfaApplication, broadcast_id: int, timeout: float = 120) -> None:
    async with asyncio.timeout(timeout):
        while True:
            broadcast = await store_of(app).broadcasts.get(broadcast_id)
            assert broadcast is not None
            ongoing = broadcast.state in {BroadcastState.RUNNING, BroadcastState.PAUSED}
            if not ongoing and not engine_of(app).is_running(broadcast_id):
                return
            await asyncio.sleep(0.1)


async def test_organizer_broadcasts_to_500_subscribers_each_in_their_language(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    variants = {
        "en": "<b>Week 9</b>: citizen engagement",
        "fr": "<b>Semaine 9</b> : engagement citoyen",
        "sw": "<b>Wiki ya 9</b>: ushiriki wa wananchi",
    }
    # The default rate, and one message per chat per second as Telegram enforces it: the
    # pacer counts arrivals, so replies and the broadcast together stay under 30/s.
    async with run_bot(chat_burst=1) as app:
        store = store_of(app)
        locales = await add_subscribers(sandbox, store, 10_000, 500)
        blocked = {10_003, 10_250}
        admin = sandbox.user(ADMIN_ID, first_name="Org", language_code="en")
        await compose(admin, variants)
        check = admin.last
        assert "Translation check" in check.plain
        assert "العربية: 125 — no translation, they would get the English post" in check.plain
        go = check.find_button(label="✅ Send; 125 get the English post")
        assert go is not None and go.callback_data

        sandbox.faults.flood_limit = 30
        sandbox.faults.per_chat_limit = True
        sandbox.faults.blocked = blocked
        sandbox.reset_stats()
        await admin.press(go.callback_data)
        broadcast = await newest_broadcast(store)

        # A supporter talks to the bot in the middle of the broadcast and is answered.
        await asyncio.sleep(3)
        visitor = sandbox.user(77, language_code="en")
        [welcome] = await visitor.ask("/start")
        remaining = (await store.broadcasts.progress(broadcast.id)).remaining
        assert welcome.plain.startswith("Justice For All")
        assert remaining > 100, "the reply came only after most of the broadcast"

        await wait_finished(app, broadcast.id)
        progress = await store.broadcasts.progress(broadcast.id)
        for user_id in blocked:
            assert not await store.subscriptions.is_subscribed(user_id)
        await admin.quiet(0.5)

    received = Counter(m.chat_id for m in sandbox.sent if m.chat_id in locales)
    assert set(received) == set(locales) - blocked
    assert set(received.values()) == {1}
    for user_id, locale in locales.items():
        if user_id in blocked:
            continue
        [message] = sandbox.messages_in(user_id)
        assert message.text == variants.get(locale, variants["en"])
    assert sandbox.stats.rate_limited == 0
    assert sandbox.stats.max_sends_per_second() <= 30
    assert progress.count(DeliveryState.SENT) == 498
    assert progress.count(DeliveryState.BLOCKED) == 2
    final = admin.messages[-1] if admin.messages[-1].edited else admin.messages[-2]
    assert "finished" in final.plain and "Sent: 498" in final.plain


async def test_injected_429_5xx_and_timeouts_are_honoured_and_retried(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(broadcast_max_attempts=5) as app:
        store = store_of(app)
        locales = await add_subscribers(sandbox, store, 20_000, 40)
        sandbox.faults.fail_next_429 = 1
        sandbox.faults.retry_after = 2
        sandbox.faults.fail_next_5xx = 3
        from jfa_bot.context import BotContext
        from jfa_bot.handlers.admin import start_broadcast

        context = BotContext(app)
        broadcast_id, recipients = await start_broadcast(
            context,
            kind=BroadcastKind.CUSTOM,
            label="Faults",
            variants={"en": "Hello"},
            created_by=ADMIN_ID,
            report_chat_id=None,
        )
        assert recipients == 40
        await asyncio.sleep(0.5)
        sandbox.faults.timeout_next = 1
        sandbox.faults.hang_seconds = 20  # past PTB's 15 s read timeout: TimedOut
        await wait_finished(app, broadcast_id, timeout=90)
        progress = await store.broadcasts.progress(broadcast_id)
    received = Counter(m.chat_id for m in sandbox.sent if m.chat_id in locales)
    assert progress.count(DeliveryState.SENT) == 40
    assert len(received) == 40
    assert sandbox.stats.rate_limited == 1 and sandbox.stats.server_errors == 3
    # a timed-out send may still arrive (Telegram may have handled it): at most one extra
    assert sum(received.values()) <= 41


async def test_a_refused_message_aborts_after_the_first_failure_and_alerts(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    await add_subscribers(sandbox, store, 30_000, 60)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.ask("/start")
    broadcast, _ = await store.broadcasts.create(
        kind=BroadcastKind.CUSTOM,
        label="Broken",
        variants={"en": "<b>unclosed"},  # written straight to the store: no preview check
        default_locale="en",
        paid=False,
        created_by=ADMIN_ID,
        report_chat_id=ADMIN_ID,
    )
    engine_of(bot).start(broadcast.id)
    await wait_finished(bot, broadcast.id)
    await admin.quiet(0.5)
    final = await store.broadcasts.get(broadcast.id)
    assert final is not None and final.state is BroadcastState.ABORTED
    progress = await store.broadcasts.progress(broadcast.id)
    assert progress.count(DeliveryState.FAILED) == 1
    assert progress.count(DeliveryState.SENT) == 0
    assert progress.count(DeliveryState.PENDING) == 59
    texts = [m.plain for m in admin.messages]
    assert any("stopped: the message was refused" in t for t in texts)
    assert any(t.startswith("⚠️ The broadcast was stopped after the first refusal") for t in texts)


async def test_the_preview_catches_bad_html_before_anything_is_sent(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await add_subscribers(sandbox, store_of(bot), 40_000, 5)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.ask("/broadcast")
    await press(admin, "✏️ Write a custom message")
    # Telegram's own formatting arrives as entities; literal tags arrive escaped, so an
    # organizer cannot paste broken HTML. A too-long message is the mistake to catch.
    [refused] = await admin.ask("x" * 4200)
    assert refused.plain.startswith("Telegram would refuse this: 4200 characters")
    assert await store_of(bot).broadcasts.latest(1) == []


async def test_pause_resume_and_cancel_from_the_progress_message(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(broadcast_rate=10, broadcast_in_flight=5) as app:
        store = store_of(app)
        await add_subscribers(sandbox, store, 50_000, 80)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await compose(admin, {"en": "Hello all"})
        go = admin.last.find_button(label="✅ Send; 60 get the English post")
        assert go is not None, [m.plain for m in admin.messages]
        await admin.press(go.callback_data)
        broadcast = await newest_broadcast(store)
        await asyncio.sleep(1.5)
        answer = await admin.press(f"a:pause:{broadcast.id}")
        assert answer.text == "Done."
        await asyncio.sleep(1.5)
        paused = await store.broadcasts.progress(broadcast.id)
        assert (await store.broadcasts.get(broadcast.id)).state is BroadcastState.PAUSED  # type: ignore[union-attr]
        assert 0 < paused.remaining < 80
        await asyncio.sleep(1)
        assert (await store.broadcasts.progress(broadcast.id)).remaining == paused.remaining
        assert (await admin.press(f"a:resume:{broadcast.id}")).text == "Done."
        await asyncio.sleep(1)
        assert (await admin.press(f"a:cancel:{broadcast.id}")).text == "Done."
        await wait_finished(app, broadcast.id)
        final = await store.broadcasts.progress(broadcast.id)
        assert (await store.broadcasts.get(broadcast.id)).state is BroadcastState.CANCELLED  # type: ignore[union-attr]
        assert final.remaining > 0
        actions = [entry.action for entry in await store.audit.latest()]
        assert actions[:4] == [
            "broadcast_cancel",
            "broadcast_resume",
            "broadcast_pause",
            "broadcast_start",
        ]
    received = Counter(m.chat_id for m in sandbox.sent if 50_000 <= m.chat_id < 50_080)
    assert set(received.values()) == {1}


async def test_organizer_buttons_are_refused_to_everyone_else(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    intruder = sandbox.user(31337, language_code="en")
    [welcome] = await intruder.ask("/start")
    [reply] = await intruder.ask("/broadcast")
    assert reply.plain.startswith("Sorry, I did not understand that.")
    [reply] = await intruder.ask("/broadcasts")
    assert reply.plain.startswith("Sorry, I did not understand that.")
    for data in ("a:custom", "a:wk:9", "a:pause:1", "a:cancel:1", "a:retry:1", "a:go:abc"):
        answer = await intruder.press_raw(data, message_id=welcome.message_id)
        assert answer.text == EN.gettext("This button has expired. Please use /start.")
    assert await store_of(bot).broadcasts.latest(1) == []
    assert await store_of(bot).flows.get(31337) is None


async def test_the_weekly_schedule_fires_at_the_configured_time(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    zone = dt.UTC
    soon = dt.datetime.now(zone) + dt.timedelta(seconds=3)
    async with run_bot(
        broadcast_weekday=soon.isoweekday(),
        broadcast_time=soon.time().replace(microsecond=0),
        timezone="UTC",
        campaign_start=soon.date() - dt.timedelta(weeks=8),  # this is week 9: it has a post
    ) as app:
        store = store_of(app)
        await add_subscribers(sandbox, store, 60_000, 4)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        async with asyncio.timeout(15):
            while not await store.broadcasts.latest(1):
                await asyncio.sleep(0.2)
        [broadcast] = await store.broadcasts.latest(1)
        assert broadcast.kind is BroadcastKind.SPOTLIGHT and broadcast.created_by is None
        await wait_finished(app, broadcast.id)
        await admin.quiet(0.5)
    assert any("started automatically for 4 subscribers" in m.plain for m in admin.messages)
    for user_id in range(60_000, 60_004):
        [post] = sandbox.messages_in(user_id)
        assert "https://t.me/jfa_test_bot?start=s_week9" in post.plain


async def test_a_supporter_subscribes_catches_up_and_unsubscribes(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    fr = Translator.for_locale("fr")
    user = sandbox.user(70_001, language_code="fr")
    [spotlight] = await user.ask("/spotlight")
    assert "https://t.me/jfa_test_bot?start=s_week" in spotlight.plain
    [done] = await user.ask("/subscribe")
    assert done.plain.startswith(
        fr.gettext("🔔 Done: you will receive the weekly spotlight. /unsubscribe stops it.")
    )
    # The weeks already published, as buttons: the sample has Week 9 only, in French.
    labels = [b.text for row in done.buttons for b in row]
    assert labels == ["Semaine 9\u00a0: l\u2019engagement citoyen"]
    [week] = await user.tap(done.buttons[0][0].callback_data)
    assert "s_week9" in week.plain
    assert "Micro Justicia" in week.plain and "Florence Project" in week.plain
    store = store_of(bot)
    assert await store.subscriptions.is_subscribed(70_001)
    [stopped] = await user.ask("/stop")
    assert stopped.plain == fr.gettext(
        "Done: you will no longer receive the weekly spotlight. /subscribe restarts it."
    )
    consents = (await store.personal_data.export(70_001))["consents"]
    assert [(c["kind"], c["given"]) for c in consents] == [("updates", True), ("updates", False)]


async def test_with_no_subscribers_the_check_offers_no_send_button(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await compose(admin, {"en": "Week 9: citizen engagement"})
    check = admin.messages[-1]
    assert "Nobody is subscribed yet" in check.plain
    assert [b.text for row in check.buttons for b in row] == ["✖ Discard"]
    await press(admin, "✖ Discard")
    assert await store_of(bot).broadcasts.latest(1) == []
