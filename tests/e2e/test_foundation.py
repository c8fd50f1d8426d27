"""A supporter meets the bot: welcome, language, privacy, and polite answers to anything."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from jfa_bot.app import PROFILE_KEY, JfaApplication
from jfa_bot.handlers.info import privacy_text
from jfa_bot.handlers.start import welcome_text
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from jfa_bot.store import Store
from jfa_bot.telegram_html import parse_html
from tests.conftest import TEST_TOKEN
from tests.e2e.conftest import BotRunner

EN = Translator.for_locale("en")
FR = Translator.for_locale("fr")
WELCOME_START = "Justice For All"
NOT_UNDERSTOOD = (
    "Sorry, I did not understand that. Please choose from the menu below, or send /help."
)


def visible(html: str) -> str:
    """Return the text a reader sees once Telegram has parsed the HTML."""
    return parse_html(html)


async def open_store(path: Path) -> Store:
    return await Store.open(path)


async def test_supporter_starts_in_english_and_sees_the_menu(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    amina = sandbox.user(101, first_name="Amina", language_code="en")
    [welcome] = await amina.ask("/start")
    assert welcome.plain.startswith(WELCOME_START)
    assert "funding and protecting grassroots justice defenders" in welcome.plain
    labels = [button.text for row in welcome.buttons for button in row]
    assert labels == [
        "✍️ Sign the petition",
        "📊 How many have signed",
        "📘 Action Pack",
        "📄 Policy brief and recommendations",
        "🎥 Webinar recording",
        "🔦 This week's spotlight",
        "🌐 Language",
        "🔒 Your data and privacy",
        "❓ Help",
    ]


async def test_supporter_with_french_telegram_is_welcomed_in_french(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    claire = sandbox.user(102, first_name="Claire", language_code="fr")
    [welcome] = await claire.ask("/start")
    assert welcome.plain == visible(welcome_text(FR))
    assert welcome_text(FR) != welcome_text(EN)
    assert welcome.find_button(data="m:language").text == FR.gettext("🌐 Language")


async def test_supporter_switches_to_french_and_it_survives_a_restart(
    sandbox: BotApiServer, run_bot: BotRunner, bot_settings
) -> None:
    sam = sandbox.user(103, first_name="Sam", language_code="en")
    async with run_bot():
        await sam.ask("/start")
        [picker] = await sam.tap("m:language")
        assert picker.edited and "Français" in picker.button_labels()
        confirmation, welcome = await sam.tap("l:fr", n=2)
        assert confirmation.plain == FR.gettext("✓ Language: {language}").format(
            language="Français"
        )
        assert welcome.plain == visible(welcome_text(FR))
    store = await open_store(bot_settings.db_path)
    user = await store.users.get(103)
    await store.close()
    assert user is not None and user.locale == "fr"
    async with run_bot():
        [welcome] = await sam.ask("/start")  # Telegram still says English
        assert welcome.plain == visible(welcome_text(FR))


async def test_language_list_names_each_language_in_itself(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(104, language_code="ar")
    [picker] = await user.ask("/language")
    assert picker.button_labels() == [
        "English",
        "Français",
        "Español",
        "Português",
        "✓ العربية",
        "Kiswahili",
    ]


@pytest.mark.parametrize(
    ("payload", "source", "referrer"),
    [
        ("s_radio_kenya", "radio_kenya", None),
        ("r_Ab12Cd34", None, "Ab12Cd34"),
        ("r_<script>", None, None),
        ("x" * 70, None, None),
        ("s_", None, None),
    ],
)
async def test_deep_link_source_is_stored_and_bad_payloads_are_ignored(
    sandbox: BotApiServer,
    bot: JfaApplication,
    bot_settings,
    payload: str,
    source: str | None,
    referrer: str | None,
) -> None:
    visitor = sandbox.user(105, language_code="en")
    [landing] = await visitor.ask(f"/start {payload}")
    if source or referrer:  # a campaign or share link opens the petition, one tap to sign
        assert "✍️ Sign with another name" in landing.button_labels()
    else:
        assert landing.plain.startswith(WELCOME_START)
    store: Store = bot.bot_data["store"]
    user = await store.users.get(105)
    assert user is not None
    assert (user.source, user.referrer_code) == (source, referrer)


async def test_unknown_input_gets_a_polite_translated_reply(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    kioko = sandbox.user(106, language_code="sw")
    expected = Translator.for_locale("sw").gettext(NOT_UNDERSTOOD)
    replies = [
        await kioko.ask("/nosuchcommand"),
        await kioko.ask("hello there"),
        await kioko.ask("<b>not html</b> & more"),
    ]
    await kioko.send_sticker()
    replies.append(await kioko.wait())
    await kioko.send_photo()
    replies.append(await kioko.wait())
    await kioko.send_voice()
    replies.append(await kioko.wait())
    assert [r[0].plain for r in replies] == [expected] * 6
    assert all(r[0].buttons for r in replies)


async def test_privacy_and_help_answer_in_the_users_language(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    pt = Translator.for_locale("pt")
    user = sandbox.user(107, language_code="pt-br")
    [privacy] = await user.ask("/privacy")
    assert privacy_text(pt) != privacy_text(EN)
    assert privacy.plain == visible(privacy_text(pt, backup_days=30))
    # How long backups keep what a person erased is said, in their language.
    assert "30 dias" in privacy.plain
    [help_message] = await user.ask("/help")
    assert "/language" in help_message.plain
    assert pt.gettext("Choose your language") in help_message.plain


async def test_group_commands_point_to_a_private_chat(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    group = sandbox.group(-100500, title="Defenders network")
    member = sandbox.user(108, language_code="en")
    await member.send("/start", chat=group)
    await sandbox_wait_group(sandbox, -100500)
    [invite] = sandbox.messages_in(-100500)
    assert invite.plain == EN.gettext(
        "Let's talk in a private chat: your answers there stay between you and the campaign."
    )
    assert invite.buttons[0][0].url == "https://t.me/jfa_test_bot?start=s_group"
    assert member.messages == []


async def sandbox_wait_group(sandbox: BotApiServer, chat_id: int) -> None:
    import asyncio

    for _ in range(200):
        if sandbox.messages_in(chat_id):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot never answered in the group")


@pytest.mark.parametrize("data", ["l:xx", "l:", "zz:1", "m:nosuch", "l:fr:extra", "m:" + "a" * 60])
async def test_forged_or_stale_buttons_are_refused_and_change_nothing(
    sandbox: BotApiServer, bot: JfaApplication, data: str
) -> None:
    user = sandbox.user(109, language_code="en")
    [welcome] = await user.ask("/start")
    answer = await user.press_raw(data, message_id=welcome.message_id)
    assert answer.text == EN.gettext("This button has expired. Please use /start.")
    store: Store = bot.bot_data["store"]
    record = await store.users.get(109)
    assert record is not None and record.locale is None
    assert len(user.messages) == 1


async def test_commands_and_descriptions_are_published_in_every_language(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    await bot.bot_data[PROFILE_KEY]  # published while the bot already answers
    for locale in ("en", "fr", "es", "pt", "ar", "sw"):
        t = Translator.for_locale(locale)
        commands = sandbox.commands(language_code=locale)
        assert [c["command"] for c in commands] == [
            "start",
            "sign",
            "count",
            "actionpack",
            "brief",
            "webinar",
            "spotlight",
            "weeks",
            "subscribe",
            "unsubscribe",
            "settings",
            "language",
            "privacy",
            "mydata",
            "withdraw",
            "forget",
            "cancel",
            "help",
        ]
        assert commands[11]["description"] == t.gettext("Choose your language")
        assert sandbox.short_description(locale) == t.gettext(
            "Sign the petition to fund and protect grassroots justice defenders."
        )
    assert sandbox.commands(language_code=None)[0]["description"] == "Main menu"


async def test_an_unexpected_error_is_logged_and_the_user_gets_an_apology(
    sandbox: BotApiServer, run_bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: Update, context: object) -> None:
        raise RuntimeError("a bug in a handler")

    user = sandbox.user(110, language_code="es")
    with caplog.at_level(logging.ERROR, logger="jfa_bot"):
        async with run_bot() as app:
            app.add_handler(CommandHandler("boom", broken), group=-2)
            [apology] = await user.ask("/boom")
    es = Translator.for_locale("es")
    assert apology.plain == es.gettext(
        "Sorry, something went wrong on our side. Please try again in a moment."
    )
    assert apology.button_labels() == [es.gettext("🏠 Main menu")]  # a way on, not a dead end
    assert any("a bug in a handler" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


async def test_the_token_never_appears_in_debug_logs(
    sandbox: BotApiServer, run_bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    user = sandbox.user(111, language_code="en")
    with caplog.at_level(logging.DEBUG):
        async with run_bot():
            await user.ask("/start")
            await user.tap("m:language")
            await user.tap("l:sw", n=2)
            sandbox.faults.fail_next_5xx = 1
            await user.send("/help")
            await user.quiet(0.5)
            await user.ask("/privacy")
    assert caplog.records, "nothing was logged at DEBUG: the test would prove nothing"
    secret = TEST_TOKEN.split(":", 1)[1]
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (record.exc_text or "")
    assert secret not in caplog.text
