"""The organizer's live progress message, edited every few seconds, and the final report."""

from __future__ import annotations

import logging
import time
from html import escape

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from jfa_bot.broadcast.engine import RunStats
from jfa_bot.context import translator_for_user
from jfa_bot.i18n import LANGUAGE_NAMES, Translator
from jfa_bot.keyboards import Kind, button
from jfa_bot.settings import Settings
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import Broadcast, BroadcastState, DeliveryState, Progress

__all__ = ["EDIT_INTERVAL", "ProgressReporter", "progress_text", "state_name"]

log = logging.getLogger(__name__)

#: Seconds between two edits of a progress message (Telegram dislikes faster edits).
EDIT_INTERVAL = 3.0
_BAR = 12


def _bar(done: int, total: int) -> str:
    share = done / total if total else 1.0
    filled = round(share * _BAR)
    return "▓" * filled + "░" * (_BAR - filled) + f" {round(share * 100)}%"


def state_name(t: Translator, state: BroadcastState) -> str:
    """Return a broadcast state in the organizer's language."""
    return {
        BroadcastState.RUNNING: t.gettext("sending"),
        BroadcastState.PAUSED: t.gettext("paused"),
        BroadcastState.CANCELLED: t.gettext("cancelled"),
        BroadcastState.DONE: t.gettext("finished"),
        BroadcastState.ABORTED: t.gettext("stopped: the message was refused"),
    }[state]


def progress_text(
    t: Translator, broadcast: Broadcast, progress: Progress, rate: float, *, final: bool
) -> str:
    """Return the progress (or, when `final`, the report) of a broadcast."""
    total = progress.total
    sent = progress.count(DeliveryState.SENT)
    blocked = progress.count(DeliveryState.BLOCKED)
    failed = progress.count(DeliveryState.FAILED)
    retryable = progress.count(DeliveryState.RETRYABLE)
    remaining = progress.remaining
    done = total - remaining
    # Once cancelled or stopped, what is left will never be sent: it is its own count,
    # neither "remaining" (nothing is coming) nor "not delivered" (nothing was tried).
    stopped = broadcast.state in {BroadcastState.CANCELLED, BroadcastState.ABORTED}
    counts = (
        t.gettext(
            "Sent: {sent} · Blocked: {blocked} · Failed: {failed} · "
            "To retry: {retryable} · Not sent: {remaining}"
        )
        if stopped
        else t.gettext(
            "Sent: {sent} · Blocked: {blocked} · Failed: {failed} · "
            "To retry: {retryable} · Remaining: {remaining}"
        )
    )
    lines = [
        t.gettext("📣 <b>{label}</b> — {state}").format(
            label=escape(broadcast.label), state=state_name(t, broadcast.state)
        ),
        _bar(done, total),
        counts.format(
            sent=t.number(sent),
            blocked=t.number(blocked),
            failed=t.number(failed),
            retryable=t.number(retryable),
            remaining=t.number(remaining),
        ),
    ]
    if broadcast.state is BroadcastState.RUNNING and rate > 0:
        seconds = round(remaining / rate)
        lines.append(
            t.ngettext(
                "Rate: {rate}/s · about {n} second left",
                "Rate: {rate}/s · about {n} seconds left",
                seconds,
            ).format(rate=t.number(round(rate, 1)), n=t.number(seconds))
        )
    if final:
        lines += ["", t.gettext("<b>By language</b>")]
        for locale, states in sorted(progress.by_locale.items()):
            unsent = states.get("pending", 0) + states.get("sending", 0)
            line = (
                t.gettext(
                    "{language}: {sent} sent, {blocked} blocked, {other} not delivered, "
                    "{unsent} not sent"
                )
                if unsent
                else t.gettext("{language}: {sent} sent, {blocked} blocked, {other} not delivered")
            )
            lines.append(
                line.format(
                    language=LANGUAGE_NAMES.get(locale, locale),
                    sent=t.number(states.get("sent", 0)),
                    blocked=t.number(states.get("blocked", 0)),
                    # tried and failed, for good or until a retry
                    other=t.number(states.get("failed", 0) + states.get("retryable", 0)),
                    unsent=t.number(unsent),
                )
            )
        if broadcast.error:
            lines += [
                "",
                t.gettext("Telegram refused the message: {error}").format(
                    error=escape(broadcast.error)
                ),
            ]
    return "\n".join(lines)


def control_buttons(
    t: Translator, broadcast: Broadcast, progress: Progress
) -> InlineKeyboardMarkup | None:
    """Return Pause/Resume/Cancel while it runs, Retry when some are left retryable."""
    ident = str(broadcast.id)
    if broadcast.state is BroadcastState.RUNNING:
        rows = [
            [
                button(t.gettext("⏸ Pause"), Kind.ADMIN, "pause", ident),
                button(t.gettext("✖ Cancel"), Kind.ADMIN, "cancel", ident),
            ]
        ]
    elif broadcast.state is BroadcastState.PAUSED:
        rows = [
            [
                button(t.gettext("▶ Resume"), Kind.ADMIN, "resume", ident),
                button(t.gettext("✖ Cancel"), Kind.ADMIN, "cancel", ident),
            ]
        ]
    elif progress.count(DeliveryState.RETRYABLE):
        rows = [[button(t.gettext("🔁 Retry the failed"), Kind.ADMIN, "retry", ident)]]
    else:
        return None
    return InlineKeyboardMarkup(rows)


class ProgressReporter:
    """Edit each broadcast's progress message at most every EDIT_INTERVAL seconds."""

    def __init__(self, bot: ExtBot[None], store: Store, settings: Settings) -> None:
        self._bot = bot
        self._store = store
        self._settings = settings
        self._last_edit: dict[int, float] = {}
        self._alerted: set[int] = set()

    async def translator_for(self, user_id: int | None) -> Translator:
        """Return the organizer's translator."""
        return await translator_for_user(self._store, self._settings, user_id)

    async def __call__(self, broadcast: Broadcast, stats: RunStats, finished: bool) -> None:
        """Update the progress message (the engine's progress hook)."""
        now = time.monotonic()
        if not finished and now - self._last_edit.get(broadcast.id, 0.0) < EDIT_INTERVAL:
            return
        self._last_edit[broadcast.id] = now
        await self.show(broadcast, stats.rate(), final=finished)

    async def show(self, broadcast: Broadcast, rate: float = 0.0, *, final: bool = False) -> None:
        """Edit (or first send) the progress message of a broadcast."""
        if broadcast.report_chat_id is None:
            return
        # Every edit counts against the one-per-second pace of the organizer's chat.
        self._last_edit[broadcast.id] = time.monotonic()
        current = await self._store.broadcasts.get(broadcast.id) or broadcast
        t = await self.translator_for(current.created_by or current.report_chat_id)
        progress = await self._store.broadcasts.progress(current.id)
        final = final or current.state not in {BroadcastState.RUNNING, BroadcastState.PAUSED}
        text = progress_text(t, current, progress, rate, final=final)
        markup = control_buttons(t, current, progress)
        await self._publish(current, text, markup)
        aborted = current.state is BroadcastState.ABORTED
        if aborted and current.report_chat_id and current.id not in self._alerted:
            self._alerted.add(current.id)
            await self._bot.send_message(
                current.report_chat_id,
                t.gettext(
                    "⚠️ The broadcast was stopped after the first refusal, so the same error "
                    "did not repeat for every subscriber. Fix the message and send it again."
                ),
            )

    async def _publish(
        self, current: Broadcast, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the progress message, or send it when there is none yet."""
        assert current.report_chat_id is not None
        if current.report_message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text, current.report_chat_id, current.report_message_id, reply_markup=markup
                )
                return
            except BadRequest as error:
                if "not modified" in error.message.lower():
                    return
                log.info("Progress message gone (%s); sending a new one", error)
        try:
            message = await self._bot.send_message(
                current.report_chat_id, text, reply_markup=markup
            )
        except TelegramError as error:
            log.warning("Could not show broadcast progress: %s", error)
            return
        await self._store.broadcasts.set_report_message(current.id, message.message_id)
