"""The bot records only people who use it, and organizer actions stay in private chats.

Joining a group the bot is in, adding the bot to a group, writing there or typing an
inline query creates no row about a person; an organizer's export button pressed on a bot
message in a group posts nothing there.
"""

from __future__ import annotations

import time

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer, UpdateType
from tests.conftest import ADMIN_ID, settle, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")


async def test_people_seen_only_in_groups_or_inline_are_not_recorded(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    group = sandbox.group(-1001234)
    joiner = sandbox.user(7001, language_code="en")
    writer = sandbox.user(7002, language_code="fr")
    adder = sandbox.user(7003, language_code="en")
    sharer = sandbox.user(7004, language_code="en")
    await joiner._send_message(group, new_chat_members=[joiner.to_json()])
    await writer.send("/start@jfa_test_bot", chat=group)
    await writer.send("hello everyone", chat=group)
    bot_user = {"id": 1, "is_bot": True, "first_name": "JFA", "username": "jfa_test_bot"}
    await sandbox.inject(
        UpdateType.MY_CHAT_MEMBER,
        {
            "chat": {"id": group.id, "type": "supergroup", "title": "Group"},
            "from": adder.to_json(),
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot_user},
            "new_chat_member": {"status": "member", "user": bot_user},
        },
    )
    await sharer.inline_query("")
    await settle(sandbox, bot)
    store = store_of(bot)
    ids = [row[0] for row in await store.db.fetchall("SELECT user_id FROM users")]
    assert not {7001, 7002, 7003, 7004} & set(ids)
    [pointer] = sandbox.messages_in(group.id)  # the group still gets its answer
    assert "jfa_test_bot" in pointer.plain or pointer.buttons
    # The same people are recorded once they use the bot in private.
    await writer.ask("/start")
    assert await store.users.get(7002) is not None


async def test_an_organizer_export_button_pressed_in_a_group_posts_nothing_there(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    group = sandbox.group(-1005678)
    admin = sandbox.user(ADMIN_ID, language_code="en")
    await admin.send("/export", chat=group)
    await settle(sandbox, bot)
    [bot_message] = sandbox.messages_in(group.id)
    uploads = len(sandbox.uploads)
    for data in ("x:signatures", "x:handover", "x:counts"):
        answer = await admin.press_raw(data, message_id=bot_message.message_id, chat=group)
        assert answer.text == EN.gettext("This button has expired. Please use /start.")
    await settle(sandbox, bot)
    assert len(sandbox.uploads) == uploads
    assert [m.document_name for m in sandbox.messages_in(group.id)] == [None]
    # In the organizer's private chat the same button works.
    await admin.ask("/export")
    await admin.press(label=EN.gettext("📄 Signatures (CSV)"))
    await admin.quiet()
    assert len(sandbox.uploads) == uploads + 1


async def test_blocking_the_bot_after_forget_brings_back_no_row(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    from tests.security.conftest import press

    user = sandbox.user(7005, language_code="en")
    await user.ask("/start")
    await user.ask("/forget")
    await press(user, EN.gettext("Yes, erase everything"))
    store = store_of(bot)
    assert await store.users.get(7005) is None
    bot_user = {"id": 1, "is_bot": True, "first_name": "JFA", "username": "jfa_test_bot"}
    await sandbox.inject(
        UpdateType.MY_CHAT_MEMBER,
        {
            "chat": {"id": 7005, "type": "private", "first_name": "Test"},
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
        },
    )
    await settle(sandbox, bot)
    assert await store.users.get(7005) is None


async def test_forged_buttons_pressed_in_a_group_post_nothing_there(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    # The bot's only message in a group is its pointer to the private chat (a link button).
    # A modified client can still send any callback data on it: menus, the signer's card
    # (their name and link), the petition form. None of it may be posted in the group.
    group = sandbox.group(-1009876)
    member = sandbox.user(7101, first_name="Amani", language_code="en")
    await member.ask("/start")
    await sign(member, name="Amani Wanjiru", country_query="Kenya", country="KE")
    await member.send("/start@jfa_test_bot", chat=group)
    await settle(sandbox, bot)
    [pointer] = sandbox.messages_in(group.id)
    for data in ("m:sign", "m:count", "m:privacy", "s:pub", "s:wd", "s:org", "w:weeks", "l:fr"):
        answer = await member.press_raw(data, message_id=pointer.message_id, chat=group)
        assert answer.text == EN.gettext("This button has expired. Please use /start."), data
    await settle(sandbox, bot)
    assert [m.message_id for m in sandbox.messages_in(group.id)] == [pointer.message_id]
    assert "Amani Wanjiru" not in " ".join(m.plain for m in sandbox.events_in(group.id))
    # Nothing changed for the person either: still signed, still in English.
    store = store_of(bot)
    assert await store.signatures.get(member.id) is not None
    user = await store.users.get(member.id)
    assert user is not None and user.locale in (None, "en")


async def test_a_group_spamming_commands_gets_few_invitations(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    # Telegram takes about 20 messages a minute into one group; past that it answers 429,
    # and 429s from two chats at once make the pacer hold every reply, everyone's. Anyone
    # can add the bot to groups and type /start@bot there: the invitation is posted again
    # only after a pause, and the recent one above serves everybody meanwhile.
    groups = [sandbox.group(-1004401), sandbox.group(-1004402)]
    members = [sandbox.user(7400 + n, language_code="en") for n in range(5)]
    for _ in range(5):
        for member in members:
            for group in groups:
                await member.send("/start@jfa_test_bot", chat=group)
    await settle(sandbox, bot)
    for group in groups:
        assert 1 <= len(sandbox.messages_in(group.id)) <= 2
    # A person in a private chat is answered as ever.
    [welcome] = await sandbox.user(7499, language_code="en").ask("/start")
    assert welcome.plain
