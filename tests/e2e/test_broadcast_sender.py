"""The broadcast sender against the stand-in: a post that failed halfway is not doubled."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from telegram.error import NetworkError

from jfa_bot.broadcast.sender import LeanSender
from jfa_bot.sandbox import BotApiServer
from jfa_bot.sandbox.state import MessageKind
from jfa_bot.store.broadcasts import BroadcastPost
from tests.conftest import TEST_TOKEN


async def test_a_photo_post_whose_text_failed_is_retried_without_a_second_photo(
    sandbox: BotApiServer, tmp_path: Path
) -> None:
    image = tmp_path / "week.png"
    Image.new("RGB", (64, 64), (42, 111, 151)).save(image)
    reader = sandbox.user(91_001, language_code="en")
    before = len(sandbox.messages_in(reader.id))
    post = BroadcastPost(text="Week 9 " + "words " * 300, photo=str(image))  # too long a caption
    sender = LeanSender(sandbox.base_url, TEST_TOKEN)
    try:
        sandbox.faults.fail_methods = frozenset({"sendMessage"})
        sandbox.faults.fail_next_5xx = 1
        with pytest.raises(NetworkError):
            await sender.send(reader.id, post, paid=False)  # the photo went, the text did not
        sandbox.faults.fail_methods = None
        await sender.send(reader.id, post, paid=False)  # the engine tries the post again
    finally:
        await sender.close()
    kinds = [message.kind for message in sandbox.messages_in(reader.id)[before:]]
    assert kinds == [MessageKind.PHOTO, MessageKind.TEXT]
