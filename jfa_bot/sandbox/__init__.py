"""Telegram Bot API stand-in: an aiohttp server, simulated users and a terminal chat."""

from jfa_bot.sandbox.client import SimulatedUser
from jfa_bot.sandbox.server import BotApiServer
from jfa_bot.sandbox.state import (
    ApiError,
    Button,
    CallbackAnswer,
    ChatMessage,
    Faults,
    MessageKind,
    RecordedCall,
    Stats,
    StoredFile,
    UpdateType,
    WebhookConfig,
)
from jfa_bot.sandbox.store import ChatInfo
from jfa_bot.sandbox.terminal import run_terminal_chat
from jfa_bot.telegram_html import HtmlParseError, ParsedHtml, parse_html, parse_html_entities

__all__ = [
    "ApiError",
    "BotApiServer",
    "Button",
    "CallbackAnswer",
    "ChatInfo",
    "ChatMessage",
    "Faults",
    "HtmlParseError",
    "MessageKind",
    "ParsedHtml",
    "RecordedCall",
    "SimulatedUser",
    "Stats",
    "StoredFile",
    "UpdateType",
    "WebhookConfig",
    "parse_html",
    "parse_html_entities",
    "run_terminal_chat",
]
