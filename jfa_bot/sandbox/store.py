"""In-memory chats, messages, files and bot settings of the Bot API stand-in."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from jfa_bot.sandbox.state import (
    ChatMessage,
    MessageKind,
    StoredFile,
    bad_request,
    parse_reply_markup,
)
from jfa_bot.telegram_html import HtmlParseError, parse_html_entities, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_DEFAULT_SCOPE = '{"type":"default"}'


_DELETE_WINDOW = 48 * 3600  # seconds


@dataclass(frozen=True)
class ChatInfo:
    """A chat known to the stand-in."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return Telegram's Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class StoredMessage:
    """A message in a chat: its Telegram JSON and, for bot messages, the user's view."""

    data: dict[str, Any]
    from_bot: bool
    snapshot: ChatMessage | None = None
    deleted: bool = False
    markup: Any = None


@dataclass
class _Formatted:
    plain: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def _format(text: str, parse_mode: Any, entities: Any, *, caption: bool) -> _Formatted:
    """Parse text like Telegram and enforce the length limits."""
    limit, too_long = (
        (MAX_CAPTION, "message caption is too long")
        if caption
        else (MAX_TEXT, "message is too long")
    )
    mode = str(parse_mode).lower() if parse_mode else ""
    if mode == "html":
        try:
            parsed = parse_html_entities(text)
        except HtmlParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        result = _Formatted(parsed.text, list(parsed.entities))
    elif mode in ("", "markdown", "markdownv2"):
        result = _Formatted(text, list(entities) if isinstance(entities, list) else [])
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    if not caption and not result.plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(result.plain) > limit:
        raise bad_request(too_long)
    return result


class ChatStore:
    """Chats, messages, files, commands and descriptions, with Telegram's rules."""

    def __init__(self, bot_user: dict[str, Any], *, auto_chats: bool = False) -> None:
        self.bot_user = bot_user
        # Load tests: a send into an unknown private chat creates it instead of failing.
        self.auto_chats = auto_chats
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.events: dict[int, list[ChatMessage]] = {}
        self.sent_order: list[tuple[int, int]] = []
        self.files: dict[str, StoredFile] = {}
        self.uploads: list[StoredFile] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_counter = itertools.count(1)

    # -- chats and messages -------------------------------------------------------------
    def add_chat(self, chat: ChatInfo) -> None:
        """Register a chat (idempotent)."""
        self.chats[chat.id] = chat
        self.messages.setdefault(chat.id, {})
        self.events.setdefault(chat.id, [])
        self._message_ids.setdefault(chat.id, itertools.count(1))

    def chat(self, chat_id: Any) -> ChatInfo:
        """Return the chat or raise Telegram's ``chat not found``."""
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if key not in self.chats:
            if not (self.auto_chats and key > 0):
                raise bad_request("chat not found")
            self.add_chat(ChatInfo(key, "private", None, "Load", None, None))
        return self.chats[key]

    def add_user_message(
        self, chat_id: int, sender: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        """Store a message written by a user and return its JSON."""
        chat = self.chat(chat_id)
        data: dict[str, Any] = {
            "message_id": next(self._message_ids[chat.id]),
            "from": sender,
            "chat": chat.to_json(),
            "date": int(time.time()),
            **fields,
        }
        self.messages[chat.id][data["message_id"]] = StoredMessage(data, from_bot=False)
        return data

    def user_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Return a stored user message's JSON."""
        stored = self.messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.from_bot:
            raise LookupError(f"no user message {message_id} in chat {chat_id}")
        return stored.data

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        """Return the current state of every visible bot message in a chat."""
        return [
            stored.snapshot
            for stored in self.messages.get(chat_id, {}).values()
            if stored.from_bot and not stored.deleted and stored.snapshot is not None
        ]

    def bot_message_json(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Return a bot message's JSON (for callback queries)."""
        return self._target(chat_id, message_id, "message not found").data

    def sent(self) -> list[ChatMessage]:
        """Return every message the bot sent, in order, in its latest state."""
        result = []
        for chat_id, message_id in self.sent_order:
            snapshot = self.messages[chat_id][message_id].snapshot
            if snapshot is not None:
                result.append(snapshot)
        return result

    def _snapshot(self, stored: StoredMessage, text: str, parse_mode: Any) -> ChatMessage:
        data = stored.data
        kind = MessageKind.TEXT
        document_name = file_id = None
        if "document" in data:
            kind = MessageKind.DOCUMENT
            document_name = data["document"].get("file_name")
            file_id = data["document"]["file_id"]
        elif "photo" in data:
            kind = MessageKind.PHOTO
            file_id = data["photo"][-1]["file_id"]
        return ChatMessage(
            message_id=data["message_id"],
            chat_id=data["chat"]["id"],
            kind=kind,
            text=text,
            plain=data.get("text", data.get("caption", "")),
            parse_mode=str(parse_mode) if parse_mode else None,
            buttons=parse_reply_markup(stored.markup),
            edited="edit_date" in data,
            document_name=document_name,
            file_id=file_id,
            date=data["date"],
        )

    def _record(self, stored: StoredMessage, text: str, parse_mode: Any) -> ChatMessage:
        stored.snapshot = self._snapshot(stored, text, parse_mode)
        self.events[stored.data["chat"]["id"]].append(stored.snapshot)
        return stored.snapshot

    def _new_bot_message(self, chat: ChatInfo, params: dict[str, Any]) -> StoredMessage:
        buttons = parse_reply_markup(params.get("reply_markup"))
        data: dict[str, Any] = {
            "message_id": next(self._message_ids[chat.id]),
            "from": self.bot_user,
            "chat": chat.to_json(),
            "date": int(time.time()),
        }
        markup = params.get("reply_markup") if buttons else None
        if markup is not None:
            data["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return StoredMessage(data, from_bot=True, markup=data.get("reply_markup"))

    def _store(self, stored: StoredMessage, text: str, parse_mode: Any) -> dict[str, Any]:
        chat_id = stored.data["chat"]["id"]
        self.messages[chat_id][stored.data["message_id"]] = stored
        self.sent_order.append((chat_id, stored.data["message_id"]))
        self._record(stored, text, parse_mode)
        return stored.data

    # -- sending ---------------------------------------------------------------------
    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Handle sendMessage."""
        chat = self.chat(params.get("chat_id"))
        text = params.get("text")
        text = "" if text is None else str(text)
        formatted = _format(text, params.get("parse_mode"), params.get("entities"), caption=False)
        stored = self._new_bot_message(chat, params)
        stored.data["text"] = formatted.plain
        if formatted.entities:
            stored.data["entities"] = formatted.entities
        return self._store(stored, text, params.get("parse_mode"))

    def send_file(
        self,
        kind: MessageKind,
        params: dict[str, Any],
        upload: tuple[str, bytes, str | None] | None,
    ) -> dict[str, Any]:
        """Handle sendDocument / sendPhoto with an upload or an existing file_id."""
        field_name = "photo" if kind is MessageKind.PHOTO else "document"
        chat = self.chat(params.get("chat_id"))
        caption = str(params.get("caption") or "")
        formatted = _format(
            caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        if upload is not None:
            filename, data, mime_type = upload
            if not data:
                raise bad_request("file must be non-empty")
            file = self.add_file(kind, filename, data, mime_type)
            self.uploads.append(file)
        else:
            reference = params.get(field_name)
            known = self.files.get(str(reference)) if reference else None
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            file = known
        stored = self._new_bot_message(chat, params)
        stored.data.update(self.file_json(file, kind))
        if caption:
            stored.data["caption"] = formatted.plain
            if formatted.entities:
                stored.data["caption_entities"] = formatted.entities
        return self._store(stored, caption, params.get("parse_mode"))

    def add_file(
        self, kind: MessageKind, filename: str, data: bytes, mime_type: str | None
    ) -> StoredFile:
        """Store bytes under a fresh file_id and return the file."""
        number = next(self._file_counter)
        prefix = "AgAC" if kind is MessageKind.PHOTO else "BQAC"
        folder = "photos" if kind is MessageKind.PHOTO else "documents"
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        file = StoredFile(
            file_id=f"{prefix}{number}_{secrets.token_hex(8)}",
            file_unique_id=f"AQAD{number}{secrets.token_hex(4)}",
            file_path=f"{folder}/file_{number}.{suffix}",
            filename=filename,
            data=data,
            mime_type=mime_type,
            kind=kind,
        )
        self.files[file.file_id] = file
        return file

    @staticmethod
    def file_json(file: StoredFile, kind: MessageKind) -> dict[str, Any]:
        """Return the message fields describing a file (``document`` or ``photo``)."""
        ids = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if kind is MessageKind.PHOTO:
            return {"photo": [{**ids, "width": 320, "height": 320, "file_size": file.size}]}
        document: dict[str, Any] = {**ids, "file_name": file.filename, "file_size": file.size}
        if file.mime_type:
            document["mime_type"] = file.mime_type
        return {"document": document}

    def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        """Handle getFile."""
        file = self.files.get(str(params.get("file_id")))
        if file is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }

    def file_by_path(self, path: str) -> StoredFile | None:
        """Return the file stored under a download path."""
        return next((f for f in self.files.values() if f.file_path == path), None)

    # -- editing ------------------------------------------------------------------------
    def _target(self, chat_id: Any, message_id: Any, missing: str) -> StoredMessage:
        chat = self.chat(chat_id)
        try:
            stored = self.messages[chat.id].get(int(message_id))
        except (TypeError, ValueError):
            stored = None
        if stored is None or stored.deleted:
            raise bad_request(missing)
        return stored

    def _editable(self, params: dict[str, Any]) -> StoredMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        stored = self._target(
            params.get("chat_id"), params.get("message_id"), "message to edit not found"
        )
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def _apply_edit(
        self, stored: StoredMessage, fields: dict[str, Any], markup: Any, text: str, mode: Any
    ) -> dict[str, Any]:
        buttons = parse_reply_markup(markup)
        new_markup = (
            (json.loads(markup) if isinstance(markup, str) else markup) if buttons else None
        )
        old = {k: stored.data.get(k) for k in fields}
        if old == fields and parse_reply_markup(stored.markup) == buttons:
            raise bad_request(_NOT_MODIFIED)
        for key, value in fields.items():
            if value is None:
                stored.data.pop(key, None)
            else:
                stored.data[key] = value
        stored.markup = new_markup
        if new_markup is None:
            stored.data.pop("reply_markup", None)
        else:
            stored.data["reply_markup"] = new_markup
        stored.data["edit_date"] = int(time.time())
        self._record(stored, text, mode)
        return stored.data

    def edit_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """Handle editMessageText."""
        stored = self._editable(params)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        text = str(params.get("text") or "")
        mode = params.get("parse_mode")
        formatted = _format(text, mode, params.get("entities"), caption=False)
        fields = {"text": formatted.plain, "entities": formatted.entities or None}
        return self._apply_edit(stored, fields, params.get("reply_markup"), text, mode)

    def edit_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """Handle editMessageReplyMarkup."""
        stored = self._editable(params)
        snapshot = stored.snapshot
        text = snapshot.text if snapshot else ""
        mode = snapshot.parse_mode if snapshot else None
        return self._apply_edit(stored, {}, params.get("reply_markup"), text, mode)

    def delete(self, params: dict[str, Any]) -> bool:
        """Handle deleteMessage."""
        stored = self._target(
            params.get("chat_id"), params.get("message_id"), "message to delete not found"
        )
        date = stored.data.get("date")
        if isinstance(date, int) and time.time() - date > _DELETE_WINDOW:
            # Telegram: "a message can only be deleted if it was sent less than 48 hours ago".
            raise bad_request("message can't be deleted")
        stored.deleted = True
        return True

    # -- commands and descriptions -----------------------------------------------------
    @staticmethod
    def _command_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if isinstance(scope, str):
            scope = json.loads(scope) if scope else None
        scope_key = json.dumps(scope, sort_keys=True, separators=(",", ":")) if scope else None
        return (scope_key or _DEFAULT_SCOPE, str(language_code or ""))

    def set_commands(self, params: dict[str, Any]) -> bool:
        """Handle setMyCommands."""
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = str(command.get("command", ""))
            if not (1 <= len(name) <= 32) or not all(c.isalnum() or c == "_" for c in name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        return True

    def get_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        """Handle getMyCommands."""
        key = self._command_key(params.get("scope"), params.get("language_code"))
        return list(self.commands.get(key, []))

    def delete_commands(self, params: dict[str, Any]) -> bool:
        """Handle deleteMyCommands."""
        self.commands.pop(
            self._command_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    def set_description(self, params: dict[str, Any], *, short: bool) -> bool:
        """Handle setMyDescription / setMyShortDescription."""
        name, limit = ("short_description", 120) if short else ("description", 512)
        value = str(params.get(name) or "")
        if len(value) > limit:
            raise bad_request(f"{name.upper()}_INVALID")
        store = self.short_descriptions if short else self.descriptions
        store[str(params.get("language_code") or "")] = value
        return True

    def description(self, language_code: str | None, *, short: bool) -> str:
        """Return the stored (short) description for a language."""
        store = self.short_descriptions if short else self.descriptions
        return store.get(language_code or "", "")
