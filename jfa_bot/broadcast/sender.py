"""Sending one broadcast message, and classing what can go wrong.

`Forbidden` (blocked, deactivated) and "chat not found" are final for that user;
`RetryAfter`, `TimedOut`, `NetworkError` and 5xx are temporary; a `BadRequest` about the
message itself (bad HTML, too long) is the content's fault and stops the broadcast, and
so does Telegram refusing the bot itself (`InvalidToken` for 401/404, `Conflict` for 409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from jfa_bot.request import AiohttpRequest

__all__ = ["Failure", "LeanSender", "Sender", "classify"]

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
    FATAL = "fatal"  # the bot itself is refused (401/404 token, 409 conflict): stop


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
    if isinstance(error, InvalidToken | Conflict):
        # Retrying cannot help: every later send would fail the same way.
        return Classified(Failure.FATAL, description=text)
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


class LeanSender:
    """Send broadcast messages straight to the Bot API on the bot's own HTTP stack.

    PTB builds a full `Message` object from every answer; a broadcast needs only "ok or
    which error", and at 1,000 messages a second that difference is most of the CPU. The
    session and the error mapping (PTB's exception classes) are those of the replies'
    `AiohttpRequest`, so `classify` treats both paths alike.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        request: AiohttpRequest | None = None,
        connections: int = 64,
    ) -> None:
        self._url = f"{base_url}{token}/sendMessage"  # holds the token: never log it
        self._owns_request = request is None
        self._request = request or AiohttpRequest(connections)

    async def send(self, chat_id: int, text: str, *, paid: bool) -> None:
        """Send one broadcast message; raise PTB's error classes on failure."""
        payload: dict[str, object] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if paid:
            payload["allow_paid_broadcast"] = True
        await self._request.post_json(self._url, payload)

    async def close(self) -> None:
        """Close the connection pool if this sender opened it (the bot closes its own)."""
        if self._owns_request:
            await self._request.shutdown()
