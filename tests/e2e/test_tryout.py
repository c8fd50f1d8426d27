"""A newcomer tries the real bot in the terminal (`jfa-bot try`) over a slow line."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.sandbox import BotApiServer, run_terminal_chat


@pytest.fixture
async def slow_line(sandbox: BotApiServer, bot: JfaApplication) -> AsyncIterator[None]:
    """Make every Bot API call take a second once the bot is up (back to 0 to stop it)."""
    sandbox.faults.latency = 1.0
    yield
    sandbox.faults.latency = 0.0


async def test_newcomer_on_a_slow_line_sees_each_answer_before_typing_the_next(
    sandbox: BotApiServer, bot: JfaApplication, slow_line: None
) -> None:
    # Choosing French edits the language message, then sends the menu in French a whole
    # round trip later. "7" (Langue) must press that French menu, the newest shown.
    sam = sandbox.user(1000001, first_name="Sam", language_code="en")
    output = io.StringIO()
    await run_terminal_chat(
        sandbox,
        sam,
        input_stream=io.StringIO("/start\n7\n2\n7\n"),
        output=output,
        settled=bot.update_queue.join,
    )
    out = output.getvalue()
    blocks = out.split("── bot")[1:]
    assert "✓ Langue\u00a0: Français" in blocks[2]
    assert "Que souhaitez-vous faire" in blocks[3]
    assert "Choisissez votre langue" in blocks[4] and "(edited)" in blocks[4]
    assert len(blocks) == 5
    french_menu, language_picker = sam.messages[-1], sandbox.events_in(sam.id)[-1]
    assert language_picker.message_id == french_menu.message_id  # not an older menu edited
