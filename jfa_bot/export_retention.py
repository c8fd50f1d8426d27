"""Exports holding names leave the organizers' chats: after a while, or when a name goes.

A file the bot sends an organizer (the signatures CSV, the hand-over pack) would stay in
that Telegram chat for ever, and with it the names of people who later erased their data.
Each one is recorded in the store (`sent_exports`) and deleted with deleteMessage:

- `JFA_EXPORT_KEEP_HOURS` after it was sent (a one-off job at that time, and a periodic
  sweep that also catches up, soon after start, on files due while the bot was down);
- at once when a signer whose name it may hold takes it back (forget, withdraw, off the
  hand-over list): the store makes those files due in the erasure's own transaction, and
  the handler sweeps right after it answers. Each organizer chat that lost a file this
  way gets one short note, without a name, so a vanished file is not a mystery.

Telegram refuses to delete a message after 48 hours, or one already deleted: that is
logged without any id and the record dropped (there is nothing more the bot can do). A
passing failure (429, timeout, network, 5xx) keeps the record, still due, for the next
sweep. An export is noted before it is built (a placeholder, see
:meth:`SentExports.begin`), so a name taken back while it is built or uploaded still
takes it along.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from typing import Any

from telegram import Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import JobQueue

from jfa_bot.context import BotContext, translator_for_user
from jfa_bot.i18n import Translator

__all__ = [
    "SWEEP_EVERY",
    "abandon_export",
    "begin_export",
    "delete_due_exports",
    "export_caption",
    "remember_export",
    "sweep_exports",
]

log = logging.getLogger(__name__)

#: Seconds between two sweeps for files that are due (each file also has its own job).
SWEEP_EVERY = 600
_LOCK_KEY = "export_sweep_lock"
_JOB_NAME = "delete-export"
#: A placeholder this old belongs to an export that was never sent (Telegram could not
#: delete it by now anyway).
_UNSENT_AFTER = dt.timedelta(hours=48)


def _hours(t: Translator, hours: float) -> tuple[str, int]:
    """Return the hours as shown (no ".0" for whole hours) and the count for plurals.

    gettext picks a plural form from a whole number. For a fraction of an hour the count
    is the first whole number in the same CLDR plural category as the fraction, so that
    "1.5" takes the form a fraction takes in that language ("1,5 heure", "1.5 hours",
    Arabic's "other" form with the number in it), not the form of 2 (Arabic's dual,
    "ساعتين", which says two hours and shows no number) or of 1 ("0.5 hour").
    """
    if hours == int(hours):
        return t.number(int(hours)), int(hours)
    rule = t.babel_locale.plural_form
    category = rule(hours)
    count = next((n for n in range(1000) if rule(n) == category), math.ceil(hours))
    return t.number(hours), count


def export_caption(t: Translator, hours: float) -> str:
    """Return the caption of an export that holds names: when it goes, and to keep it safe."""
    shown, count = _hours(t, hours)
    return t.ngettext(
        "This file holds signers' names. It will be deleted from this chat after {n} hour, "
        "or sooner if someone in it takes their name back. Keep any copy you download safe.",
        "This file holds signers' names. It will be deleted from this chat after {n} hours, "
        "or sooner if someone in it takes their name back. Keep any copy you download safe.",
        count,
    ).format(n=shown)


async def begin_export(context: BotContext, chat_id: int, kind: str) -> int:
    """Note an export about to be built for this chat; return its placeholder.

    Pass the placeholder to :func:`remember_export` once the file is sent, and to
    :func:`abandon_export` in any case (it does nothing once the file was recorded).
    """
    keep = dt.timedelta(hours=context.settings.export_keep_hours)
    return await context.store.sent_exports.begin(chat_id, kind, keep=keep)


async def remember_export(
    context: BotContext, message: Message, kind: str, placeholder: int | None = None
) -> None:
    """Record an export just sent and schedule its deletion (durably: a restart keeps it).

    If a signer took their name back while it was built or on its way, it goes at once.
    """
    keep = dt.timedelta(hours=context.settings.export_keep_hours)
    taken_back = await context.store.sent_exports.record(
        message.chat_id, message.message_id, kind, keep=keep, placeholder=placeholder
    )
    if taken_back:
        await sweep_exports(context)
        return
    jobs: JobQueue[Any] | None = context.job_queue
    if jobs is not None:
        # One second late, so the record (stored to the second) is surely due by then.
        jobs.run_once(delete_due_exports, when=keep + dt.timedelta(seconds=1), name=_JOB_NAME)


async def abandon_export(context: BotContext, chat_id: int, placeholder: int) -> None:
    """Forget the placeholder of an export that was not sent (nothing if it was)."""
    await context.store.sent_exports.drop(chat_id, placeholder)


async def delete_due_exports(context: BotContext) -> None:
    """Job: delete the export messages whose time has come."""
    await sweep_exports(context)


async def sweep_exports(context: BotContext) -> int:
    """Delete every export message that is due; return how many Telegram deleted.

    One sweep at a time (the job and an erasure may start one together): a message is
    never deleted twice, which Telegram would answer with an error.
    """
    lock: asyncio.Lock = context.bot_data.setdefault(_LOCK_KEY, asyncio.Lock())
    store = context.store
    deleted = 0
    taken_back: dict[int, int] = {}  # organizer chat -> files removed because a name went
    async with lock:
        # Placeholders of exports a crash stopped before they were sent.
        await store.sent_exports.drop_unsent(dt.datetime.now(dt.UTC) - _UNSENT_AFTER)
        for export in await store.sent_exports.due():
            try:
                await context.bot.delete_message(export.chat_id, export.message_id)
            except TelegramError as error:
                if _passing(error):
                    log.info("Could not delete an export yet; the next sweep retries: %s", error)
                    if isinstance(error, RetryAfter):
                        break  # Telegram asks to wait: the rest are still due as well
                    continue  # still due
                # Too old (48 hours) or already deleted by the organizer: nothing more to do.
                log.info(
                    "Could not delete an export (%s) from an organizer chat: %s",
                    export.kind,
                    error,
                )
            else:
                deleted += 1
                if export.erasure:
                    taken_back[export.chat_id] = taken_back.get(export.chat_id, 0) + 1
            await store.sent_exports.drop(export.chat_id, export.message_id)
    for chat_id, count in taken_back.items():
        await _tell_organizer(context, chat_id, count)
    if deleted:
        log.info("Deleted %d export(s) from organizers' chats", deleted)
    return deleted


def _passing(error: TelegramError) -> bool:
    """Tell whether a failed deletion may work later (429, timeout, network, 5xx)."""
    if isinstance(error, RetryAfter):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def _tell_organizer(context: BotContext, chat_id: int, count: int) -> None:
    """Say, without a name, why an export vanished from this chat."""
    t = await translator_for_user(context.store, context.settings, chat_id)
    text = t.ngettext(
        "{n} export was deleted from this chat because a signer took their name back. "
        "Send /export for an up-to-date file.",
        "{n} exports were deleted from this chat because a signer took their name back. "
        "Send /export for an up-to-date file.",
        count,
    ).format(n=t.number(count))
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as error:
        log.info("Could not tell an organizer that an export was deleted: %s", error)
