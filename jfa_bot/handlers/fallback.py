"""Polite answers to everything the bot does not understand, and group etiquette."""

from __future__ import annotations

import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.ext import filters

from jfa_bot.context import BotContext
from jfa_bot.handlers.common import reply
from jfa_bot.keyboards import main_menu

__all__ = [
    "FOR_THIS_BOT",
    "GROUP_POINTER_EVERY",
    "ForThisBot",
    "not_understood",
    "point_to_private_chat",
]


class ForThisBot(filters.MessageFilter):
    """Pass commands addressed to this bot (`/start@ThisBot`) or to no bot (`/start`).

    In a group several bots may read the same commands: `/start@OtherBot` is not ours
    to answer, so it must not get our invitation either.
    """

    def filter(self, message: Message) -> bool:
        """Tell whether the message's leading command is for this bot."""
        entity = next(iter(message.entities), None)
        if entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
            return False
        command = (message.text or "")[: entity.length]
        _name, _at, target = command.partition("@")
        if not target:
            return True
        return target.casefold() == (message.get_bot().username or "").casefold()


FOR_THIS_BOT = ForThisBot(name="ForThisBot")


async def not_understood(update: Update, context: BotContext) -> None:
    """Answer unknown commands, free text, stickers, photos and voice with the menu."""
    text = context.t.gettext(
        "Sorry, I did not understand that. Please choose from the menu below, or send /help."
    )
    await reply(update, text, main_menu(context.t))


#: Seconds before a group gets the invitation again. Telegram takes about 20 messages a
#: minute into a group, then answers 429; and 429s from two chats at once make the pacer
#: hold every reply. The invitation just above serves everyone in the meantime.
GROUP_POINTER_EVERY = 30.0
_POINTED_KEY = "group_pointer_at"


def _pointed_recently(context: BotContext, chat_id: int) -> bool:
    """Tell whether this group got the invitation lately; if not, note that it gets it now."""
    pointed: dict[int, float] = context.bot_data.setdefault(_POINTED_KEY, {})
    now = time.monotonic()
    if now - pointed.get(chat_id, -GROUP_POINTER_EVERY) < GROUP_POINTER_EVERY:
        return True
    if len(pointed) > 1000:  # memory follows the groups active lately
        for old in [c for c, at in pointed.items() if now - at >= GROUP_POINTER_EVERY]:
            del pointed[old]
    pointed[chat_id] = now
    return False


async def point_to_private_chat(update: Update, context: BotContext) -> None:
    """In a group, invite the user to a private chat instead of answering there."""
    message = update.effective_message
    if message is None or _pointed_recently(context, message.chat_id):
        return
    link = f"https://t.me/{context.bot.username}?start=s_group"
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(context.t.gettext("Open a private chat"), url=link)]]
    )
    text = context.t.gettext(
        "Let's talk in a private chat: your answers there stay between you and the campaign."
    )
    await message.reply_text(text, reply_markup=markup)
