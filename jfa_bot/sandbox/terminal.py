"""A line-based terminal chat with the bot through the Bot API stand-in (``jfa-bot try``)."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from jfa_bot.sandbox.state import Button, ChatMessage, MessageKind

if TYPE_CHECKING:
    from jfa_bot.sandbox.client import SimulatedUser
    from jfa_bot.sandbox.server import BotApiServer

QUIET_SECONDS = 0.4
HELP = """Commands:
  <text>      send a message to the bot
  <number>    press that button of the latest message with buttons
  :lang xx    switch your Telegram language (e.g. :lang fr)
  :help       show this help
  :quit       leave (end of input works too)"""


def _button_label(number: int, button: Button) -> str:
    label = f"[{number}] {button.text}"
    if button.url is not None:
        return f"{label} → {button.url}"
    if button.shares:
        return f"{label} (shares)"
    return label


def format_message(message: ChatMessage, server: BotApiServer) -> str:
    """Render a bot message for the terminal: header, visible text, numbered buttons."""
    header = "── bot (edited) ──" if message.edited else "── bot ──"
    lines = [header]
    if message.kind is not MessageKind.TEXT and message.file_id is not None:
        file = server.store.files.get(message.file_id)
        size = file.size if file is not None else 0
        name = message.document_name or ("photo" if message.kind is MessageKind.PHOTO else "file")
        icon = "🖼" if message.kind is MessageKind.PHOTO else "📎"
        lines.append(f"{icon} {name} ({size} bytes)")
    if message.plain:
        lines.append(message.plain)
    number = 0
    for row in message.buttons:
        labels = []
        for button in row:
            number += 1
            labels.append(_button_label(number, button))
        lines.append("  ".join(labels))
    return "\n".join(lines)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Session:
    """State of one terminal chat."""

    def __init__(
        self, server: BotApiServer, user: SimulatedUser, output: TextIO, reply_timeout: float
    ) -> None:
        self.server = server
        self.user = user
        self.output = output
        self.reply_timeout = reply_timeout
        self.seen = len(server.events_in(user.id))

    def say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    async def print_replies(self) -> None:
        """Wait for the bot's first reply, then until it is quiet, and print new events."""
        chat_id = self.user.id
        await self.server.wait_until(
            lambda: len(self.server.events_in(chat_id)) > self.seen, self.reply_timeout
        )
        await self.user.quiet(QUIET_SECONDS, max_wait=max(self.reply_timeout, QUIET_SECONDS))
        events = self.server.events_in(chat_id)
        for message in events[self.seen :]:
            self.say(format_message(message, self.server))
        self.seen = len(events)

    async def press(self, number: int) -> None:
        """Press button ``number`` of the latest bot message with buttons."""
        message = next((m for m in reversed(self.user.messages) if m.buttons), None)
        buttons = [button for row in message.buttons for button in row] if message else []
        if message is None or not 1 <= number <= len(buttons):
            self.say(f"(no button {number} to press)")
            return
        button = buttons[number - 1]
        if button.callback_data is None:
            if button.url is not None:
                self.say(f"(opens {button.url})")
            elif button.copy_text is not None:
                self.say(f"(copied: {button.copy_text})")
            else:
                self.say("(shares the bot's inline result in another chat)")
            return
        try:
            answer = await self.user.press_raw(
                button.callback_data, message.message_id, timeout=self.reply_timeout
            )
        except TimeoutError:
            self.say("(the bot did not answer the button press)")
        else:
            if answer.text:
                self.say(f"({'alert' if answer.show_alert else 'notice'}: {answer.text})")
        await self.print_replies()

    async def handle(self, line: str) -> bool:
        """Handle one input line; return False to stop."""
        if line == ":quit":
            return False
        if line == ":help":
            self.say(HELP)
        elif line.startswith(":lang"):
            parts = line.split()
            if len(parts) == 2:
                self.user.language_code = parts[1]
                self.say(f"(your Telegram language is now {parts[1]})")
            else:
                self.say("(usage: :lang xx)")
        elif line.startswith(":"):
            self.say(f"(unknown command {line.split()[0]}; type :help)")
        elif line.isdigit():
            await self.press(int(line))
        else:
            await self.user.send(line)
            await self.print_replies()
        return True


async def run_terminal_chat(
    server: BotApiServer,
    user: SimulatedUser,
    *,
    input_stream: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    reply_timeout: float = 3.0,
) -> None:
    """Chat with the bot line by line until ``:quit`` or end of input."""
    loop = asyncio.get_running_loop()
    session = _Session(server, user, output, reply_timeout)
    interactive = _is_tty(input_stream)
    if interactive:
        session.say("Talking to the bot. Type :help for commands.")
    while True:
        if interactive:
            output.write("you> ")
            output.flush()
        line = await loop.run_in_executor(None, input_stream.readline)
        if not line:
            break
        line = line.strip()
        if line and not await session.handle(line):
            break
