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
from jfa_bot.handlers.petition import content_of
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
    text = "\n\n".join(
        [
            f"<b>{escape(petition.title)}</b>",
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
