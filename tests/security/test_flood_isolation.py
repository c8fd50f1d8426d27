"""One person's noise never costs them, or anyone else, a real message.

Telegram sends an inline query per keystroke. Someone typing a share card while Telegram is
slow to take the answers must not have their next real message in the private chat (a
form answer, /start) silently thrown away because inline queries filled its queue.
"""

from __future__ import annotations

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, UpdateType
from tests.conftest import BotRunner
from tests.e2e.test_concurrency import drained, processor_of

EN = Translator.for_locale("en")


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
        await drained(sandbox, app)
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
        await drained(sandbox, app_)
        # At most one running and the bounded queue behind it were answered.
        processor = processor_of(app_)
        assert processor.dropped >= 200 - 1 - processor.max_waiting
