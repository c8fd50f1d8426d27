"""Security: user text is escaped wherever it is shown, forged buttons change nothing.

The stand-in parses every message with Telegram's HTML rules: an unescaped `<script>`
would be refused outright, and an unescaped `<b>` would turn bold and vanish from the
text the reader sees. So "the reader sees exactly what was typed" proves the escaping.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState
from tests.conftest import ADMIN_ID, data_of, press, settle, store_of
from tests.reliability.conftest import assert_counters_match_rows

EN = Translator.for_locale("en")
FR = Translator.for_locale("fr")
NAME = '<script>alert(1)</script> & <b>Bob</b> "Q" &amp;'
ORGANISATION = '<i>Org</i> & <a href="https://evil.example">Co</a>'
NEW_ORGANISATION = "</b><tg-spoiler>Spoiler & Sons"
TELEGRAM_NAME = "<b>Bold</b> & <u>Co"
EXPIRED = "This button has expired. Please use /start."
NOT_UNDERSTOOD = (
    "Sorry, I did not understand that. Please choose from the menu below, or send /help."
)


async def test_html_in_names_and_organisations_is_escaped_wherever_it_is_shown(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(401, first_name=TELEGRAM_NAME, language_code="en")
    await user.ask("/sign")
    [name_step] = await press(user, "✍️ Sign with another name")
    assert f"Use “{TELEGRAM_NAME}”" in name_step.button_labels()  # labels are plain text
    await user.ask(NAME)
    [unknown] = await user.ask("<b>Atlantis</b> & co")
    assert "“<b>Atlantis</b> & co”" in unknown.plain
    await user.ask("Senegal")  # the full name: taken without a tap
    await user.ask(ORGANISATION)
    [consent] = await press(user, "Yes, hand over my name and organisation")
    assert f"Name: {NAME}\n" in consent.plain
    assert f"Organisation: {ORGANISATION}\n" in consent.plain
    assert "&lt;script&gt;" in consent.text and "<script>" not in consent.text
    [thanks] = await press(user, "✅ I agree and sign")
    assert thanks.plain.startswith(f"🎉 Thank you, {NAME}! You are signer #1.")
    [status] = await user.ask("/sign")
    assert status.plain.startswith("You signed on ")
    [prompt] = await press(user, "🏢 Change organisation")
    assert prompt.plain == "\n".join(
        [
            EN.gettext("Your organisation now: {organisation}").format(organisation=ORGANISATION),
            EN.gettext("Type the name of your organisation:"),
        ]
    )
    assert f"Organisation: {ORGANISATION}\n" in status.plain  # the signer's card, escaped
    saved, status = await user.ask(NEW_ORGANISATION, n=2)
    assert saved.plain == EN.gettext("Saved.") and status.plain.startswith("You signed on ")
    [_intro, confirm] = await user.ask("/webinar", n=2)
    assert f"signature: {NAME}, Senegal?" in confirm.plain
    [_summary, document] = await user.ask("/mydata", n=2)
    stored = next(f for f in sandbox.uploads if f.file_id == document.file_id)
    data = json.loads(stored.data.decode())
    assert (data["signature"]["name"], data["signature"]["organisation"]) == (
        NAME,
        NEW_ORGANISATION,
    )
    signature = await store_of(bot).signatures.get(401)
    assert signature is not None and signature.name == NAME  # stored as typed, not escaped


async def _organizer_state(store: Store, sandbox: BotApiServer) -> dict[str, Any]:
    db = store.db
    return {
        "flows": [tuple(r) for r in await db.fetchall("SELECT * FROM flows ORDER BY user_id")],
        "broadcasts": [
            tuple(r) for r in await db.fetchall("SELECT id, state FROM broadcasts ORDER BY id")
        ],
        "deliveries": await db.scalar("SELECT COUNT(*) FROM deliveries"),
        "audit": await db.scalar("SELECT COUNT(*) FROM audit"),
        "sent": len(sandbox.sent),
        "uploads": len(sandbox.uploads),
    }


@pytest.fixture
async def organizer_at_work(sandbox: BotApiServer, bot: JfaApplication) -> dict[str, str]:
    """An organizer with a broadcast draft, and a running and a paused broadcast."""
    admin = sandbox.user(ADMIN_ID, first_name="Org", language_code="en")
    await admin.ask("/broadcast")
    await admin.tap("a:custom")
    [menu] = await admin.ask("Hello <b>everyone</b>")
    await admin.tap(data_of(menu, "👀 Preview and check"), n=2)  # titled preview, check
    store = store_of(bot)
    draft = await store.flows.get(ADMIN_ID)
    assert draft is not None and draft.kind == "broadcast_draft"
    ids = []
    for label in ("Running", "Paused"):
        broadcast, _ = await store.broadcasts.create(
            kind=BroadcastKind.CUSTOM,
            label=label,
            variants={"en": "Hi"},
            default_locale="en",
            paid=False,
            created_by=ADMIN_ID,
            report_chat_id=ADMIN_ID,
        )
        ids.append(broadcast.id)
    await store.broadcasts.set_state(ids[1], BroadcastState.PAUSED)
    return {"token": draft.token, "running": str(ids[0]), "paused": str(ids[1])}


FORGED = [
    "a:go:{token}",
    "a:drop:{token}",
    "a:check:{token}",
    "a:lang:{token}:fr",
    "a:wk:1",
    "a:custom",
    "a:pause:{running}",
    "a:cancel:{running}",
    "a:resume:{paused}",
    "a:retry:{running}",
    "a:go",
    "a:",
    "x:signatures",
    "x:handover",
    "x:counts",
    "x:",
]


@pytest.mark.parametrize("template", FORGED)
async def test_forged_organizer_buttons_from_a_non_organizer_change_nothing(
    sandbox: BotApiServer,
    bot: JfaApplication,
    organizer_at_work: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    template: str,
) -> None:
    store = store_of(bot)
    mallory = sandbox.user(402, first_name="Mallory", language_code="fr")
    [welcome] = await mallory.ask("/start")
    before = await _organizer_state(store, sandbox)
    data = template.format(**organizer_at_work)
    with caplog.at_level(logging.WARNING, logger="jfa_bot"):
        answer = await mallory.press_raw(data, message_id=welcome.message_id)
        await settle(sandbox, bot)
    assert answer.text == FR.gettext(EXPIRED)
    assert await _organizer_state(store, sandbox) == before
    assert await store.flows.get(402) is None
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("from non-admin 402" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("command", ["/broadcast", "/broadcasts", "/stats", "/export", "/audit"])
async def test_organizer_commands_answer_others_like_an_unknown_command(
    sandbox: BotApiServer, bot: JfaApplication, command: str
) -> None:
    store = store_of(bot)
    user = sandbox.user(403, language_code="ar")
    ar = Translator.for_locale("ar")
    [reply] = await user.ask(f"{command} now please")
    [unknown] = await user.ask("/nosuchcommand")
    assert reply.plain == unknown.plain == ar.gettext(NOT_UNDERSTOOD)
    assert await store.db.scalar("SELECT COUNT(*) FROM audit") == 0
    assert await store.flows.get(403) is None


async def test_a_button_copied_from_another_users_form_acts_on_nobody(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    alice = sandbox.user(404, first_name="Alice", language_code="en")
    await alice.ask("/sign")
    await press(alice, "✍️ Sign with another name")
    await alice.ask("Alice")
    await alice.ask("Kenya")  # the full name: taken without a tap
    await press(alice, "Skip")
    [consent] = await press(alice, "Yes, hand over my name and organisation")
    alices_form = await store.flows.get(404)
    assert alices_form is not None
    eve = sandbox.user(405, first_name="Eve", language_code="en")
    [welcome] = await eve.ask("/start")
    for label in ("✅ I agree and sign", "✏️ Name", "✖ Cancel"):
        answer = await eve.press_raw(data_of(consent, label), message_id=welcome.message_id)
        assert answer.text == EN.gettext(EXPIRED), label
    for data in ("s:wd_yes", "s:forget_yes", "s:vis:withheld", f"s:org_clear:{alices_form.token}"):
        await eve.press_raw(data, message_id=welcome.message_id)
    await settle(sandbox, bot)
    assert await store.flows.get(404) == alices_form
    assert await store.flows.get(405) is None
    assert await assert_counters_match_rows(store) == 0
    assert await store.users.get(404) is not None
    [thanks] = await alice.tap(data_of(consent, "✅ I agree and sign"))
    assert thanks.plain.startswith("🎉 Thank you, Alice! You are signer #1.")
