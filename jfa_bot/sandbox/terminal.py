"""A line-based terminal chat with the bot through the Bot API stand-in (``jfa-bot try``).

After each line the terminal waits until the bot is done with it, then prints what the bot
sent, then reads the next line: a reply never comes after the next prompt, and a number
always presses a button of the newest message shown. "Done" is, in order:

1. the bot has confirmed the update (asked getUpdates past it, or its webhook answered):
   it holds the update for handling;
2. with a ``settled`` signal from the bot's own process (``jfa-bot try`` passes PTB's
   ``update_queue.join``, which returns once every update taken was handled): that signal;
   without one: no Bot API call in flight and nothing new for ``QUIET_SECONDS``, the most
   the stand-in alone can observe (a handler thinking longer between two sends fools it).

Each line waits at most ``reply_timeout`` seconds; the terminal then says why it moves on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from jfa_bot.sandbox.state import Button, ChatMessage, MessageKind

if TYPE_CHECKING:
    from jfa_bot.sandbox.client import SimulatedUser
    from jfa_bot.sandbox.server import BotApiServer

#: Without a settled signal: how long the bot must stay idle before its answer is complete.
QUIET_SECONDS = 0.4
#: How long one line may wait for the bot before the terminal moves on.
REPLY_TIMEOUT = 15.0
#: Returns once the bot has handled every update it took.
Settled = Callable[[], Awaitable[object]]
HELP = """Commands:
  <text>      send a message to the bot
  <number>    press that button of the newest message shown with buttons
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
        self,
        server: BotApiServer,
        user: SimulatedUser,
        output: TextIO,
        reply_timeout: float,
        settled: Settled | None,
    ) -> None:
        self.server = server
        self.user = user
        self.output = output
        self.reply_timeout = reply_timeout
        self.settled = settled
        self.seen = len(server.events_in(user.id))
        # Each message as last shown, most recently shown last: numbers press these.
        self.shown: dict[int, ChatMessage] = {}

    def say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.reply_timeout

    @staticmethod
    def _left(deadline: float) -> float:
        return max(deadline - asyncio.get_running_loop().time(), 0.0)

    async def _bot_done(self, update_id: int, deadline: float) -> bool:
        """Wait until the bot is done with update ``update_id``; say so if it is not in time."""
        server = self.server
        if not await self._until(lambda: server.confirmed(update_id), deadline):
            if server.delivered(update_id):
                self._still_working()
            else:
                self.say(
                    f"(the bot has not taken your input within {self.reply_timeout:g} s: "
                    "is it running? Anything it sends later shows after your next line.)"
                )
            return False
        if self.settled is not None:
            try:
                # A moment even past the deadline: asyncio.wait_for(…, 0) fails done work.
                await asyncio.wait_for(self.settled(), max(self._left(deadline), 0.05))
            except TimeoutError:
                self._still_working()
                return False
            return True
        if not await self._quiet(deadline):
            self._still_working()
            return False
        return True

    async def _until(self, predicate: Callable[[], bool], deadline: float) -> bool:
        if predicate():
            return True
        left = self._left(deadline)
        return left > 0 and await self.server.wait_until(predicate, left)

    def _still_working(self) -> None:
        self.say(
            f"(the bot is still working on it after {self.reply_timeout:g} s; "
            "what it sends later shows after your next line)"
        )

    async def _quiet(self, deadline: float) -> bool:
        """Wait until no Bot API call is in flight and nothing changed for QUIET_SECONDS."""
        server = self.server
        chat_id = self.user.id

        def mark() -> tuple[int, int]:
            return server.call_events, len(server.events_in(chat_id))

        def moved_from(before: tuple[int, int]) -> Callable[[], bool]:
            return lambda: mark() != before

        while (left := self._left(deadline)) > 0:
            before = mark()
            await server.wait_until(moved_from(before), min(QUIET_SECONDS, left))
            if mark() == before and server.calls_in_flight == 0:
                return True
        return False

    def print_replies(self) -> int:
        """Print the bot's new and edited messages; return how many."""
        events = self.server.events_in(self.user.id)
        fresh = events[self.seen :]
        for message in fresh:
            self.say(format_message(message, self.server))
            self.shown.pop(message.message_id, None)
            self.shown[message.message_id] = message
        self.seen = len(events)
        return len(fresh)

    def _newest_with_buttons(self) -> ChatMessage | None:
        return next((m for m in reversed(self.shown.values()) if m.buttons), None)

    async def send(self, text: str) -> None:
        """Send a text, wait until the bot is done with it and print what it sent."""
        deadline = self._deadline()
        update_id = await self.user.send(text)
        done = await self._bot_done(update_id, deadline)
        if not self.print_replies() and done:
            self.say("(the bot did not reply)")

    async def press(self, number: int) -> None:
        """Press button ``number`` of the newest message shown with buttons."""
        message = self._newest_with_buttons()
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
        deadline = self._deadline()
        try:
            answer = await self.user.press_raw(
                button.callback_data, message.message_id, timeout=self.reply_timeout
            )
        except TimeoutError:
            answer = None
        done = await self._bot_done(self.user.last_update_id, deadline)
        if answer is not None and answer.text:
            self.say(f"({'alert' if answer.show_alert else 'notice'}: {answer.text})")
        elif answer is None and done:
            self.say("(the bot did not answer the button press)")
        self.print_replies()

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
            await self.send(line)
        return True


async def run_terminal_chat(
    server: BotApiServer,
    user: SimulatedUser,
    *,
    input_stream: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    reply_timeout: float = REPLY_TIMEOUT,
    settled: Settled | None = None,
) -> None:
    """Chat with the bot line by line until ``:quit`` or end of input.

    ``settled`` returns once the bot has handled every update it took (for a PTB
    Application in this process: ``app.update_queue.join``); without it the terminal
    waits for the bot to be idle for ``QUIET_SECONDS``.
    """
    loop = asyncio.get_running_loop()
    session = _Session(server, user, output, reply_timeout, settled)
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
