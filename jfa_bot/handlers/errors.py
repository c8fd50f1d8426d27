"""The error handler: log what went wrong and tell the user politely."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from jfa_bot.context import BotContext
from jfa_bot.handlers.common import is_private

__all__ = ["on_error"]

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (the token is redacted by the log filter) and apologise."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("User blocked the bot: %s", error)
        return
    if isinstance(error, NetworkError):
        # PTB retries polling by itself; a failed reply cannot be apologised for either.
        log.warning("Network problem talking to Telegram: %s", error)
        return
    log.error("Unhandled error while processing an update", exc_info=error)
    if not isinstance(update, Update) or not is_private(update):
        return
    if update.callback_query is not None:
        # Already answered, or too old to answer: nothing more to do then.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await chat.send_message(
            context.t.gettext(
                "Sorry, something went wrong on our side. Please try again in a moment."
            )
        )
    except TelegramError as send_error:
        log.warning("Could not send the apology: %s", send_error)
