"""/start with its deep-link payload, the welcome and the main menu."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Update

from jfa_bot.context import BotContext
from jfa_bot.handlers import petition
from jfa_bot.handlers.common import reply
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import main_menu

__all__ = ["DeepLink", "parse_payload", "send_welcome", "start", "welcome_text"]

_REFERRAL = re.compile(r"^r_([A-Za-z0-9]{4,16})$")
_SOURCE = re.compile(r"^s_([A-Za-z0-9_-]{1,60})$")


@dataclass(frozen=True, slots=True)
class DeepLink:
    """What a /start payload told us about how the user arrived."""

    referrer_code: str | None = None
    source: str | None = None


def parse_payload(payload: str | None) -> DeepLink:
    """Read `r_<code>` (a signer's share link) or `s_<source>` (a campaign source)."""
    if not payload or len(payload) > 64:
        return DeepLink()
    if match := _REFERRAL.match(payload):
        return DeepLink(referrer_code=match.group(1))
    if match := _SOURCE.match(payload):
        return DeepLink(source=match.group(1).lower())
    return DeepLink()


def welcome_text(t: Translator) -> str:
    """Return the welcome message in the translator's language."""
    return t.gettext(
        "<b>Justice For All</b> ⚖️\n\n"
        "More than four billion people live outside the protection of the law. "
        "Grassroots justice defenders — community paralegals and local organisations — "
        "help people know, use and shape the law. They are underfunded and under threat.\n\n"
        "We are asking world leaders to keep their UN promise of equal access to justice "
        "by <b>funding and protecting grassroots justice defenders</b>.\n\n"
        "What would you like to do?"
    )


async def send_welcome(update: Update, context: BotContext) -> None:
    """Send the welcome with the main menu."""
    await reply(update, welcome_text(context.t), main_menu(context.t))


async def start(update: Update, context: BotContext) -> None:
    """Greet the user and show the main menu; a share or campaign link opens the petition.

    Whoever follows a link came to sign: they land on the petition with its sign button,
    one tap from the form, instead of on a menu where they would have to find it.
    """
    user = update.effective_user
    if user is None:
        return
    link = parse_payload(context.args[0] if context.args else None)
    if link.source or link.referrer_code:
        await context.store.users.touch(
            user.id, user.language_code, source=link.source, referrer_code=link.referrer_code
        )
        await petition.begin(update, context)
        return
    await send_welcome(update, context)
