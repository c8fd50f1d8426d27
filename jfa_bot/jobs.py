"""Background jobs run by PTB's JobQueue."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.error import TelegramError

from jfa_bot.context import BotContext
from jfa_bot.handlers.petition import timed_out_text
from jfa_bot.i18n import Translator, resolve_locale

__all__ = ["close_idle_forms"]

log = logging.getLogger(__name__)


async def close_idle_forms(context: BotContext) -> None:
    """Drop forms idle past the timeout (they may hold a name) and tell their users."""
    settings = context.settings
    minutes = settings.flow_timeout_minutes
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    stale = await context.store.flows.pop_stale(cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for flow in stale:
        user = await context.store.users.get(flow.user_id)
        locale = resolve_locale(
            user.locale if user else None,
            user.telegram_language if user else None,
            default=settings.default_locale,
            enabled=settings.locales,
        )
        try:
            await context.bot.send_message(
                flow.user_id, timed_out_text(Translator.for_locale(locale), minutes)
            )
        except TelegramError as error:
            log.info("Could not tell user about their closed form: %s", error)
