"""The bot's own membership in a chat: a person who blocks the bot is marked at once."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from jfa_bot.context import BotContext

__all__ = ["on_my_chat_member"]

log = logging.getLogger(__name__)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Mark a private-chat user who blocked the bot: blocked and unsubscribed, with a record.

    Without this, a blocked user would be found only by the next broadcast. Groups are
    ignored: being removed from a group says nothing about a person's own choice.
    """
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    if change.new_chat_member.status != ChatMemberStatus.BANNED:
        return  # unblocking needs nothing: the person's next message clears the mark
    if await context.store.users.mark_blocked(change.from_user.id):
        log.info("A user blocked the bot; unsubscribed them")
