"""Sending one broadcast message, and classing what can go wrong.

`Forbidden` (blocked, deactivated) and "chat not found" are final for that user;
`RetryAfter`, `TimedOut`, `NetworkError` and 5xx are temporary; a `BadRequest` about the
message itself (bad HTML, too long) is the content's fault and stops the broadcast.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import aiohttp
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

__all__ = ["Failure", "LeanSender", "Markup", "Sender", "classify"]

#: A Bot API `reply_markup` object as JSON (the stop button under every post).
Markup = dict[str, Any]

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

    async def send(
        self, chat_id: int, text: str, *, paid: bool, markup: Markup | None = None
    ) -> None:
        """Send `text` (Telegram HTML) with optional buttons to `chat_id`; raise PTB's errors."""


class LeanSender:
    """Send broadcast messages straight to the Bot API over one pooled aiohttp session.

    PTB builds a full `Message` object from every answer; a broadcast needs only "ok or
    which error", and at 1,000 messages a second that difference is most of the CPU. The
    answers are mapped to PTB's exceptions so `classify` treats both paths alike.
    """

    def __init__(
        self, base_url: str, token: str, *, connections: int, timeout: float = 15.0
    ) -> None:
        self._url = f"{base_url}{token}/sendMessage"  # holds the token: never log it
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self, chat_id: int, text: str, *, paid: bool, markup: Markup | None = None
    ) -> None:
        """Send one broadcast message; raise PTB's error classes on failure."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout,
                json_serialize=json.dumps,
            )
        payload: dict[str, object] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if paid:
            payload["allow_paid_broadcast"] = True
        if markup is not None:
            payload["reply_markup"] = markup
        try:
            async with self._session.post(self._url, json=payload) as response:
                status = response.status
                body = await response.read()
        except TimeoutError as error:
            raise TimedOut("Timed out") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
        if status == 200:
            return
        _raise_for(status, body)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


def _raise_for(status: int, body: bytes) -> None:
    """Raise the PTB exception that matches a Bot API error answer."""
    try:
        answer = json.loads(body)
        description = str(answer.get("description", ""))
        parameters = answer.get("parameters") or {}
    except (ValueError, AttributeError):
        description, parameters = "", {}
    if status == 429:
        raise RetryAfter(dt.timedelta(seconds=int(parameters.get("retry_after", 1))))
    if status == 403:
        raise Forbidden(description or "Forbidden")
    if status == 400:
        raise BadRequest(description or "Bad Request")
    raise NetworkError(f"Bot API answered {status}: {description}")
