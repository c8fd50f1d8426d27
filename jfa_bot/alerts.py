"""Tell organizers in Telegram when a handler or a broadcast fails.

A report names the kind of error and the line of code, never the error's message, the
update or the user (the message can quote what someone typed; the token is never in a
report). The same failure at the same place is reported at most once every
:data:`ALERT_EVERY` seconds; the next report says how many were left out.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from jfa_bot.context import translator_for_user
from jfa_bot.settings import Settings
from jfa_bot.store import Store

__all__ = ["ALERTS_KEY", "ALERT_EVERY", "OrganizerAlerts", "error_place"]

log = logging.getLogger(__name__)

ALERT_EVERY = 600.0
ALERTS_KEY = "alerts"  # where the Application keeps its OrganizerAlerts (bot_data)


def error_place(error: BaseException) -> str:
    """Return where an error was raised: `file.py:line (function)`, or '?' if unknown."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})"


class OrganizerAlerts:
    """Send rate-limited error reports to every organizer, in their language."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        settings: Settings,
        *,
        every: float = ALERT_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._store = store
        self._settings = settings
        self._every = every
        self._clock = clock
        self._last: dict[tuple[str, str, str], float] = {}
        self._skipped: Counter[tuple[str, str, str]] = Counter()
        self._tasks: set[asyncio.Task[bool]] = set()
        self.sent = 0

    def report_soon(self, error: BaseException, *, broadcast_id: int | None = None) -> None:
        """Report in the background (from a callback that cannot await)."""
        task = asyncio.get_running_loop().create_task(
            self.report(error, broadcast_id=broadcast_id)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def report(self, error: BaseException, *, broadcast_id: int | None = None) -> bool:
        """Report the error unless the same one was reported lately; True if sent."""
        kind, place = type(error).__name__, error_place(error)
        key = ("broadcast" if broadcast_id is not None else "update", kind, place)
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            self._skipped[key] += 1
            return False
        self._last[key] = now
        skipped = self._skipped.pop(key, 0)
        for admin_id in self._settings.admin_ids:
            t = await translator_for_user(self._store, self._settings, admin_id)
            values = {"error": html.escape(kind), "place": html.escape(place)}
            if broadcast_id is None:
                text = t.gettext(
                    "⚠️ The bot hit an error while handling an update: {error} at {place}. "
                    "The log has the details."
                ).format(**values)
            else:
                text = t.gettext(
                    "⚠️ Broadcast {number} stopped because of an error: {error} at {place}. "
                    "The log has the details."
                ).format(number=broadcast_id, **values)
            if skipped:
                text += "\n" + t.ngettext(
                    "The same error happened {count} more time since the last report.",
                    "The same error happened {count} more times since the last report.",
                    skipped,
                ).format(count=skipped)
            try:
                await self._bot.send_message(admin_id, text)
                self.sent += 1
            except TelegramError as send_error:
                log.warning("Could not send an error report to an organizer: %s", send_error)
        return True

    async def wait(self) -> None:
        """Wait for reports still being sent (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
