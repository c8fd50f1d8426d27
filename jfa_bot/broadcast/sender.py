"""Sending one broadcast message, and classing what can go wrong.

`Forbidden` (blocked, deactivated) and "chat not found" are final for that user;
`RetryAfter`, `TimedOut`, `NetworkError` and 5xx are temporary; a `BadRequest` about the
message itself (bad HTML, too long) is the content's fault and stops the broadcast, and
so does Telegram refusing the bot itself (`InvalidToken` for 401/404, `Conflict` for 409).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from jfa_bot.request import AiohttpRequest, raise_for_answer
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
_PHOTO_ONLY_MAX = 10_000
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
        self,
        base_url: str,
        token: str,
        *,
        request: AiohttpRequest | None = None,
        connections: int = 64,
        timeout: float = 15.0,
    ) -> None:
        self._base = f"{base_url}{token}/"  # holds the token: never log it
        # The replies' HTTP stack (one session, one error mapping), or one of its own.
        self._owns_request = request is None
        self._request = request or AiohttpRequest(connections, read_timeout=timeout)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._photo_ids: dict[str, str] = {}  # image path -> Telegram file_id
        self._uploads: dict[str, asyncio.Lock] = {}  # image path -> its first upload
        # Chats that got a post's photo but not yet its text (bounded: a retry comes soon).
        self._photo_only: collections.OrderedDict[int, str] = collections.OrderedDict()

    def _open(self) -> aiohttp.ClientSession:
        return self._request.session()

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
            return
        # A photo, then the text: if the text fails and the post is tried again, the
        # photo already in the chat is not sent a second time.
        if self._photo_only.get(chat_id) != post.photo:
            await self._send_photo(post.photo, photo)
            self._photo_only[chat_id] = post.photo
            while len(self._photo_only) > _PHOTO_ONLY_MAX:
                self._photo_only.popitem(last=False)
        await self._call("sendMessage", message)
        self._photo_only.pop(chat_id, None)

    async def _send_photo(self, path: str, payload: dict[str, object]) -> None:
        file_id = self._photo_ids.get(path)
        if file_id is None:
            # Each language's first post goes out at the same time: one uploads the image,
            # the others wait for its file_id.
            async with self._uploads.setdefault(path, asyncio.Lock()):
                file_id = self._photo_ids.get(path)
                if file_id is None:
                    await self._upload(path, payload)
                    return
        try:
            await self._call("sendPhoto", {**payload, "photo": file_id})
        except BadRequest as error:
            if "file identifier" not in error.message.lower():
                raise
            self._photo_ids.pop(path, None)  # Telegram forgot it: upload again
            await self._upload(path, payload)

    async def _upload(self, path: str, payload: dict[str, object]) -> None:
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
            async with session.post(
                f"{self._base}{method}", timeout=self._timeout, **body_args
            ) as response:
                status = response.status
                body = await response.read()
        except TimeoutError as error:
            raise TimedOut("Timed out") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
        if status == 200:
            return dict(json.loads(body)) if parse else {}
        raise_for_answer(status, body)

    async def close(self) -> None:
        """Close the connection pool if this sender opened it (the bot closes its own)."""
        if self._owns_request:
            await self._request.shutdown()
