"""Exports holding names against bad timing: a signer who leaves while the file is on its
way, and a deletion Telegram could not do at that moment.

Through the real Application, the stand-in and a real SQLite file. The promise is that a
file holding a name leaves the organizer's chat once its signer takes the name back; it
must hold however the erasure and the export interleave, and a passing 502 from
deleteMessage must not turn "deleted soon" into "kept for ever".
"""

from __future__ import annotations

import asyncio

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, SimulatedUser
from tests.conftest import ADMIN_ID, press, settle, store_of
from tests.e2e.test_organizer import export
from tests.e2e.test_petition import sign
from tests.security.test_export_retention import CSV, documents, forget

EN = Translator.for_locale("en")
NAME = "Baraka Otieno-Test"


async def _list(user: SimulatedUser) -> None:
    await user.ask("/sign")
    await press(user, EN.gettext("👁 Add my name to the hand-over list…"))
    await press(user, EN.gettext("Yes, hand over my name and organisation"))


async def _unlist(user: SimulatedUser) -> None:
    await user.ask("/sign")
    await press(user, EN.gettext("🙈 Take my name off the hand-over list"))


async def test_a_signer_who_forgets_while_the_export_is_on_its_way_is_not_left_in_it(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    signer = sandbox.user(7201, language_code="en")
    await sign(signer, name=NAME, country_query="Kenya", country="KE")
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.send("/export")
    await sandbox.wait_until(
        lambda: bool(admin.messages) and admin.last.find_button(label=CSV) is not None, 10
    )
    # The CSV is built; Telegram takes its time with the upload. Meanwhile the signer
    # erases everything (handled at once: another person's updates do not wait).
    hold = asyncio.Event()
    sandbox.faults.fail_methods = frozenset({"sendDocument"})
    sandbox.faults.hold = hold
    await admin.press(admin.last.find_button(label=CSV).callback_data)  # type: ignore[union-attr]
    assert await sandbox.wait_until(
        lambda: any(call.method == "sendDocument" for call in sandbox.calls), 15
    )
    await forget(signer)
    hold.set()
    assert await sandbox.wait_until(lambda: bool(sandbox.uploads), 15)
    await settle(sandbox, bot)
    [csv_file] = sandbox.uploads
    assert NAME.encode() in csv_file.data  # it was built before the erasure
    assert documents(admin) == []  # and still left the organizer's chat
    assert await store_of(bot).sent_exports.count() == 0


async def test_a_deletion_telegram_failed_for_a_moment_is_tried_again(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    signer = sandbox.user(7202, language_code="en")
    await sign(signer, name=NAME, country_query="Kenya", country="KE")
    admin = sandbox.user(ADMIN_ID, language_code="en")
    assert NAME.encode() in await export(admin, sandbox, CSV)
    sandbox.faults.fail_methods = frozenset({"deleteMessage"})
    sandbox.faults.fail_next_5xx = 10  # Telegram answers 502 for a moment
    await forget(signer)
    await settle(sandbox, bot)
    assert sandbox.stats.server_errors >= 1
    sandbox.faults.fail_next_5xx = 0  # and is back
    assert len(documents(admin)) == 1  # not deleted yet: the record must say it is owed
    assert await store_of(bot).sent_exports.count() == 1
    # The next sweep (here the one after anyone's /forget; else the periodic one) does it.
    stranger = sandbox.user(7203, language_code="en")
    await stranger.ask("/start")
    await forget(stranger)
    await settle(sandbox, bot)
    assert documents(admin) == []
    assert await store_of(bot).sent_exports.count() == 0


async def test_a_signer_cannot_wipe_exports_sent_while_their_name_was_off_the_list(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    # Exports go when a name in them is taken back; a signer whose name was off the list
    # when a file was sent is not in it, and listing and unlisting the name again (two
    # taps and a confirmation, as often as they like) must not wipe the organizers' files.
    admin = sandbox.user(ADMIN_ID, language_code="en")
    listed = sandbox.user(7204, language_code="en")
    await sign(listed, name=NAME, country_query="Kenya", country="KE")
    toggler = sandbox.user(7205, language_code="en")
    await sign(
        toggler, name="Toggling Signer-Test", country_query="Kenya", country="KE", withheld=True
    )
    csv_bytes = await export(admin, sandbox, CSV)
    assert b"Toggling Signer-Test" not in csv_bytes
    await asyncio.sleep(1.1)  # times are stored to the second: list the name in a later one
    for _ in range(2):
        await _list(toggler)
        await _unlist(toggler)
    await settle(sandbox, bot)
    assert len(documents(admin)) == 1
    assert [m for m in admin.messages if "took their name back" in m.plain] == []
    # A file sent while the name was listed does hold it, and goes when it is unlisted.
    await _list(toggler)
    await settle(sandbox, bot)
    assert b"Toggling Signer-Test" in await export(admin, sandbox, CSV)
    await _unlist(toggler)
    await settle(sandbox, bot)
    assert len(documents(admin)) == 1  # the first file stays, the second is gone
