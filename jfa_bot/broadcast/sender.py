"""Sending one broadcast message, and classing what can go wrong.

`Forbidden` (blocked, deactivated) and "chat not found" are final for that user;
`RetryAfter`, `TimedOut`, `NetworkError` and 5xx are temporary; a `BadRequest` about the
message itself (bad HTML, too long) is the content's fault and stops the broadcast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

__all__ = ["Failure", "PtbSender", "Sender", "classify"]

# BadRequest descriptions that blame the message, not the recipient.
_CONTENT_ERRORS = (
    "can't parse entities",
    "message is too long",
    "text must be non-empty",
    "message text is empty",
    "caption is too long",
    "button_data_invalid",
    "wrong file identifier",
    "unsupported start tag",
)
_RECIPIENT_ERRORS = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


class Failure(Enum):
    """How a failed send is handled."""

    BLOCKED = "blocked"  # final: unsubscribe the user
    RETRY_AFTER = "retry_after"  # pause everything, then try again
    TEMPORARY = "temporary"  # try again, up to the attempt limit
    CONTENT = "content"  # the message is at fault: stop the broadcast


@dataclass(frozen=True, slots=True)
class Classified:
    """A failure class, with Telegram's wait for flood control."""

    failure: Failure
    retry_after: float = 0.0
    description: str = ""


def classify(error: Exception) -> Classified:
    """Class an exception raised by a send."""
    text = str(error)
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return Classified(Failure.RETRY_AFTER, seconds, text)
    if isinstance(error, Forbidden):
        return Classified(Failure.BLOCKED, description=text)
    if isinstance(error, BadRequest):
        lowered = text.lower()
        if any(marker in lowered for marker in _RECIPIENT_ERRORS):
            return Classified(Failure.BLOCKED, description=text)
        if any(marker in lowered for marker in _CONTENT_ERRORS):
            return Classified(Failure.CONTENT, description=text)
        return Classified(Failure.TEMPORARY, description=text)
    if isinstance(error, NetworkError | TelegramError):
        # TimedOut is a NetworkError; PTB raises NetworkError for 5xx answers too.
        return Classified(Failure.TEMPORARY, description=text)
    raise error


class Sender(Protocol):
    """What the engine needs to deliver one message."""

    async def send(self, chat_id: int, text: str, *, paid: bool) -> None:
        """Send `text` (Telegram HTML) to `chat_id`; raise PTB's errors on failure."""


class PtbSender:
    """Send through PTB's bot, with link previews off and paid broadcast when asked."""

    def __init__(self, bot: ExtBot[None]) -> None:
        self._bot = bot

    async def send(self, chat_id: int, text: str, *, paid: bool) -> None:
        """Send one broadcast message."""
        await self._bot.send_message(chat_id, text, allow_paid_broadcast=True if paid else None)
