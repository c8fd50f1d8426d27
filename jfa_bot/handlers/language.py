"""/language: each language listed in its own name; the choice is stored."""

from __future__ import annotations

from telegram import Update

from jfa_bot.context import BotContext
from jfa_bot.handlers.common import expired_button, reply
from jfa_bot.handlers.start import send_welcome
from jfa_bot.i18n import LANGUAGE_NAMES
from jfa_bot.keyboards import Kind, language_keyboard, parse

__all__ = ["choose_language", "show_languages"]


async def show_languages(update: Update, context: BotContext) -> None:
    """Show the language picker."""
    text = context.t.gettext("Choose your language:")
    markup = language_keyboard(context.settings.locales, context.t.locale)
    await reply(update, text, markup, edit=update.callback_query is not None)
    if update.callback_query:
        await update.callback_query.answer()


async def choose_language(update: Update, context: BotContext) -> None:
    """Store the chosen language, confirm it in that language and show the welcome."""
    query = update.callback_query
    parsed = parse(query.data if query else None)
    if (
        query is None
        or parsed is None
        or parsed.kind is not Kind.LANGUAGE
        or len(parsed.args) != 1
    ):
        await expired_button(update, context)
        return
    code = parsed.args[0]
    if code not in context.settings.locales:
        await expired_button(update, context)
        return
    await context.store.users.set_locale(query.from_user.id, code)
    t = context.use_locale(code, None)
    await query.answer()
    confirmation = t.gettext("✓ Language: {language}").format(language=LANGUAGE_NAMES[code])
    await reply(update, confirmation, edit=True)
    await send_welcome(update, context)
