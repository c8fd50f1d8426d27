"""Value types of the Bot API stand-in: messages, buttons, faults, statistics and errors."""

from __future__ import annotations

import asyncio
import bisect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SEND_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)
MAX_CALLBACK_DATA_BYTES = 64
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_URL_PREFIXES = ("http://", "https://", "tg://")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?(?=\s|$)")


class MessageKind(Enum):
    """What a bot message carries."""

    TEXT = "text"
    DOCUMENT = "document"
    PHOTO = "photo"


class UpdateType(Enum):
    """Update kinds the stand-in can inject."""

    MESSAGE = "message"
    EDITED_MESSAGE = "edited_message"
    CALLBACK_QUERY = "callback_query"
    INLINE_QUERY = "inline_query"
    MY_CHAT_MEMBER = "my_chat_member"


class ApiError(Exception):
    """Raise to answer a Bot API call with a Telegram error."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return Telegram's JSON error body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """Return a 400 error with Telegram's ``Bad Request:`` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    switch_inline_query: str | None = None
    switch_inline_query_current_chat: str | None = None
    switch_inline_query_chosen_chat: Mapping[str, Any] | None = None
    copy_text: str | None = None

    @property
    def shares(self) -> bool:
        """Return True for switch-inline buttons (they share the bot's inline results)."""
        return (
            self.switch_inline_query is not None
            or self.switch_inline_query_current_chat is not None
            or self.switch_inline_query_chosen_chat is not None
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Button:
        """Build a Button from a Telegram InlineKeyboardButton object."""
        copy_text = data.get("copy_text")
        return cls(
            text=str(data.get("text", "")),
            callback_data=data.get("callback_data"),
            url=data.get("url"),
            switch_inline_query=data.get("switch_inline_query"),
            switch_inline_query_current_chat=data.get("switch_inline_query_current_chat"),
            switch_inline_query_chosen_chat=data.get("switch_inline_query_chosen_chat"),
            copy_text=copy_text.get("text") if isinstance(copy_text, Mapping) else copy_text,
        )


@dataclass(frozen=True)
class ChatMessage:
    """Snapshot of a bot message as the user sees it (edits applied)."""

    message_id: int
    chat_id: int
    kind: MessageKind
    text: str
    plain: str
    parse_mode: str | None
    buttons: tuple[tuple[Button, ...], ...]
    edited: bool
    document_name: str | None
    file_id: str | None
    date: int

    def button_labels(self) -> list[str]:
        """Return the labels of all buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    def find_button(self, label: str | None = None, data: str | None = None) -> Button | None:
        """Return the first button with this label or callback data, or None."""
        for row in self.buttons:
            for button in row:
                if label is not None and button.text == label:
                    return button
                if data is not None and button.callback_data == data:
                    return button
        return None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API call as received (file contents are summarised, not kept here)."""

    method: str
    params: Mapping[str, Any]
    time: float


@dataclass(frozen=True)
class StoredFile:
    """A file known to the stand-in (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    data: bytes
    mime_type: str | None
    kind: MessageKind

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)


@dataclass(frozen=True)
class WebhookConfig:
    """The webhook set by the bot."""

    url: str
    secret_token: str | None
    max_connections: int


@dataclass
class Faults:
    """Mutable fault switches; change them at any time during a test or benchmark."""

    #: Round trip added to every call (seconds), half before the call arrives and half
    #: after, varied uniformly by ±`jitter`: like real Telegram, arrivals come later than
    #: starts and out of order. BotApiServer turns on REAL_LATENCY unless told otherwise.
    latency: float = 0.0
    jitter: float = 0.0
    flood_limit: int | None = None
    #: With `allow_paid_broadcast`, the overall limit (all sends count; default off).
    paid_limit: int | None = None
    per_chat_limit: bool = False
    retry_after: int = 1
    blocked: set[int] = field(default_factory=set)
    fail_next_5xx: int = 0
    fail_next_429: int = 0
    timeout_next: int = 0
    hang_seconds: float = 30.0
    fail_methods: frozenset[str] | None = None
    #: While set and not yet set off, calls these faults apply to wait for it before they
    #: arrive (a test then acts while the bot waits on Telegram).
    hold: asyncio.Event | None = None
    max_upload_bytes: int = 50 * 1024 * 1024  # Telegram's limit for bot uploads

    def applies_to(self, method: str) -> bool:
        """Return True when the send/edit faults apply to ``method``."""
        methods = SEND_METHODS if self.fail_methods is None else self.fail_methods
        return method in methods


@dataclass
class Stats:
    """Counters of answered faults and accepted sends."""

    rate_limited: int = 0
    forbidden: int = 0
    server_errors: int = 0
    timeouts: int = 0
    send_times: list[float] = field(default_factory=list)

    @property
    def sends(self) -> int:
        """Return the number of accepted send calls."""
        return len(self.send_times)

    def per_second_counts(self) -> dict[int, int]:
        """Return accepted sends per whole second since the first send."""
        counts: dict[int, int] = {}
        if not self.send_times:
            return counts
        start = self.send_times[0]
        for when in self.send_times:
            second = int(when - start)
            counts[second] = counts.get(second, 0) + 1
        return counts

    def max_sends_per_second(self) -> int:
        """Return the most accepted sends in any rolling 1-second window."""
        times = sorted(self.send_times)
        best = 0
        for index, when in enumerate(times):
            end = bisect.bisect_left(times, when + 1.0, lo=index)
            best = max(best, end - index)
        return best


def parse_reply_markup(markup: Any) -> tuple[tuple[Button, ...], ...]:
    """Validate an inline keyboard like Telegram and return its button rows."""
    if markup is None or markup == "":
        return ()
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, Mapping):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return ()  # reply keyboards and removals are accepted and not shown as buttons
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    result: list[tuple[Button, ...]] = []
    for row in rows:
        buttons: list[Button] = []
        for raw in row:
            if not isinstance(raw, Mapping) or not raw.get("text"):
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [name for name in _BUTTON_ACTIONS if raw.get(name) is not None]
            if len(actions) != 1:
                raise bad_request('can\'t find field "text" or exactly one button action')
            data = raw.get("callback_data")
            if data is not None and (
                not isinstance(data, str)
                or not data
                or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            url = raw.get("url")
            if url is not None and not (isinstance(url, str) and url.startswith(_URL_PREFIXES)):
                raise bad_request("BUTTON_URL_INVALID")
            buttons.append(Button.from_json(raw))
        if buttons:
            result.append(tuple(buttons))
    return tuple(result)


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity of a leading ``/command`` (or ``/cmd@bot``)."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}]
