"""Inline mode: share a card with the live count from any chat."""

from __future__ import annotations

from html import escape
from uuid import uuid4

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)

from jfa_bot.context import BotContext
from jfa_bot.handlers.resources import content_of, recommendation_card
from jfa_bot.handlers.signer import share_link

__all__ = ["share_card"]


async def share_card(update: Update, context: BotContext) -> None:
    """Offer a "Sign the petition — N signatures so far" card in the sharer's language."""
    query = update.inline_query
    if query is None:
        return
    t = context.t
    total = await context.store.signatures.total()
    signature = await context.store.signatures.get(query.from_user.id)
    petition = content_of(context).petition(t.locale)
    title = t.ngettext(
        "Sign the petition — {n} signature so far",
        "Sign the petition — {n} signatures so far",
        total,
    ).format(n=t.number(total))
    recommendation = _recommendation(context, query.query)
    if recommendation is not None:
        title = t.gettext("Share this recommendation")
    text = "\n\n".join(
        [
            recommendation or f"<b>{escape(petition.title)}</b>",
            t.gettext(
                "World leaders promised equal access to justice. Grassroots justice defenders "
                "make it real, and they need funding and protection. Add your name:"
            ),
            "#TipTheScales #JusticeForAll",
        ]
    )
    link = share_link(context.bot.username, signature)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("✍️ Sign the petition"), url=link)]]
    )
    result = InlineQueryResultArticle(
        id=uuid4().hex,
        title=title,
        description=petition.title,
        input_message_content=InputTextMessageContent(text),
        reply_markup=markup,
    )
    await query.answer([result], cache_time=10, is_personal=True)


def _recommendation(context: BotContext, query: str) -> str | None:
    """Return the card of the recommendation named by `rec <group> <n>`, if any."""
    parts = query.split()
    if len(parts) != 3 or parts[0] != "rec" or not parts[2].isdigit():
        return None
    items = content_of(context).recommendations(context.t.locale).get(parts[1], ())
    index = int(parts[2]) - 1
    if not 0 <= index < len(items):
        return None
    return recommendation_card(context.t, items[index], index, len(items))
