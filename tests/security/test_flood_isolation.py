"""One person's noise never costs them, or anyone else, a real message.

Telegram sends an inline query per keystroke. Someone typing a share card while Telegram is
slow to take the answers must not have their next real message in the private chat (a
form answer, /start) silently thrown away because inline queries filled its queue. A new
person who floods is asked once to slow down, in their own language, and can sign after.
"""

from __future__ import annotations

import asyncio

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, UpdateType
from tests.conftest import BotRunner, settle, store_of
from tests.e2e.test_concurrency import SLOW_DOWN, processor_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
AR = Translator.for_locale("ar")


async def type_inline(sandbox: BotApiServer, user_json: dict[str, object], n: int) -> None:
    """Send `n` inline queries at once, as fast typing does (answers are not awaited)."""
    for i in range(n):
        query_id = sandbox.new_id()
        sandbox.expect_inline(query_id)
        await sandbox.inject(
            UpdateType.INLINE_QUERY,
            {
                "id": query_id,
                "from": user_json,
                "query": "rec financing " + "1" * (i % 3 + 1),
                "offset": "",
                "chat_type": "sender",
            },
        )


async def test_typing_inline_queries_does_not_drop_the_persons_next_message(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    person = sandbox.user(9101, language_code="en")
    async with run_bot() as app:
        # Telegram is slow to take the first answer: the typed queries pile up behind it.
        sandbox.faults.fail_methods = frozenset({"answerInlineQuery"})
        sandbox.faults.hang_seconds = 3.0
        sandbox.faults.timeout_next = 1
        await type_inline(sandbox, person.to_json(), 30)
        await person.send("/start")
        [welcome] = await person.wait(1, timeout=20)
        assert welcome.plain.startswith("Justice For All")
        await settle(sandbox, app)
        assert processor_of(app).floods == 0


async def test_a_flood_of_inline_queries_is_bounded_and_others_are_answered(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    flooder = sandbox.user(9201, language_code="en")
    calm = sandbox.user(9202, language_code="en")
    async with run_bot() as app:
        app_: JfaApplication = app
        sandbox.faults.fail_methods = frozenset({"answerInlineQuery"})
        sandbox.faults.hang_seconds = 3.0
        sandbox.faults.timeout_next = 1
        await type_inline(sandbox, flooder.to_json(), 200)
        [answer] = await calm.ask("/count")
        assert answer.plain
        await settle(sandbox, app_)
        # At most one running and the bounded queue behind it were answered.
        processor = processor_of(app_)
        assert processor.dropped >= 200 - 1 - processor.max_waiting


async def test_new_people_who_flood_are_asked_once_to_slow_down_in_their_language(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    # Their first burst arrives before the bot has recorded them: the warning must still
    # be in the language their Telegram app uses, not the bot's default.
    languages = ["ar", "fr", "sw", "pt", "es"]
    async with run_bot(flood_rate=5.0) as app:
        people = [
            sandbox.user(9300 + n, first_name="Nuru", language_code=code)
            for n, code in enumerate(languages)
        ]
        for person in people:
            for n in range(30):
                await person.send(f"hello {n}")
        await settle(sandbox, app)
        await processor_of(app).shutdown()  # the warnings were sent
        for person, code in zip(people, languages, strict=True):
            slow_down = Translator.for_locale(code).gettext(SLOW_DOWN)
            assert slow_down != SLOW_DOWN, code
            texts = [m.plain for m in sandbox.events_in(person.id)]
            assert texts.count(slow_down) == 1, (code, texts[-3:])
            assert SLOW_DOWN not in texts, code
        # Once calm again, the flooder signs like anyone: the signature lands.
        await asyncio.sleep(3.0)  # the bucket refills (a wait, not a measurement)
        first = people[0]  # Arabic
        await sign(first, name="Nuru Hassan", country_query="Kenya", country="KE", t=AR)
        signature = await store_of(app).signatures.get(first.id)
        assert signature is not None and signature.name == "Nuru Hassan"
