"""/help, /privacy and the main-menu buttons that lead to them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update

from jfa_bot.commands import describe_commands
from jfa_bot.context import BotContext
from jfa_bot.handlers import petition, requests, resources, signer, spotlight, start
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


def privacy_text(
    t: Translator, retention_days: int | None = None, backup_days: int | None = None
) -> str:
    """Return the privacy notice: what is kept, why, for how long, and the user's rights."""
    text = t.gettext(
        "<b>Your data and privacy</b>\n\n"
        "<b>What we keep.</b> Your Telegram user id, the language you use, when you first "
        "and last wrote to the bot, and the campaign link that brought you here, if any. "
        "If you sign: the name, country and organisation you give, your answer to the "
        "hand-over question, the petition and consent versions and the time you signed. "
        "If you ask for it: your weekly spotlight subscription, and which campaign "
        "messages were sent to you. Each consent is recorded with its time. We do not keep "
        "your Telegram name, username or phone number.\n\n"
        "<b>Why.</b> To count your signature, to answer you in your language, and to see "
        "how people find the campaign.\n\n"
        "<b>What governments receive.</b> The number of signatures, in total and by "
        "country, at the UN General Assembly. Your name and organisation are in the list "
        "handed to them only if you said yes to exactly that; otherwise only the counts "
        "include you. We never sell your data.\n\n"
        "<b>Who sees it.</b> The campaign's organizers. The names and organisations of "
        "signers who did not say yes are never exported. If you came here through a link "
        "someone shared, that person can see how many people signed through it, but not "
        "who: if nobody else did, they can tell that you signed.\n\n"
        "<b>For how long.</b> Until the end of the campaign, or until you erase it.\n\n"
        "<b>Your rights.</b> /mydata shows and sends you everything we hold. /withdraw "
        "removes your signature. /forget erases everything about you, for good, and deletes "
        "the bot's messages here that show your name. /cancel stops a form: nothing is "
        "saved until you agree and sign, and a cancelled form leaves nothing behind."
    )
    if retention_days:
        text += "\n\n" + t.ngettext(
            "Names and organisations are removed {n} day after signing; countries and "
            "counts are kept.",
            "Names and organisations are removed {n} days after signing; countries and "
            "counts are kept.",
            retention_days,
        ).format(n=t.number(retention_days))
    if backup_days:
        text += "\n\n" + t.ngettext(
            "What you erase stays in our backup copies until they are deleted, {n} day "
            "after they are made.",
            "What you erase stays in our backup copies until they are deleted, {n} days "
            "after they are made.",
            backup_days,
        ).format(n=t.number(backup_days))
    return text


async def privacy(update: Update, context: BotContext) -> None:
    """Say what is kept, why, for how long, and how to see or erase it."""
    settings = context.settings
    text = privacy_text(context.t, settings.retention_days, settings.backup_retention_days)
    await reply(update, text)


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
    if item in _ANSWERED_BY_HANDLER:
        await _ANSWERED_BY_HANDLER[item](update, context)
        return
    await query.answer()
    await _PLAIN_ENTRIES[item](update, context)


# Entries whose handler answers the button itself (they also serve commands).
_ANSWERED_BY_HANDLER: dict[MenuItem, Callable[[Update, BotContext], Awaitable[None]]] = {
    MenuItem.LANGUAGE: show_languages,
    MenuItem.SIGN: petition.begin,
    MenuItem.COUNT: signer.count,
    MenuItem.ACTION_PACK: resources.action_pack,
    MenuItem.BRIEF: resources.brief,
    MenuItem.WEBINAR: requests.webinar,
}
# Entries that only send a message: the menu answers the button first.
_PLAIN_ENTRIES: dict[MenuItem, Callable[[Update, BotContext], Awaitable[None]]] = {
    MenuItem.SPOTLIGHT: spotlight.show_spotlight,
    MenuItem.PRIVACY: privacy,
    MenuItem.HELP: help_command,
    MenuItem.HOME: start.send_welcome,
}
