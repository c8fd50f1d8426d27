"""What a supporter types or sends can look like markup or like an organizer's button.

Names and organisations that look like HTML are shown as typed, on every screen.
Every message is sent as Telegram HTML; the stand-in parses it as strictly as Telegram
does. A name such as `<b>` or `&amp;` that reached a message unescaped would either be
refused by Telegram (the person gets "something went wrong" and cannot sign) or change
the message's meaning (a link where a name should be). Organizer buttons and commands
sent by anyone else answer as if unknown, and change nothing.
"""

from __future__ import annotations

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from tests.conftest import ADMIN_ID, press, settle, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
NAME = '<a href="https://evil.example">Amina</a> & <b>'
ORGANISATION = "</i>Kituo &amp; <code>Sheria"
SORRY = EN.gettext("Sorry, something went wrong on our side. Please try again in a moment.")


async def test_markup_typed_as_a_name_is_shown_as_text_everywhere(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(9501, first_name="<i>Joy", last_name="&lt;", language_code="en")
    thanks = await sign(
        user, name=NAME, country_query="Kenya", country="KE", organisation=ORGANISATION
    )
    assert thanks.plain
    [summary, _document] = await user.ask("/mydata", n=2)
    assert NAME in summary.plain and ORGANISATION in summary.plain
    [card] = await user.ask("/sign")  # signed already: the signer's card
    assert NAME in card.plain
    await press(user, EN.gettext("🏢 Change organisation"))
    _intro, confirm = await user.ask("/webinar", n=2)
    assert NAME in confirm.plain
    # No message ever carried a link or markup the person did not see typed.
    for message in sandbox.events_in(user.id):
        assert message.plain != SORRY
        assert 'href="https://evil.example"' not in message.text  # sent escaped, as text


async def test_organizer_buttons_forged_by_a_supporter_change_nothing(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    # A modified client can send any callback data on any of the bot's messages in the
    # person's own chat: broadcast controls, exports, the week to send.
    supporter = sandbox.user(9601, language_code="en")
    [welcome] = await supporter.ask("/start")
    uploads = len(sandbox.uploads)
    expired = EN.gettext("This button has expired. Please use /start.")
    for data in (
        "a:wk:1", "a:custom", "a:go:1", "a:go:1:en", "a:pause:1", "a:resume:1", "a:cancel:1",
        "a:retry:1", "a:drop:1", "x:signatures", "x:handover", "x:counts",
    ):  # fmt: skip
        answer = await supporter.press_raw(data, message_id=welcome.message_id)
        assert answer.text == expired, data
    for command in ("/broadcast", "/broadcasts", "/stats", "/export", "/audit", "/reload"):
        [answer] = await supporter.ask(command)
        assert "Sorry, I did not understand that" in answer.plain, command
    assert len(sandbox.uploads) == uploads
    store = store_of(bot)
    assert await store.db.fetchall("SELECT id FROM broadcasts") == []
    assert await store.flows.get(9601) is None


async def test_editing_an_old_message_into_a_command_runs_nothing(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    # An edit is a correction of something already answered, not a new request: editing
    # an old message must not re-run it, or make it /mydata (a file of one's data posted
    # again), /forget or /broadcast. Each edit is still counted against a flood.
    user = sandbox.user(9701, language_code="en")
    await sign(user, name="Zawadi Otieno", country_query="Kenya", country="KE")
    await user.ask("/help")
    before = len(sandbox.events_in(user.id))
    uploads = len(sandbox.uploads)
    for text in ("/mydata", "/forget", "/withdraw", "/start", "/sign", "/nonsense", "hello"):
        await user.edit_last(text)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.ask("/help")
    for text in ("/broadcast", "/export", "/stats"):
        await admin.edit_last(text)
    await settle(sandbox, bot)
    assert len(sandbox.events_in(user.id)) == before
    assert len(sandbox.uploads) == uploads
    assert len(sandbox.events_in(ADMIN_ID)) == 1  # the answer to /help only
