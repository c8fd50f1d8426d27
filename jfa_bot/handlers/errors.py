"""The error handler: log what went wrong and tell the user politely."""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from jfa_bot.alerts import ALERTS_KEY, OrganizerAlerts
from jfa_bot.context import BotContext
from jfa_bot.handlers.common import is_private
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import home_button

__all__ = ["on_error"]

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (the token is redacted by the log filter) and apologise."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("User blocked the bot: %s", error)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # PTB retries polling by itself; a failed reply cannot be apologised for either.
        # (BadRequest is a NetworkError in PTB, but it is our bug: it falls through.)
        log.warning("Network problem talking to Telegram: %s", error)
        return
    log.error("Unhandled error while processing an update", exc_info=error)
    alerts: OrganizerAlerts | None = context.bot_data.get(ALERTS_KEY)
    if alerts is not None and error is not None:
        alerts.report_soon(error)  # rate-limited; names the error's kind and line only
    if not isinstance(update, Update) or not is_private(update):
        return
    if update.callback_query is not None:
        # Already answered, or too old to answer: nothing more to do then.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    chat = update.effective_chat
    if chat is None:
        return
    t = await _translator(update, context)
    try:
        await chat.send_message(
            t.gettext("Sorry, something went wrong on our side. Please try again in a moment."),
            reply_markup=InlineKeyboardMarkup([[home_button(t)]]),
        )
    except TelegramError as send_error:
        log.warning("Could not send the apology: %s", send_error)


async def _translator(update: Update, context: BotContext) -> Translator:
    """Return the user's translator, even when the error struck before it was chosen."""
    if context.has_locale:
        return context.t
    user = update.effective_user
    language = user.language_code if user else None
    stored = None
    if user is not None:
        try:
            record = await context.store.users.get(user.id)
            stored = record.locale if record else None
        except Exception:
            log.warning("Could not read the user's language while handling an error")
    return context.use_locale(stored, language)
