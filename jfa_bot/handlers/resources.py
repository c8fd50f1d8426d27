"""/actionpack (a document in the user's language) and /brief (recommendations, paged)."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError

from jfa_bot.content import RECOMMENDATION_GROUPS, Content, Recommendation
from jfa_bot.context import BotContext
from jfa_bot.files import send_cached_document
from jfa_bot.handlers.common import expired_button, reply
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import Kind, button, parse

__all__ = ["action_pack", "brief", "brief_page", "recommendation_card"]

log = logging.getLogger(__name__)

# Failures already reported to the organizers' log, so each is logged once.
_REPORTED: set[tuple[str, str]] = set()


def content_of(context: BotContext) -> Content:
    """Return the loaded content."""
    content: Content = context.bot_data["content"]
    return content


def _group_name(t: Translator, group: str) -> str:
    return {
        "financing": t.gettext("💰 Financing"),
        "protection": t.gettext("🛡 Protection"),
    }[group]


async def action_pack(update: Update, context: BotContext) -> None:
    """Send the Action Pack as a document, with the link as a second way to get it."""
    if update.callback_query:
        await update.callback_query.answer()  # first: every press is answered
    chat = update.effective_chat
    if chat is None:
        return
    t = context.t
    pack = content_of(context).resources(t.locale).action_pack
    link = t.gettext('<a href="{url}">Open the Action Pack online</a>').format(
        url=escape(pack.url, quote=True)
    )
    caption = f"{pack.caption}\n\n{link}"
    try:
        if pack.path is None:
            raise FileNotFoundError("no Action Pack file in the content")
        await send_cached_document(context.bot, context.store, chat.id, pack.path, caption)
    except (BadRequest, NetworkError, OSError) as error:
        key = (str(pack.path), type(error).__name__)
        if key not in _REPORTED:
            _REPORTED.add(key)
            log.warning(
                "Could not send the Action Pack %s; sent the link instead: %s", pack.path, error
            )
        await reply(
            update,
            t.gettext("I could not send the file just now. You can get the Action Pack here:")
            + f"\n{escape(pack.url)}",
        )
    from jfa_bot.handlers.requests import offer_pack_form

    await offer_pack_form(update, context)


def recommendation_card(t: Translator, item: Recommendation, index: int, total: int) -> str:
    """Return one recommendation as a message section."""
    position = t.gettext("{group} · {index} of {total}").format(
        group=_group_name(t, item.group), index=t.number(index + 1), total=t.number(total)
    )
    return f"{position}\n\n<b>{escape(item.title)}</b>\n{escape(item.text)}"


def brief_page(
    t: Translator, content: Content, group: str, index: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the text and buttons of one page of the brief's recommendations."""
    resources = content.resources(t.locale)
    items = content.recommendations(t.locale)[group]
    item = items[index]
    text = f"{resources.brief.intro}\n\n{recommendation_card(t, item, index, len(items))}"
    nav = []
    if index > 0:
        nav.append(button(t.gettext("◀ Previous"), Kind.BRIEF, group, str(index - 1)))
    if index + 1 < len(items):
        nav.append(button(t.gettext("Next ▶"), Kind.BRIEF, group, str(index + 1)))
    groups = [
        button(_group_name(t, other), Kind.BRIEF, other, "0")
        for other in RECOMMENDATION_GROUPS
        if other != group
    ]
    rows = [
        nav,
        groups,
        [
            InlineKeyboardButton(
                t.gettext("📣 Share this recommendation"),
                switch_inline_query=f"rec {group} {index + 1}",
            )
        ],
        [InlineKeyboardButton(t.gettext("📄 Read the whole brief"), url=resources.brief.url)],
    ]
    return text, InlineKeyboardMarkup([row for row in rows if row])


async def brief(update: Update, context: BotContext) -> None:
    """Show the brief's first recommendation; or the page a button asks for, in place."""
    query = update.callback_query
    group, index = RECOMMENDATION_GROUPS[0], 0
    if query is not None and query.data and query.data.startswith(f"{Kind.BRIEF.value}:"):
        parsed = parse(query.data)
        items = content_of(context).recommendations(context.t.locale)
        valid = (
            parsed is not None
            and len(parsed.args) == 2
            and parsed.args[0] in items
            and parsed.args[1].isdigit()
            and int(parsed.args[1]) < len(items[parsed.args[0]])
        )
        if not valid or parsed is None:
            await expired_button(update, context)
            return
        group, index = parsed.args[0], int(parsed.args[1])
        await query.answer()
        text, markup = brief_page(context.t, content_of(context), group, index)
        await reply(update, text, markup, edit=True)
        return
    if query is not None:
        await query.answer()
    text, markup = brief_page(context.t, content_of(context), group, index)
    await reply(update, text, markup)
