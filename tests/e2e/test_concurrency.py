"""Many people at once: updates run concurrently, each chat's in order; a flooder is isolated."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from jfa_bot.app import PROCESSOR_KEY, JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.processing import OrderedUpdateProcessor
from jfa_bot.sandbox import BotApiServer, SimulatedUser
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState
from tests.conftest import data_of, press, settle, store_of
from tests.e2e.conftest import BotRunner
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
SLOW_DOWN = (
    "You are sending messages faster than I can read them. Please slow down: "
    "I will answer again in a few seconds."
)


def processor_of(app: JfaApplication) -> OrderedUpdateProcessor:
    processor: OrderedUpdateProcessor = app.bot_data[PROCESSOR_KEY]
    return processor


async def test_each_persons_messages_are_handled_in_the_order_they_sent_them(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    seen: dict[int, list[str]] = {}
    running = {"now": 0, "most": 0}
    rng = random.Random(7)

    async def observe(update: Update, _context: Any) -> None:
        # Each update takes a different time, as real Bot API calls do, so a processor
        # that did not keep each chat's order would let later messages overtake.
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        await asyncio.sleep(rng.uniform(0, 0.02))
        message = update.effective_message
        assert update.effective_user is not None and message is not None
        seen.setdefault(update.effective_user.id, []).append(message.text or "")
        running["now"] -= 1

    bot.add_handler(TypeHandler(Update, observe), group=-2)
    people = [sandbox.user(7000 + n, first_name=f"P{n}") for n in range(12)]
    for step in range(15):
        for person in people:
            await person.send(f"message {step}")
    await settle(sandbox, bot)
    expected = [f"message {step}" for step in range(15)]
    assert all(seen[person.id] == expected for person in people)
    assert running["most"] > 1  # different people were handled at the same time


async def test_twenty_supporters_sign_at_once_and_get_distinct_numbers(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    people = [
        sandbox.user(7100 + n, first_name=f"Signer {n}", language_code="en") for n in range(20)
    ]
    thanks = await asyncio.gather(
        *(
            sign(person, name=f"Signer {n}", country_query="Kenya", country="KE")
            for n, person in enumerate(people)
        )
    )
    store = store_of(bot)
    assert await store.signatures.total() == 20
    numbers = sorted([(await store.signatures.get(p.id)).number for p in people])  # type: ignore[union-attr]
    assert numbers == list(range(1, 21))
    assert all("#" in message.plain for message in thanks)


async def double_tap_agree(user: SimulatedUser) -> None:
    """Walk the form (as tests/e2e/test_petition.py does) and tap "I agree" twice at once."""
    await user.ask("/sign")
    await press(user, "✍️ Sign with another name")
    await user.ask(user.first_name)
    await user.ask("Ghana")  # the full name: taken without a tap
    await press(user, "Skip")
    [consent] = await press(user, "Yes, hand over my name and organisation")
    agree = data_of(consent, "✅ I agree and sign")
    await asyncio.gather(user.press(agree), user.press(agree))


async def test_double_taps_on_i_agree_by_many_people_at_once_sign_each_once(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    people = [sandbox.user(7200 + n, first_name=f"Ama{n}") for n in range(8)]
    await asyncio.gather(*(double_tap_agree(person) for person in people))
    await settle(sandbox, bot)
    store = store_of(bot)
    assert await store.signatures.total() == 8
    for person in people:
        texts = [m.plain for m in sandbox.events_in(person.id)]
        assert sum("You have already signed" in text for text in texts) <= 1


async def test_a_flooder_is_asked_once_to_slow_down_and_others_are_still_answered(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    flooder = sandbox.user(7300, first_name="Spam", language_code="fr")
    calm = sandbox.user(7301, first_name="Calm")
    fr = Translator.for_locale("fr")
    async with run_bot(flood_rate=5.0) as app:
        for n in range(200):
            await flooder.send(f"spam {n}")
        [answer] = await calm.ask("/count")
        assert answer.plain
        await settle(sandbox, app)
        processor = processor_of(app)
        await processor.shutdown()  # the warning is sent
        texts = [m.plain for m in sandbox.events_in(flooder.id)]
        assert texts.count(fr.gettext(SLOW_DOWN)) == 1
        assert fr.gettext(SLOW_DOWN) != SLOW_DOWN  # the warning is in the flooder's language
        assert len(texts) < 50  # the excess was dropped, not answered
        assert processor.dropped >= 150
        assert processor.floods == 1


async def test_a_milestone_reached_during_a_broadcast_is_announced_after_it(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(milestones=(1,)) as app:
        store = store_of(app)
        # A broadcast is running (created as the organizer's would be; sent elsewhere).
        running, _ = await store.broadcasts.create(
            kind=BroadcastKind.CUSTOM,
            label="Week 9",
            variants={"en": "Week 9"},
            default_locale="en",
            paid=False,
            created_by=None,
            report_chat_id=None,
        )
        await sign(
            sandbox.user(7400, language_code="en"), name="M", country_query="Fiji", country="FJ"
        )
        [job] = app.job_queue.get_jobs_by_name("announce-milestones")  # type: ignore[union-attr]
        await job.run(app)
        kinds = [b.kind for b in await store.broadcasts.in_state(BroadcastState.RUNNING)]
        assert kinds == [BroadcastKind.CUSTOM]  # the announcement waits
        assert await store.signatures.unannounced_milestones() == [1]
        await store.broadcasts.set_state(running.id, BroadcastState.DONE)
        await job.run(app)
        assert await store.signatures.unannounced_milestones() == []
