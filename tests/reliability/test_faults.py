"""Network faults from the stand-in while supporters talk to the bot.

A supporter signs the petition while the stand-in fails the bot's replies (502), hangs
them (shorter than PTB's read timeout, and past it), rate-limits them (429) or refuses
them because the user blocked the bot (403). After every faulted step the database holds
either a complete signature or none (counters equal the rows, integrity is ok), and once
the faults clear the supporter carries on from where the form was and signs.

The regression tests at the end cover bugs this suite found (all fixed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CommandHandler

import jfa_bot.app
from jfa_bot.app import JfaApplication
from jfa_bot.handlers.petition import Step
from jfa_bot.i18n import Translator
from jfa_bot.request import AiohttpRequest
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser, UpdateType
from jfa_bot.store import Store
from tests.conftest import BotRunner, settle, store_of
from tests.reliability.conftest import assert_counters_match_rows

EN = Translator.for_locale("en")
FR = Translator.for_locale("fr")
NAME = "Fatou <b>Diallo</b> & Co"
ORGANISATION = "<i>Paralegals</i> & Friends"
#: PTB's read timeout for Bot API calls in app.py is 15 s; the timeout test shortens it.
SHORT_READ_TIMEOUT = 1.0
APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."


@dataclass(frozen=True)
class Fault:
    """A fault switched on for one user action, and the steps it strikes."""

    name: str
    arm: Callable[[BotApiServer, int], None]
    steps: frozenset[Step] | None = None  # None: every step
    lands_late: bool = False  # the struck call still lands after the bot gave up on it
    short_timeout: bool = False  # build the bot with a short read timeout
    logged: str | None = None  # what the bot logs about it (None: nothing went wrong)

    def strikes(self, step: Step) -> bool:
        return self.steps is None or step in self.steps


def _fail_5xx(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.fail_next_5xx = 1


def _fail_answer_5xx(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.fail_methods = frozenset({"answerCallbackQuery"})
    sandbox.faults.fail_next_5xx = 1


def _slow(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.timeout_next = 1
    sandbox.faults.hang_seconds = 0.3  # far below PTB's 15 s read timeout: a slow reply


def _time_out(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.timeout_next = 1
    sandbox.faults.hang_seconds = SHORT_READ_TIMEOUT + 0.6  # past the shortened timeout


def _rate_limit(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.fail_next_429 = 1
    sandbox.faults.retry_after = 1


def _block(sandbox: BotApiServer, user_id: int) -> None:
    sandbox.faults.blocked.add(user_id)


KEY_STEPS = frozenset({Step.NAME, Step.COUNTRY, Step.CONSENT})
BUTTON_STEPS = frozenset({Step.INTRO, Step.VISIBILITY, Step.CONSENT})
FAULTS = [
    Fault("502 on the reply", _fail_5xx, logged="Bad Gateway"),
    Fault("502 on the button's answer", _fail_answer_5xx, BUTTON_STEPS, logged="Bad Gateway"),
    Fault("slow reply", _slow),
    Fault(
        "timed out",
        _time_out,
        KEY_STEPS,
        lands_late=True,
        short_timeout=True,
        logged="Timed out",
    ),
    # A 429 on a reply: the reply is sent again after Telegram's retry_after.
    Fault("429 Too Many Requests", _rate_limit, KEY_STEPS),
    Fault("403 blocked", _block, logged="blocked the bot"),
]


def events_beyond(sandbox: BotApiServer, chat_id: int, seen: int) -> Callable[[], bool]:
    return lambda: len(sandbox.events_in(chat_id)) > seen


def clear_faults(sandbox: BotApiServer) -> None:
    faults = sandbox.faults
    faults.fail_next_5xx = faults.fail_next_429 = faults.timeout_next = 0
    faults.fail_methods = None
    faults.blocked.clear()


def faults_hit(sandbox: BotApiServer) -> int:
    stats = sandbox.stats
    return stats.server_errors + stats.timeouts + stats.rate_limited + stats.forbidden


def error_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def shorten_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the bot with a 1 s read timeout for Bot API calls (getUpdates keeps its own)."""

    def request(*args: Any, **kwargs: Any) -> AiohttpRequest:
        if kwargs.get("read_timeout", 5.0) < 30:  # not the getUpdates long-poll request
            kwargs["read_timeout"] = SHORT_READ_TIMEOUT
        return AiohttpRequest(*args, **kwargs)

    monkeypatch.setattr(jfa_bot.app, "AiohttpRequest", request)


def press_payload(
    user: SimulatedUser, message: ChatMessage, data: str, *, answerable: bool = True
) -> dict[str, Any]:
    """Return a callback query for a button of `message` (too old to answer unless
    `answerable`)."""
    server = user.server
    query_id = server.new_id()
    if answerable:
        server.expect_callback(query_id)
    return {
        "id": query_id,
        "from": user.to_json(),
        "message": server.store.bot_message_json(user.id, message.message_id),
        "chat_instance": str(user.id),
        "data": data,
    }


async def tap(user: SimulatedUser, message: ChatMessage, label: str) -> None:
    """Press a button without waiting for the bot's answer (which a fault may swallow)."""
    button = message.find_button(label=label)
    assert button is not None and button.callback_data, (label, message.button_labels())
    await user.server.inject(
        UpdateType.CALLBACK_QUERY, press_payload(user, message, button.callback_data)
    )


async def assert_signature_whole_or_absent(store: Store, user_id: int) -> bool:
    """Check that the user has a whole signature or none at all; return True if signed."""
    rows = await assert_counters_match_rows(store)
    signature = await store.signatures.get(user_id)
    if signature is None:
        assert rows == 0
        return False
    assert rows == 1
    assert (signature.name, signature.country, signature.organisation) == (
        NAME,
        "SN",
        ORGANISATION,
    )
    consents = (await store.personal_data.export(user_id))["consents"]
    assert [(c["kind"], c["given"]) for c in consents] == [("petition", True)]
    assert await store.flows.get(user_id) is None
    return True


async def act(user: SimulatedUser, prompt: ChatMessage, step: Step, t: Translator) -> None:
    """Do what the step shown in `prompt` asks, without waiting for the reply."""
    if step is Step.INTRO:
        await tap(user, prompt, t.gettext("✍️ Sign with another name"))
    elif step is Step.NAME:
        await user.send(NAME)
    elif step is Step.COUNTRY and prompt.find_button(label=t.country_name("SN")):
        await tap(user, prompt, t.country_name("SN"))
    elif step is Step.COUNTRY:
        await user.send("Sénég")
    elif step is Step.ORGANISATION:
        await user.send(ORGANISATION)
    elif step is Step.VISIBILITY:
        await tap(user, prompt, t.gettext("Yes, hand over my name and organisation"))
    else:
        await tap(user, prompt, t.gettext("✅ I agree and sign"))


async def sign_through_faults(
    sandbox: BotApiServer, app: JfaApplication, user: SimulatedUser, fault: Fault
) -> list[Step]:
    """Walk the form with `fault` striking each of its steps once; return the steps struck.

    Before every step the supporter sends /sign, which shows the step the form is at (a
    lost reply is never a dead end), then answers it. After every step the database holds
    a whole signature or none.
    """
    store, t = store_of(app), Translator.for_locale(user.language_code or "en")
    struck: list[Step] = []
    for _ in range(20):
        if await assert_signature_whole_or_absent(store, user.id):
            return struck
        [prompt] = await user.ask("/sign")
        flow = await store.flows.get(user.id)
        assert flow is not None, prompt.plain
        step = Step(flow.step)
        armed = fault.strikes(step) and step not in struck
        if armed:
            fault.arm(sandbox, user.id)
            struck.append(step)
        seen = len(sandbox.events_in(user.id))
        await act(user, prompt, step, t)
        await settle(sandbox, app)
        if armed and fault.lands_late:
            # Telegram may still deliver a call the bot gave up on: wait until it lands.
            assert await sandbox.wait_until(events_beyond(sandbox, user.id, seen), 10), step
        clear_faults(sandbox)
    raise AssertionError("the supporter never got to sign")


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_signing_through_faults_ends_with_one_whole_signature(
    sandbox: BotApiServer,
    run_bot: BotRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    if fault.short_timeout:
        shorten_read_timeout(monkeypatch)
    user = sandbox.user(301, first_name="Fatou", language_code="fr")
    with caplog.at_level(logging.INFO, logger="jfa_bot"):
        async with run_bot() as app:
            struck = await sign_through_faults(sandbox, app, user, fault)
            [status] = await user.ask("/sign")
            signature = await store_of(app).signatures.get(user.id)
    expected = [step for step in Step if fault.strikes(step)]
    assert struck == expected
    assert faults_hit(sandbox) == len(expected)
    assert signature is not None
    assert status.plain.startswith(
        FR.gettext("You signed on {date} as signer #{number}.").format(
            date=FR.date(dt.date.fromisoformat(signature.signed_day)), number=FR.number(1)
        )
    )
    assert error_records(caplog) == []
    failures = [r.getMessage() for r in caplog.records if r.name == "jfa_bot.handlers.errors"]
    if fault.logged is None:
        assert failures == []  # a slow reply is no failure
    else:
        assert len(failures) == len(expected)
        assert all(fault.logged in failure for failure in failures), failures


async def test_a_blocked_user_causes_no_error_log_and_can_come_back(
    sandbox: BotApiServer, bot: JfaApplication, caplog: pytest.LogCaptureFixture
) -> None:
    user = sandbox.user(302, first_name="Kofi", language_code="en")
    [welcome] = await user.ask("/start")
    sandbox.faults.blocked.add(user.id)
    commands = ["/start", "/sign", "/count", "/mydata", "/actionpack", "/brief", "/privacy"]
    with caplog.at_level(logging.INFO, logger="jfa_bot"):
        for command in commands:
            await user.send(command)
        await tap(user, welcome, EN.gettext("📊 How many have signed"))
        await settle(sandbox, bot)
    assert error_records(caplog) == []
    assert sandbox.stats.forbidden == len(commands) + 1
    assert sum("blocked the bot" in r.getMessage() for r in caplog.records) == len(commands) + 1
    assert len(user.messages) == 1  # only the welcome from before the block
    sandbox.faults.blocked.clear()
    [again] = await user.ask("/start")
    assert again.plain == welcome.plain
    assert await assert_counters_match_rows(store_of(bot)) == 0


COMMANDS = [
    "/start",
    "/help",
    "/language",
    "/privacy",
    "/sign",
    "/count",
    "/mydata",
    "/actionpack",
    "/brief",
    "/webinar",
    "/spotlight",
    "/weeks",
    "/subscribe",
    "/settings",
    "/cancel",
]


async def test_a_failed_reply_to_any_command_is_only_a_warning_and_a_retry_works(
    sandbox: BotApiServer, bot: JfaApplication, caplog: pytest.LogCaptureFixture
) -> None:
    user = sandbox.user(303, first_name="Ana", language_code="pt")
    with caplog.at_level(logging.WARNING):
        for command in COMMANDS:
            sandbox.faults.fail_next_5xx = 1
            await user.send(command)
            await settle(sandbox, bot)
            assert sandbox.faults.fail_next_5xx == 0, f"{command} sent nothing"
            [retry, *_] = await user.ask(command)
            assert retry.plain, command
            await settle(sandbox, bot)
    assert sandbox.stats.server_errors == len(COMMANDS)
    assert any("Network problem" in r.getMessage() for r in caplog.records)
    assert error_records(caplog) == []
    assert await assert_counters_match_rows(store_of(bot)) == 0


async def test_a_reply_telegram_refuses_is_an_error_and_the_user_gets_an_apology(
    sandbox: BotApiServer, run_bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_html(update: Update, context: object) -> None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message("<b>unclosed")  # a bug in a handler

    user = sandbox.user(305, language_code="en")
    with caplog.at_level(logging.WARNING):
        async with run_bot() as app:
            app.add_handler(CommandHandler("boom", broken_html), group=-2)
            await user.send("/boom")
            await settle(sandbox, app)
    # PTB's BadRequest is a NetworkError, but a refused reply is a bug, not a network problem.
    assert any("Unhandled error" in r.getMessage() for r in caplog.records), caplog.text
    assert user.messages[0].plain == EN.gettext(APOLOGY)


async def test_a_press_too_old_to_answer_still_gets_its_reply(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    user = sandbox.user(306, first_name="Musa", language_code="en")
    async with run_bot():
        await user.ask("/sign")
        await user.tap(label="✍️ Sign with another name")
        await user.ask("Musa")
        await user.ask("Nigeria")  # the full name: taken without a tap
        await user.tap(label="Skip")
        [consent] = await user.tap(label="Yes, hand over my name and organisation")
    # The bot is down (a deploy): the press waits in Telegram longer than the ~15 s in
    # which a callback query can be answered; the stand-in then refuses the answer.
    button = consent.find_button(label="✅ I agree and sign")
    assert button is not None and button.callback_data
    payload = press_payload(user, consent, button.callback_data, answerable=False)
    await sandbox.inject(UpdateType.CALLBACK_QUERY, payload)
    async with run_bot() as app:
        await settle(sandbox, app)
        assert await store_of(app).signatures.get(user.id) is not None
    assert user.messages[-1].plain.startswith("🎉 Thank you, Musa!")


async def test_a_reply_rate_limited_by_telegram_is_sent_after_retry_after(
    sandbox: BotApiServer, bot: JfaApplication, caplog: pytest.LogCaptureFixture
) -> None:
    user = sandbox.user(307, language_code="en")
    await user.ask("/start")
    sandbox.faults.fail_next_429 = 1
    sandbox.faults.retry_after = 1
    with caplog.at_level(logging.WARNING):
        await user.send("/count")
        await settle(sandbox, bot)
    assert sandbox.stats.rate_limited == 1
    assert error_records(caplog) == []
    assert user.messages[-1].plain == EN.gettext("No one has signed yet. Be the first: /sign")
