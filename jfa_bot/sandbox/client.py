"""Simulated Telegram users that drive the Bot API stand-in from the same event loop."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jfa_bot.sandbox.state import (
    CallbackAnswer,
    ChatMessage,
    MessageKind,
    UpdateType,
    command_entities,
)
from jfa_bot.sandbox.store import ChatInfo, ChatStore

if TYPE_CHECKING:
    from jfa_bot.sandbox.server import BotApiServer

DEFAULT_TIMEOUT = 10.0
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _describe(messages: list[ChatMessage]) -> str:
    if not messages:
        return "nothing arrived"
    lines = []
    for message in messages:
        edited = " (edited)" if message.edited else ""
        lines.append(f"#{message.message_id}{edited}: {message.plain!r} {message.button_labels()}")
    return "arrived: " + "; ".join(lines)


class SimulatedUser:
    """A Telegram user chatting with the bot; the private chat id equals the user id."""

    def __init__(
        self,
        server: BotApiServer,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._cursor = 0
        self._last_sent: dict[int, int] = {}
        #: The update_id of the latest update this user caused (0 before the first).
        self.last_update_id = 0

    # -- helpers -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Return the Telegram User object (with the current language_code)."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    @property
    def _store(self) -> ChatStore:
        return self.server.store

    def _chat_id(self, chat: ChatInfo | int | None) -> int:
        if chat is None:
            return self.id
        return chat.id if isinstance(chat, ChatInfo) else int(chat)

    def _events(self) -> list[ChatMessage]:
        return self._store.events.get(self.id, [])

    def _changed_since(self, count: int) -> Callable[[], bool]:
        return lambda: len(self._events()) != count

    def _mark(self) -> None:
        self._cursor = len(self._events())

    async def _send_message(self, chat: ChatInfo | int | None, **fields: Any) -> int:
        chat_id = self._chat_id(chat)
        self._mark()
        data = self._store.add_user_message(chat_id, self.to_json(), **fields)
        self._last_sent[chat_id] = data["message_id"]
        return await self._inject(UpdateType.MESSAGE, data)

    async def _inject(self, kind: UpdateType, payload: dict[str, Any]) -> int:
        self.last_update_id = await self.server.inject(kind, payload)
        return self.last_update_id

    # -- messages ------------------------------------------------------------------------
    async def send(self, text: str, *, chat: ChatInfo | int | None = None) -> int:
        """Send a text message (a leading /command gets an entity); return the update_id."""
        fields: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        return await self._send_message(chat, **fields)

    async def send_photo(
        self, data: bytes = _PNG, *, caption: str | None = None, chat: ChatInfo | int | None = None
    ) -> int:
        """Send a photo; return the update_id."""
        file = self._store.add_file(MessageKind.PHOTO, "photo.jpg", data, "image/jpeg")
        fields = ChatStore.file_json(file, MessageKind.PHOTO)
        if caption:
            fields["caption"] = caption
        return await self._send_message(chat, **fields)

    async def send_document(
        self,
        name: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatInfo | int | None = None,
    ) -> int:
        """Send a document; return the update_id."""
        file = self._store.add_file(MessageKind.DOCUMENT, name, data, mime_type)
        fields = ChatStore.file_json(file, MessageKind.DOCUMENT)
        if caption:
            fields["caption"] = caption
        return await self._send_message(chat, **fields)

    async def send_sticker(self, *, emoji: str = "👍", chat: ChatInfo | int | None = None) -> int:
        """Send a sticker; return the update_id."""
        number = self.server.new_id()
        sticker = {
            "file_id": f"CAAC{number}",
            "file_unique_id": f"AgAD{number}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send_message(chat, sticker=sticker)

    async def send_voice(self, *, duration: int = 3, chat: ChatInfo | int | None = None) -> int:
        """Send a voice note; return the update_id."""
        number = self.server.new_id()
        voice = {
            "file_id": f"AwAC{number}",
            "file_unique_id": f"AgAD{number}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 1024,
        }
        return await self._send_message(chat, voice=voice)

    async def edit_last(self, text: str, *, chat: ChatInfo | int | None = None) -> int:
        """Edit the user's latest message in a chat; return the update_id."""
        chat_id = self._chat_id(chat)
        if chat_id not in self._last_sent:
            raise LookupError(f"user {self.id} has sent nothing in chat {chat_id}")
        self._mark()
        data = self._store.user_message(chat_id, self._last_sent[chat_id])
        data["text"] = text
        data.pop("entities", None)
        if entities := command_entities(text):
            data["entities"] = entities
        data["edit_date"] = int(time.time())
        return await self._inject(UpdateType.EDITED_MESSAGE, copy.deepcopy(data))

    # -- buttons and inline mode -------------------------------------------------------
    async def press(
        self,
        data: str | None = None,
        *,
        label: str | None = None,
        message_id: int | None = None,
        chat: ChatInfo | int | None = None,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Press a callback button (by data or label) and return the bot's answer."""
        if data is None and label is None:
            raise ValueError("press() needs callback data or a label")
        chat_id = self._chat_id(chat)
        candidates = self._store.bot_messages(chat_id)
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        for message in reversed(candidates):
            button = message.find_button(label=label, data=data)
            if button is not None and button.callback_data is not None:
                return await self.press_raw(
                    button.callback_data, message.message_id, chat=chat, timeout=timeout
                )
        seen = [(m.message_id, m.button_labels()) for m in candidates]
        raise LookupError(f"no callback button {data or label!r} in chat {chat_id}: {seen}")

    async def press_raw(
        self,
        data: str,
        message_id: int,
        *,
        chat: ChatInfo | int | None = None,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Send a callback query with arbitrary (possibly forged) data and await the answer."""
        chat_id = self._chat_id(chat)
        message = copy.deepcopy(self._store.bot_message_json(chat_id, message_id))
        self._mark()
        query_id = self.server.new_id()
        self.server.expect_callback(query_id)
        payload = {
            "id": query_id,
            "from": self.to_json(),
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919 + 13),
            "data": data,
        }
        await self._inject(UpdateType.CALLBACK_QUERY, payload)
        answered = await self.server.wait_until(
            lambda: self.server.callback_answer(query_id) is not None, timeout
        )
        answer = self.server.callback_answer(query_id)
        if not answered or answer is None:
            raise TimeoutError(
                f"the bot did not answer callback query {data!r} on message {message_id} "
                f"within {timeout} s"
            )
        return answer

    async def inline_query(
        self,
        query: str,
        *,
        offset: str = "",
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Send an inline query and return the bot's results once it answers."""
        self._mark()
        query_id = self.server.new_id()
        self.server.expect_inline(query_id)
        payload = {
            "id": query_id,
            "from": self.to_json(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        await self._inject(UpdateType.INLINE_QUERY, payload)
        answered = await self.server.wait_until(
            lambda: self.server.inline_results(query_id) is not None, timeout
        )
        results = self.server.inline_results(query_id)
        if not answered or results is None:
            raise TimeoutError(f"the bot did not answer inline query {query!r} within {timeout} s")
        return results

    # -- waiting and reading ---------------------------------------------------------------
    async def wait(
        self,
        n: int = 1,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[ChatMessage]:
        """Wait for n new or edited bot messages in the private chat and return them."""
        target = self._cursor + n
        arrived = await self.server.wait_until(lambda: len(self._events()) >= target, timeout)
        events = self._events()
        if not arrived:
            raise TimeoutError(
                f"waited {timeout} s for {n} bot message(s) in chat {self.id}; "
                + _describe(events[self._cursor :])
            )
        result = events[self._cursor : target]
        self._cursor = target
        return result

    async def ask(
        self,
        text: str,
        n: int = 1,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[ChatMessage]:
        """Send a message and wait for n bot messages."""
        await self.send(text)
        return await self.wait(n, timeout)

    async def tap(
        self,
        data: str | None = None,
        *,
        label: str | None = None,
        n: int = 1,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[ChatMessage]:
        """Press a button and wait for n new or edited bot messages."""
        await self.press(data, label=label, timeout=timeout)
        return await self.wait(n, timeout)

    async def quiet(self, seconds: float = 0.3, max_wait: float = DEFAULT_TIMEOUT) -> None:
        """Wait until no new bot events happened in the private chat for ``seconds``."""
        deadline = time.monotonic() + max_wait
        while time.monotonic() < deadline:
            count = len(self._events())
            window = min(seconds, max(deadline - time.monotonic(), 0.0))
            changed = await self.server.wait_until(self._changed_since(count), window)
            if not changed:
                return

    @property
    def messages(self) -> list[ChatMessage]:
        """Return the current state of every bot message in the private chat."""
        return self._store.bot_messages(self.id)

    @property
    def last(self) -> ChatMessage:
        """Return the latest bot message in the private chat."""
        messages = self.messages
        if not messages:
            raise LookupError(f"the bot has sent nothing to user {self.id}")
        return messages[-1]
