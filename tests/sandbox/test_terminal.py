"""Tests of the terminal chat against tiny bots written with plain telegram.Bot calls."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from jfa_bot.sandbox import BotApiServer, run_terminal_chat
from jfa_bot.sandbox.terminal import Settled

TOKEN = "123456:TEST-token"


async def tiny_bot(server: BotApiServer) -> None:
    """Answer each text with two buttons; a press edits the message; /file sends a file."""
    bot = telegram.Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
    async with bot:
        offset = 0
        while True:
            for update in await bot.get_updates(offset=offset, timeout=10):
                offset = update.update_id + 1
                if update.message and update.message.text == "/file":
                    await bot.send_document(
                        update.message.chat.id, b"12345", filename="guide.pdf", caption="Guide"
                    )
                elif update.message and update.message.text:
                    user = update.message.from_user
                    language = user.language_code if user else None
                    await bot.send_message(
                        update.message.chat.id,
                        f"<b>You said</b> {update.message.text} ({language})",
                        parse_mode="HTML",
                        reply_markup=InlineKeyboardMarkup(
                            [
                                [
                                    InlineKeyboardButton("English", callback_data="lang:en"),
                                    InlineKeyboardButton("Français", callback_data="lang:fr"),
                                ],
                                [InlineKeyboardButton("Site", url="https://example.org")],
                                [InlineKeyboardButton("Share", switch_inline_query="x")],
                            ]
                        ),
                    )
                elif update.callback_query and update.callback_query.message:
                    query = update.callback_query
                    await query.answer(f"Chose {query.data}")
                    await bot.edit_message_text(
                        f"Language: {query.data}",
                        query.message.chat.id,
                        query.message.message_id,
                    )


def _one_button(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def answer_in_two_parts(bot: telegram.Bot, update: Update, think: float = 0.0) -> None:
    """Answer a text with two messages, each with one button; "/silent" gets nothing."""
    if update.message and update.message.text and update.message.text != "/silent":
        chat_id = update.message.chat.id
        await bot.send_message(chat_id, "First part", reply_markup=_one_button("Old", "old"))
        await asyncio.sleep(think)  # the handler thinks: no call in flight meanwhile
        await bot.send_message(chat_id, "Second part", reply_markup=_one_button("New", "new"))
    elif update.callback_query:
        await update.callback_query.answer(f"Chose {update.callback_query.data}")


async def two_part_bot(server: BotApiServer) -> None:
    """Handle each update before fetching the next (it confirms an update once done)."""
    bot = telegram.Bot(TOKEN, base_url=server.base_url)
    async with bot:
        offset = 0
        while True:
            for update in await bot.get_updates(offset=offset, timeout=10):
                offset = update.update_id + 1
                await answer_in_two_parts(bot, update)


def queueing_bot(think: float) -> tuple[Callable[[BotApiServer], Awaitable[None]], Settled]:
    """Return a bot that confirms updates at once and handles them later, like PTB."""
    queue: asyncio.Queue[Update] = asyncio.Queue()

    async def run(server: BotApiServer) -> None:
        bot = telegram.Bot(TOKEN, base_url=server.base_url)

        async def handle() -> None:
            while True:
                update = await queue.get()
                try:
                    await answer_in_two_parts(bot, update, think)
                finally:
                    queue.task_done()

        async with bot:
            worker = asyncio.create_task(handle())
            try:
                offset = 0
                while True:
                    for update in await bot.get_updates(offset=offset, timeout=10):
                        offset = update.update_id + 1
                        queue.put_nowait(update)
            finally:
                worker.cancel()

    return run, queue.join


async def run_chat(
    lines: str,
    bot: Callable[[BotApiServer], Awaitable[None]] | None = tiny_bot,
    *,
    latency: float = 0.0,
    reply_timeout: float = 5.0,
    settled: Settled | None = None,
) -> str:
    output = io.StringIO()
    async with BotApiServer(token=TOKEN, latency=(latency, 0)) as server:
        user = server.user(1001, first_name="Amina", language_code="en")
        bot_task = asyncio.create_task(bot(server)) if bot is not None else None
        try:
            await run_terminal_chat(
                server,
                user,
                input_stream=io.StringIO(lines),
                output=output,
                reply_timeout=reply_timeout,
                settled=settled,
            )
        finally:
            if bot_task is not None:
                bot_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bot_task
    return output.getvalue()


async def test_message_buttons_press_and_language() -> None:
    out = await run_chat("hello\n2\n:lang sw\nagain\n:help\n:bogus\n/file\n9\n3\n4\n")
    blocks = out.split("── bot")
    assert "──\nYou said hello (en)\n[1] English  [2] Français\n" in out
    assert "[3] Site → https://example.org" in out
    assert "[4] Share (shares)" in out
    assert "(notice: Chose lang:fr)" in out
    assert "── bot (edited) ──\nLanguage: lang:fr" in out
    assert "(your Telegram language is now sw)" in out
    assert "You said again (sw)" in out
    assert ":lang xx" in out  # help text
    assert "(unknown command :bogus; type :help)" in out
    assert "📎 guide.pdf (5 bytes)\nGuide" in out
    assert "(no button 9 to press)" in out
    assert "(opens https://example.org)" in out
    assert "(shares the bot's inline result in another chat)" in out
    assert "you>" not in out  # not a TTY: no prompt
    assert len(blocks) == 5  # hello, edit, again, file (+ the text before the first header)


async def test_quit_stops_reading() -> None:
    out = await run_chat(":quit\nhello\n")
    assert out == ""


async def test_slow_bot_replies_all_show_before_the_next_line() -> None:
    # 1 s a round trip: the bot hears its first send is done 0.5 s after the stand-in shows
    # it, longer than the terminal's quiet wait (0.4 s), and only then sends the second.
    # The number typed next must press the newest message shown.
    out = await run_chat("hello\n1\n", two_part_bot, latency=1.0)
    first, second = out.index("First part"), out.index("Second part")
    assert first < second < out.index("(notice: Chose new)")
    assert "Chose old" not in out


async def test_bot_that_thinks_between_sends_is_waited_for_until_settled() -> None:
    # This bot confirms each update at once (as PTB does) and is silent for 1 s between its
    # two sends: only its own "all handled" signal tells the terminal it is done.
    bot, settled = queueing_bot(think=1.0)
    out = await run_chat("hello\n1\n", bot, settled=settled)
    assert out.index("First part") < out.index("Second part") < out.index("(notice: Chose new)")
    assert "Chose old" not in out


async def test_terminal_says_when_nobody_takes_the_input() -> None:
    out = await run_chat("hello\n", None, reply_timeout=0.3)
    assert "(the bot has not taken your input within 0.3 s: is it running?" in out


async def test_terminal_says_when_the_bot_is_still_working_and_moves_on() -> None:
    bot, settled = queueing_bot(think=30.0)
    out = await run_chat("hello\n1\n", bot, reply_timeout=0.5, settled=settled)
    # Once after the text, once after pressing "First part"'s button, which it never answers.
    assert out.count("(the bot is still working on it after 0.5 s;") == 2
    assert "First part" in out and "Second part" not in out


async def test_terminal_says_when_the_bot_does_not_reply() -> None:
    out = await run_chat("/silent\n", two_part_bot)
    assert out == "(the bot did not reply)\n"
