"""Organizer reports: /stats (with a chart), /export (documents), /audit.

Refused to everyone but admins with the same answer as an unknown command. Every export
is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from html import escape
from io import BytesIO

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from jfa_bot.content import Content, ContentError
from jfa_bot.context import BotContext
from jfa_bot.export_retention import (
    abandon_export,
    begin_export,
    export_caption,
    remember_export,
)
from jfa_bot.exports import count_feed, handover_zip, signatures_csv
from jfa_bot.handlers.admin import is_admin
from jfa_bot.handlers.common import expired_button, reply
from jfa_bot.handlers.fallback import not_understood
from jfa_bot.keyboards import Kind, button, parse
from jfa_bot.reports import collect_stats, render_chart, stats_text

__all__ = ["audit", "export_menu", "on_export_button", "reload_content", "stats"]

log = logging.getLogger(__name__)

_PROGRESS_EVERY = 2.0  # seconds between two edits of an export's progress message
_EXPORTS = ("signatures", "handover", "counts")
# Exports with names: deleted from the chat after a while (the count feed is public).
_HOLDS_NAMES = frozenset({"signatures", "handover"})


async def stats(update: Update, context: BotContext) -> None:
    """Send the campaign's figures and a chart."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    chat = update.effective_chat
    if chat is None:
        return
    figures = await collect_stats(context.store, context.settings.zone)
    await reply(update, stats_text(context.t, figures))
    if figures.total:
        today = dt.datetime.now(context.settings.zone).date()
        png = await render_chart(context.t, figures, today)  # drawn in a worker thread
        await chat.send_photo(BytesIO(png), filename="signatures.png")


async def audit(update: Update, context: BotContext) -> None:
    """Show the latest organizer actions."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    entries = await context.store.audit.latest(20)
    if not entries:
        await reply(update, context.t.gettext("The audit log is empty."))
        return
    lines = [context.t.gettext("<b>Latest organizer actions</b>")]
    lines += [
        f"{entry.at} · {entry.actor or '—'} · {escape(entry.action)} {escape(entry.detail or '')}"
        for entry in entries
    ]
    await reply(update, "\n".join(lines))


async def export_menu(update: Update, context: BotContext) -> None:
    """Offer the three exports."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    t = context.t
    rows = [
        [button(t.gettext("📄 Signatures (CSV)"), Kind.EXPORT, "signatures")],
        [button(t.gettext("🗂 Hand-over pack by country (ZIP)"), Kind.EXPORT, "handover")],
        [button(t.gettext("🔢 Public count (JSON)"), Kind.EXPORT, "counts")],
    ]
    await reply(
        update,
        t.gettext("Which export? Withheld names are never included."),
        InlineKeyboardMarkup(rows),
    )


async def on_export_button(update: Update, context: BotContext) -> None:
    """Build the export asked for, with a live progress bar, and send it as a document."""
    query = update.callback_query
    if query is None:
        return
    t = context.t
    parsed = parse(query.data)
    if not is_admin(update, context):
        log.warning("Refused export button %r from non-admin %s", query.data, query.from_user.id)
        await expired_button(update, context)
        return
    if parsed is None or len(parsed.args) != 1 or parsed.args[0] not in _EXPORTS:
        await expired_button(update, context)
        return
    await query.answer()
    kind = parsed.args[0]
    total = await context.store.signatures.total()
    status = await reply(update, t.gettext("Preparing the export…"), edit=True)
    last = [0.0]

    async def progress(done: int) -> None:
        now = time.monotonic()
        if not isinstance(status, Message) or now - last[0] < _PROGRESS_EVERY:
            return
        last[0] = now
        share = done / total if total else 1.0
        bar = "▓" * round(share * 12) + "░" * (12 - round(share * 12))
        text = t.gettext("Exporting… {bar} {done} of {total}").format(
            bar=bar, done=t.number(done), total=t.number(total)
        )
        try:
            await status.edit_text(text)
        except TelegramError as error:
            log.info("Could not update the export progress: %s", error)

    chat = update.effective_chat
    # Noted before it is built: a name taken back meanwhile still takes the file along.
    placeholder = (
        await begin_export(context, chat.id, kind)
        if chat is not None and kind in _HOLDS_NAMES
        else None
    )
    try:
        stamp = dt.datetime.now(context.settings.zone).strftime("%Y-%m-%d")
        if kind == "signatures":
            data, name = await signatures_csv(context.store, progress), f"signatures-{stamp}.csv"
        elif kind == "handover":
            data, name = await handover_zip(context.store, progress), f"handover-{stamp}.zip"
        else:
            floor = context.settings.public_country_min  # the feed is meant to be published
            data, name = await count_feed(context.store, min_count=floor), f"counts-{stamp}.json"
        await context.store.audit.add(query.from_user.id, "export", name)
        if chat is not None:
            hours = context.settings.export_keep_hours
            caption = export_caption(t, hours) if placeholder is not None else None
            sent = await chat.send_document(BytesIO(data), filename=name, caption=caption)
            if placeholder is not None:
                await remember_export(context, sent, kind, placeholder)  # deleted later
    finally:
        if chat is not None and placeholder is not None:
            await abandon_export(context, chat.id, placeholder)  # if it was never sent
    if isinstance(status, Message):
        await status.edit_text(
            t.ngettext(
                "Export ready: {n} signature.", "Export ready: {n} signatures.", total
            ).format(n=t.number(total))
        )


async def reload_content(update: Update, context: BotContext) -> None:
    """Read the content folder again; keep the old content if the new one is invalid."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    t = context.t
    current: Content = context.bot_data["content"]
    user = update.effective_user
    try:
        fresh = current.reload()
    except ContentError as error:
        problems = str(error).splitlines()
        text = t.ngettext(
            "The content has {n} problem; the bot keeps using the previous content:",
            "The content has {n} problems; the bot keeps using the previous content:",
            len(problems),
        ).format(n=len(problems))
        listed = "\n".join(f"• <code>{escape(p)}</code>" for p in problems[:20])
        await reply(update, f"{text}\n{listed}")
        await context.store.audit.add(user.id if user else None, "content_reload", "refused")
        return
    context.bot_data["content"] = fresh
    await context.store.audit.add(
        user.id if user else None, "content_reload", str(fresh.directory)
    )
    await reply(update, t.gettext("The content was reloaded."))
