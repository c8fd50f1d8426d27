"""Fault injection (latency aside) and send accounting for the Bot API stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from jfa_bot.sandbox.state import SEND_METHODS, ApiError, Faults, Stats


def chat_id_of(params: dict[str, Any]) -> int | None:
    """Return the integer chat_id of a call, if it has one."""
    try:
        return int(params.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class FaultGate:
    """Apply the fault switches before a call and count accepted sends after it."""

    def __init__(self, stopping: asyncio.Event) -> None:
        self.faults = Faults()
        self.stats = Stats()
        self._stopping = stopping
        self._window: deque[float] = deque()  # free-tier sends
        self._paid_window: deque[float] = deque()  # every send (the paid tier's limit)
        self._last_chat_send: dict[int, float] = {}

    def reset(self) -> None:
        """Clear the counters and the flood windows."""
        self.stats = Stats()
        self._window.clear()
        self._paid_window.clear()
        self._last_chat_send.clear()

    async def before(self, method: str, chat_id: int | None, *, paid: bool = False) -> None:
        """Hang, fail or refuse a call as the switches say (raise ApiError to refuse)."""
        faults = self.faults
        if not faults.applies_to(method):
            return
        if faults.hold is not None and not faults.hold.is_set():
            released = asyncio.ensure_future(faults.hold.wait())
            stopping = asyncio.ensure_future(self._stopping.wait())
            try:
                await asyncio.wait((released, stopping), return_when=asyncio.FIRST_COMPLETED)
            finally:
                released.cancel()
                stopping.cancel()
        if faults.timeout_next > 0:
            faults.timeout_next -= 1
            self.stats.timeouts += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), faults.hang_seconds)
        if faults.fail_next_5xx > 0:
            faults.fail_next_5xx -= 1
            self.stats.server_errors += 1
            raise ApiError(502, "Bad Gateway")
        if faults.fail_next_429 > 0:
            faults.fail_next_429 -= 1
            self.stats.rate_limited += 1
            retry = faults.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        if chat_id is not None and chat_id in faults.blocked:
            self.stats.forbidden += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._check_flood(chat_id, paid)

    def after(self, method: str, chat_id: int | None, *, paid: bool = False) -> None:
        """Count an accepted send call."""
        if method not in SEND_METHODS:
            return
        now = time.monotonic()
        if not paid:
            self._window.append(now)
        self._paid_window.append(now)
        self.stats.send_times.append(now)
        if chat_id is not None:
            self._last_chat_send[chat_id] = now

    def _check_flood(self, chat_id: int | None, paid: bool) -> None:
        now = time.monotonic()
        for window in (self._window, self._paid_window):
            while window and window[0] <= now - 1.0:
                window.popleft()
        limit = self.faults.flood_limit
        too_many = not paid and limit is not None and len(self._window) >= limit
        paid_limit = self.faults.paid_limit
        too_many = too_many or (paid_limit is not None and len(self._paid_window) >= paid_limit)
        if self.faults.per_chat_limit and chat_id is not None and chat_id > 0:
            last = self._last_chat_send.get(chat_id)
            too_many = too_many or (last is not None and now - last < 1.0)
        if too_many:
            self.stats.rate_limited += 1
            retry = self.faults.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
