"""Small helpers shared by the handlers: who is talking, and answering them."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from jfa_bot.context import BotContext
from jfa_bot.keyboards import home_button, parse

__all__ = [
    "button_args",
    "expired_button",
    "form_button_args",
    "is_private",
    "remember_user",
    "reply",
]

log = logging.getLogger(__name__)


def is_private(update: Update) -> bool:
    """Tell whether the update comes from a private chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def remember_user(update: Update, context: BotContext) -> None:
    """Record the user as seen and pick their language before any handler runs.

    Only someone who uses the bot in a private chat is recorded: joining a group, reacting
    there, adding the bot to a group, typing an inline query or blocking the bot creates
    no row about them.
    """
    user = update.effective_user
    if user is None or user.is_bot:
        return
    if not is_private(update) or update.my_chat_member is not None:
        # Blocking or unblocking the bot is not using it: after /forget, a block must
        # not bring back a row about the person.
        known = await context.store.users.get(user.id)
        context.use_locale(known.locale if known else None, user.language_code)
        if update.callback_query is not None:
            # Every button of this bot is in a private chat: one pressed in a group (or on
            # an inline message) is forged, and its answer (a signer's card, a form) would
            # be posted where others read it.
            await expired_button(update, context)
            raise ApplicationHandlerStop
        return
    record = await context.store.users.seen(user.id, user.language_code)
    context.use_locale(record.locale, user.language_code)


async def reply(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> Message | None:
    """Answer in the update's chat: edit the pressed message when `edit`, else send anew."""
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        try:
            edited = await query.message.edit_text(text, reply_markup=markup)
        except BadRequest as error:
            # Pressing the same button twice asks for the text already shown.
            if "message is not modified" not in error.message.lower():
                raise
            return query.message
        return edited if isinstance(edited, Message) else None
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=markup)


async def expired_button(update: Update, context: BotContext, *, offer_menu: bool = True) -> None:
    """Answer a button whose data is stale or forged, changing nothing.

    The pressed message's dead buttons are replaced by the way back to the menu, so it
    does not end in nothing. Only a press on a form still open (a double tap, a button of
    its current step that does not apply) passes `offer_menu=False`: its buttons still work.
    """
    query = update.callback_query
    if query is None:
        return
    # Tapping an old button is ordinary: the data says what, never who (an id would
    # outlive the person's /forget in the logs).
    log.info("Refused callback data %r", query.data)
    await query.answer(context.t.gettext("This button has expired. Please use /start."))
    if offer_menu and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(InlineKeyboardMarkup([[home_button(context.t)]]))
        except BadRequest as error:
            log.info("Could not replace the expired buttons: %s", error)


async def button_args(update: Update, context: BotContext) -> tuple[str, list[str]] | None:
    """Return a pressed button's action and arguments; refuse malformed data and say so."""
    query = update.callback_query
    parsed = parse(query.data if query else None)
    if query is None or parsed is None or not parsed.args:
        await expired_button(update, context)
        return None
    action, *rest = parsed.args
    return action, rest


async def form_button_args(
    update: Update, context: BotContext
) -> tuple[str, str, str, list[str]] | None:
    """Return a form button's token, step, action and arguments; refuse anything else."""
    pressed = await button_args(update, context)
    if pressed is None:
        return None
    token, rest = pressed  # form data reads <kind>:<token>:<step>:<action>[:<arg>...]
    if len(rest) < 2:
        await expired_button(update, context)
        return None
    step, action, *args = rest
    return token, step, action, args
