"""Exports holding names leave the organizers' chats: after a while, and when a name goes.

Through the real Application, the stand-in (whose deleteMessage hides the message from
the chat) and a real SQLite file: an organizer's signatures CSV or hand-over pack is
deleted from their chat when a signer in it erases their data, withdraws or takes their
name off the list, and after JFA_EXPORT_KEEP_HOURS, across a restart too. Nobody else's
/forget touches the organizers' files, and no log line names the signer.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile

from jfa_bot.app import JfaApplication, build_application, running
from jfa_bot.export_retention import export_caption
from jfa_bot.i18n import Translator
from jfa_bot.logs import setup_logging
from jfa_bot.sandbox import BotApiServer, ChatMessage, SimulatedUser
from jfa_bot.sandbox.state import MessageKind
from jfa_bot.settings import Settings
from tests.conftest import ADMIN_ID, BotRunner, press, settle, store_of
from tests.e2e.test_organizer import export
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
FR = Translator.for_locale("fr")
NAME = "Amina Yusuf-Test"
CSV = "📄 Signatures (CSV)"
PACK = "🗂 Hand-over pack by country (ZIP)"


def documents(admin: SimulatedUser) -> list[ChatMessage]:
    """Return the export files still visible in the organizer's chat."""
    return [m for m in admin.messages if m.kind is MessageKind.DOCUMENT]


def _taken_back_note(t: Translator, n: int) -> str:
    return t.ngettext(
        "{n} export was deleted from this chat because a signer took their name back. "
        "Send /export for an up-to-date file.",
        "{n} exports were deleted from this chat because a signer took their name back. "
        "Send /export for an up-to-date file.",
        n,
    ).format(n=t.number(n))


async def forget(user: SimulatedUser) -> None:
    """Erase everything the way a supporter does: /forget, then confirm."""
    await user.ask("/forget")
    await press(user, EN.gettext("Yes, erase everything"))


async def test_a_signer_who_forgets_takes_the_organizers_exports_of_their_name_along(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    signer = sandbox.user(7101, language_code="en")
    await sign(signer, name=NAME, country_query="Kenya", country="KE")
    admin = sandbox.user(ADMIN_ID, language_code="fr")
    assert NAME.encode() in await export(admin, sandbox, FR.gettext(CSV))
    pack_bytes = await export(admin, sandbox, FR.gettext(PACK))
    assert NAME.encode() in zipfile.ZipFile(io.BytesIO(pack_bytes)).read("KE.csv")
    csv_file, pack = documents(admin)
    # The organizer is told, in their language, when the file goes and to keep copies safe.
    assert csv_file.plain == export_caption(FR, 24) == pack.plain
    assert "24 heures" in csv_file.plain
    assert await store_of(bot).sent_exports.count() == 2

    await forget(signer)
    await settle(sandbox, bot)
    assert documents(admin) == []  # gone from the organizer's chat in the stand-in
    assert admin.last.plain == _taken_back_note(FR, 2)  # one note, no name
    assert NAME not in admin.last.plain
    assert await store_of(bot).sent_exports.count() == 0


async def test_withdrawing_or_taking_a_name_off_the_list_deletes_exports_that_held_it(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    withdrawer = sandbox.user(7102, language_code="en")
    await sign(withdrawer, name=NAME, country_query="Kenya", country="KE")
    await export(admin, sandbox, CSV)
    await withdrawer.ask("/withdraw")
    await press(withdrawer, EN.gettext("Yes, withdraw my signature"))
    await settle(sandbox, bot)
    assert documents(admin) == []

    hider = sandbox.user(7103, language_code="en")
    thanks = await sign(hider, name="Second Signer-Test", country_query="Kenya", country="KE")
    await export(admin, sandbox, PACK)
    await hider.press_raw("s:vis:withheld", message_id=thanks.message_id)
    await settle(sandbox, bot)
    assert documents(admin) == []
    assert await store_of(bot).sent_exports.count() == 0


async def test_no_one_else_can_wipe_the_organizers_exports_with_forget(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    hidden = sandbox.user(7104, language_code="en")
    await sign(
        hidden, name="Hidden Signer-Test", country_query="Kenya", country="KE", withheld=True
    )
    await export(admin, sandbox, CSV)  # holds no name of a withheld signer
    await asyncio.sleep(1.1)  # times are stored to the second: sign in a later one
    late = sandbox.user(7105, language_code="en")
    await sign(late, name="Late Signer-Test", country_query="Kenya", country="KE")  # after it
    stranger = sandbox.user(7106, language_code="en")
    await stranger.ask("/start")
    for person in (hidden, late, stranger):
        await forget(person)
    await settle(sandbox, bot)
    assert len(documents(admin)) == 1
    assert await store_of(bot).sent_exports.count() == 1


async def test_an_export_leaves_the_organizers_chat_once_its_time_is_up(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(export_keep_hours=0.001) as app:  # 3.6 seconds
        signer = sandbox.user(7107, language_code="en")
        await sign(signer, name=NAME, country_query="Kenya", country="KE")
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await export(admin, sandbox, CSV)
        assert len(documents(admin)) == 1
        assert await sandbox.wait_until(lambda: not documents(admin), 15)
        await settle(sandbox, app)
        assert await store_of(app).sent_exports.count() == 0
        assert [m for m in admin.messages if "took their name back" in m.plain] == []


async def test_exports_are_still_deleted_after_a_restart(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    admin = sandbox.user(ADMIN_ID, language_code="en")
    signer = sandbox.user(7108, language_code="en")
    async with run_bot(export_keep_hours=0.001):
        await sign(signer, name=NAME, country_query="Kenya", country="KE")
        await export(admin, sandbox, CSV)  # due in 3.6 s: the bot stops before that
    await asyncio.sleep(4.5)
    assert len(documents(admin)) == 1
    async with run_bot() as app:  # the record, not the setting, says when it is due
        assert await sandbox.wait_until(lambda: not documents(admin), 15)
        await export(admin, sandbox, PACK)  # due in 24 hours
    async with run_bot() as app:
        assert len(documents(admin)) == 1
        await forget(signer)
        await settle(sandbox, app)
        assert documents(admin) == []
        assert await store_of(app).sent_exports.count() == 0


async def test_a_refused_deletion_is_logged_without_anyones_id(
    sandbox: BotApiServer, bot_settings: Settings
) -> None:
    signer_id = 7_109_321
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    try:
        setup_logging("DEBUG", secrets=[bot_settings.token()])
        root.addHandler(Keep(logging.DEBUG))
        app = build_application(bot_settings)
        async with running(app, poll_timeout=1):
            signer = sandbox.user(signer_id, language_code="en")
            await sign(signer, name=NAME, country_query="Kenya", country="KE")
            admin = sandbox.user(ADMIN_ID, language_code="en")
            await export(admin, sandbox, CSV)
            await export(admin, sandbox, PACK)
            # The organizer deleted one file already; Telegram answers that it is not found.
            [first, _second] = documents(admin)
            sandbox.store.messages[ADMIN_ID][first.message_id].deleted = True
            await forget(signer)
            await settle(sandbox, app)
            assert documents(admin) == []
            assert admin.last.plain == _taken_back_note(EN, 1)
            assert await store_of(app).sent_exports.count() == 0
        logging.getLogger("jfa_bot.probe").debug("the session is over")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert any("Could not delete an export (signatures)" in line for line in lines), lines
    assert "the session is over" in lines  # DEBUG really was on
    assert [line for line in lines if str(signer_id) in line] == []
    assert [line for line in lines if NAME in line] == []


def test_a_keep_time_in_fractions_of_an_hour_is_told_with_its_number_in_every_language() -> None:
    # JFA_EXPORT_KEEP_HOURS=1.5: the caption must not round it to Arabic's "two hours" (a
    # dual with no number in it) nor say "0.5 hour"; each language takes its fraction form.
    AR = Translator.for_locale("ar")
    assert "⁦1.5⁩ ساعة،" in export_caption(AR, 1.5)
    assert "ساعتين" not in export_caption(AR, 1.5)
    assert "ساعة واحدة" not in export_caption(AR, 0.5)
    assert "after 0.5 hours," in export_caption(EN, 0.5)
    assert "dans 1,5 heure," in export_caption(FR, 1.5)  # French: below 2 is singular
    assert "ساعتين" in export_caption(AR, 2) and "after 1 hour," in export_caption(EN, 1)
