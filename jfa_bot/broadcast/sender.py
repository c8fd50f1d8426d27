"""Sending one broadcast message, and classing what can go wrong.

`Forbidden` (blocked, deactivated) and "chat not found" are final for that user;
`RetryAfter`, `TimedOut`, `NetworkError` and 5xx are temporary; a `BadRequest` about the
message itself (bad HTML, too long) is the content's fault and stops the broadcast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn, Protocol

import aiohttp
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from jfa_bot.store.broadcasts import BroadcastPost
from jfa_bot.telegram_html import fits_caption

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
    """What the engine needs to deliver one post."""

    async def send(self, chat_id: int, post: BroadcastPost, *, paid: bool) -> None:
        """Send `post` (Telegram HTML, maybe a photo) to `chat_id`; raise PTB's errors."""


class LeanSender:
    """Send broadcast posts straight to the Bot API over one pooled aiohttp session.

    PTB builds a full `Message` object from every answer; a broadcast needs only "ok or
    which error", and at 1,000 messages a second that difference is most of the CPU. The
    answers are mapped to PTB's exceptions so `classify` treats both paths alike.

    A post with a photo is one `sendPhoto` with the post as caption when it fits, else a
    `sendPhoto` then a `sendMessage`. Each image is uploaded once (the engine sends each
    language's first post alone) and later sends reuse Telegram's file_id.
    """

    def __init__(
        self, base_url: str, token: str, *, connections: int, timeout: float = 15.0
    ) -> None:
        self._base = f"{base_url}{token}/"  # holds the token: never log it
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._photo_ids: dict[str, str] = {}  # image path -> Telegram file_id

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout,
                json_serialize=json.dumps,
            )
        return self._session

    async def send(self, chat_id: int, post: BroadcastPost, *, paid: bool) -> None:
        """Send one broadcast post; raise PTB's error classes on failure."""
        common: dict[str, object] = {"chat_id": chat_id}
        if paid:
            common["allow_paid_broadcast"] = True
        rows: list[list[dict[str, str]]] = [
            [{"text": t, "url": u} for t, u in row] for row in post.buttons
        ]
        if post.stop is not None:
            label, data = post.stop
            rows.append([{"text": label, "callback_data": data}])
        markup = {"inline_keyboard": rows} if rows else None
        message: dict[str, object] = {
            **common,
            "text": post.text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if markup is not None:
            message["reply_markup"] = markup
        if post.photo is None:
            await self._call("sendMessage", message)
            return
        photo = dict(common)
        as_caption = fits_caption(post.text)
        if as_caption:
            photo.update(caption=post.text, parse_mode="HTML")
            if markup is not None:
                photo["reply_markup"] = markup
        await self._send_photo(post.photo, photo)
        if not as_caption:
            await self._call("sendMessage", message)

    async def _send_photo(self, path: str, payload: dict[str, object]) -> None:
        file_id = self._photo_ids.get(path)
        if file_id is not None:
            try:
                await self._call("sendPhoto", {**payload, "photo": file_id})
                return
            except BadRequest as error:
                if "file identifier" not in error.message.lower():
                    raise
                self._photo_ids.pop(path, None)  # Telegram forgot it: upload again
        form = aiohttp.FormData()
        for key, value in payload.items():
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
        data = await asyncio.to_thread(Path(path).read_bytes)
        form.add_field("photo", data, filename=Path(path).name)
        answer = await self._call("sendPhoto", form, parse=True)
        sizes = (answer.get("result") or {}).get("photo") or []
        if sizes:
            self._photo_ids[path] = str(sizes[-1]["file_id"])

    async def _call(
        self, method: str, payload: dict[str, object] | aiohttp.FormData, *, parse: bool = False
    ) -> dict[str, Any]:
        session = self._open()
        body_args: dict[str, Any] = (
            {"data": payload} if isinstance(payload, aiohttp.FormData) else {"json": payload}
        )
        try:
            async with session.post(f"{self._base}{method}", **body_args) as response:
                status = response.status
                body = await response.read()
        except TimeoutError as error:
            raise TimedOut("Timed out") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
        if status == 200:
            return dict(json.loads(body)) if parse else {}
        _raise_for(status, body)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


def _raise_for(status: int, body: bytes) -> NoReturn:
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
