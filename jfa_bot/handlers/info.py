"""/help, /privacy and the main-menu buttons that lead to them."""

from __future__ import annotations

from html import escape

from telegram import Update

from jfa_bot.commands import describe_commands
from jfa_bot.context import BotContext
from jfa_bot.handlers.common import expired_button, reply
from jfa_bot.handlers.language import show_languages
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import Kind, MenuItem, main_menu, parse

__all__ = ["help_command", "menu", "privacy", "privacy_text"]


async def help_command(update: Update, context: BotContext) -> None:
    """List what the bot can do, in the user's language."""
    t = context.t
    lines = [t.gettext("<b>What I can do</b>"), ""]
    lines += [f"/{command} — {escape(text)}" for command, text in describe_commands(t)]
    lines += ["", t.gettext("You can also use the buttons below.")]
    await reply(update, "\n".join(lines), main_menu(t))


def privacy_text(t: Translator) -> str:
    """Return the privacy notice: what is kept, why, for how long, and the user's rights."""
    return t.gettext(
        "<b>Your data and privacy</b>\n\n"
        "<b>What we keep.</b> Your Telegram user id, the language you use, when you first "
        "and last wrote to the bot, and the campaign link that brought you here, if any. "
        "We do not keep your Telegram name, username or phone number.\n\n"
        "<b>Why.</b> To answer you in your language and to count how people find the "
        "campaign.\n\n"
        "<b>For how long.</b> Until the end of the campaign, or until you ask us to erase it.\n\n"
        "<b>Who sees it.</b> Only the campaign's organizers. We never sell or share it.\n\n"
        "<b>Your rights.</b> You can ask to see or erase your data at any time by writing to "
        "the organizers; in-bot tools to download and erase everything are coming."
    )


async def privacy(update: Update, context: BotContext) -> None:
    """Say what is kept, why, for how long, and how to see or erase it."""
    await reply(update, privacy_text(context.t))


async def menu(update: Update, context: BotContext) -> None:
    """Open the main-menu entry whose button was pressed."""
    query = update.callback_query
    parsed = parse(query.data if query else None)
    if query is None or parsed is None or parsed.kind is not Kind.MENU or len(parsed.args) != 1:
        await expired_button(update, context)
        return
    try:
        item = MenuItem(parsed.args[0])
    except ValueError:
        await expired_button(update, context)
        return
    if item is MenuItem.LANGUAGE:
        await show_languages(update, context)
        return
    await query.answer()
    if item is MenuItem.PRIVACY:
        await privacy(update, context)
    elif item is MenuItem.HELP:
        await help_command(update, context)
