"""/spotlight, /weeks, /subscribe, /unsubscribe (/stop) and /settings."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from jfa_bot.context import BotContext
from jfa_bot.files import send_cached_photo
from jfa_bot.handlers.common import button_args, expired_button, reply
from jfa_bot.handlers.resources import content_of
from jfa_bot.handlers.signer import handover_choice_text
from jfa_bot.i18n import LANGUAGE_NAMES, Translator
from jfa_bot.keyboards import Kind, button, home_button
from jfa_bot.spotlight import Post, build_post, current_week
from jfa_bot.store import Visibility
from jfa_bot.telegram_html import fits_caption

__all__ = [
    "on_button",
    "settings_menu",
    "show_spotlight",
    "stop_from_post",
    "subscribe",
    "undo_stop",
    "unsubscribe",
    "weeks",
]

SUBSCRIBE_VERSION = "2026-11-1"


def _week_label(t: Translator, week: int, title: str) -> str:
    return title if len(title) <= 40 else t.gettext("Week {n}").format(n=t.number(week))


async def show_spotlight(update: Update, context: BotContext, week: int | None = None) -> None:
    """Show this week's spotlight post (or the week asked for)."""
    t = context.t
    posts = content_of(context).spotlights(t.locale)
    today = dt.datetime.now(context.settings.zone).date()
    number = week if week in posts else current_week(context.settings.campaign_start, today, posts)
    if number is None:
        await reply(update, t.gettext("There is no spotlight yet. Please come back soon."))
        return
    post = build_post(posts[number], t, context.bot.username)
    user = update.effective_user
    rows = [[button(t.gettext("📚 Earlier weeks"), Kind.SPOTLIGHT, "weeks")]]
    if user is not None and not await context.store.subscriptions.is_subscribed(user.id):
        rows.append([button(t.gettext("🔔 Get it every week"), Kind.SPOTLIGHT, "sub")])
    await send_post(update, context, post, rows)


async def send_post(
    update: Update, context: BotContext, post: Post, rows: list[list[InlineKeyboardButton]]
) -> None:
    """Send a post with its image (as caption when it fits, else above it) and buttons."""
    chat = update.effective_chat
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, url=url) for label, url in row] for row in post.buttons]
        + rows
    )
    if post.photo is None or chat is None:
        await reply(update, post.text, markup)
        return
    if fits_caption(post.text):
        await send_cached_photo(
            context.bot, context.store, chat.id, post.photo, post.text, reply_markup=markup
        )
        return
    await send_cached_photo(context.bot, context.store, chat.id, post.photo)
    await reply(update, post.text, markup)


async def weeks(update: Update, context: BotContext) -> None:
    """List the weeks published so far as buttons; say how many are still to come."""
    t = context.t
    content = content_of(context)
    posts = content.spotlights(t.locale)
    if not posts:
        await reply(update, t.gettext("There is no spotlight yet. Please come back soon."))
        return
    rows = [
        [button(_week_label(t, number, post.title), Kind.SPOTLIGHT, "w", str(number))]
        for number, post in posts.items()
    ]
    text = t.gettext("The 10 Weeks of Action so far:")
    if content.campaign_weeks and len(posts) < content.campaign_weeks:
        published = t.ngettext(
            "{n} of {total} weeks is published. The others are not published yet.",
            "{n} of {total} weeks are published. The others are not published yet.",
            len(posts),
        ).format(n=t.number(len(posts)), total=t.number(content.campaign_weeks))
        text = f"{text}\n{published}"
    await reply(update, text, InlineKeyboardMarkup(rows))


async def subscribe(update: Update, context: BotContext) -> None:
    """Subscribe to the weekly spotlight, then offer the weeks already published."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    added = await context.store.subscriptions.subscribe(user.id, t.locale, SUBSCRIBE_VERSION)
    if not added:
        await reply(
            update, t.gettext("You already receive the weekly spotlight. /unsubscribe stops it.")
        )
        return
    text = t.gettext("🔔 Done: you will receive the weekly spotlight. /unsubscribe stops it.")
    posts = content_of(context).spotlights(t.locale)
    today = dt.datetime.now(context.settings.zone).date()
    now = current_week(context.settings.campaign_start, today, posts)
    missed = [number for number in posts if now is not None and number <= now]
    if not missed:
        await reply(update, text)
        return
    rows = [
        [button(_week_label(t, number, posts[number].title), Kind.SPOTLIGHT, "w", str(number))]
        for number in missed
    ]
    catch_up = t.ngettext(
        "You can catch up on the week already published:",
        "You can catch up on the {n} weeks already published:",
        len(missed),
    ).format(n=t.number(len(missed)))
    await reply(update, f"{text}\n\n{catch_up}", InlineKeyboardMarkup(rows))


async def unsubscribe(update: Update, context: BotContext) -> None:
    """Stop the weekly spotlight."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    removed = await context.store.subscriptions.unsubscribe(user.id)
    await reply(
        update,
        t.gettext("Done: you will no longer receive the weekly spotlight. /subscribe restarts it.")
        if removed
        else t.gettext("You do not receive the weekly spotlight. /subscribe starts it."),
    )


async def stop_from_post(update: Update, context: BotContext) -> None:
    """Unsubscribe with one tap on a broadcast post, confirm, and offer to undo it."""
    query = update.callback_query
    if query is None:
        return
    t = context.t
    if not await context.store.subscriptions.unsubscribe(query.from_user.id):
        await query.answer(t.gettext("You do not receive these posts any more."))
        return
    await query.answer(t.gettext("Stopped."))
    rows = [
        [button(t.gettext("↩️ Undo: keep receiving them"), Kind.SPOTLIGHT, "undo")],
        [home_button(t)],
    ]
    await reply(
        update,
        t.gettext(
            "Done: you will no longer receive these posts. Changed your mind? Undo it "
            "below, or send /subscribe at any time."
        ),
        InlineKeyboardMarkup(rows),
    )


async def undo_stop(update: Update, context: BotContext) -> None:
    """Subscribe again after "stop these posts", editing the confirmation in place."""
    query = update.callback_query
    if query is None:
        return
    t = context.t
    await context.store.subscriptions.subscribe(query.from_user.id, t.locale, SUBSCRIBE_VERSION)
    await query.answer(t.gettext("You will receive the weekly spotlight."))
    await reply(
        update,
        t.gettext("🔔 You will receive these posts again. /unsubscribe stops them."),
        InlineKeyboardMarkup([[home_button(t)]]),
        edit=True,
    )


async def settings_menu(update: Update, context: BotContext) -> None:
    """Show language, subscription and name visibility, each one tap to change."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    subscribed = await context.store.subscriptions.is_subscribed(user.id)
    signature = await context.store.signatures.get(user.id)
    lines = [
        t.gettext("<b>Your settings</b>"),
        t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[t.locale]),
        t.gettext("Weekly spotlight: {state}").format(
            state=t.gettext("on") if subscribed else t.gettext("off")
        ),
    ]
    rows = [
        [button(t.gettext("🌐 Change language"), Kind.MENU, "language")],
        [
            button(
                t.gettext("🔕 Stop the weekly spotlight")
                if subscribed
                else t.gettext("🔔 Get the weekly spotlight"),
                Kind.SPOTLIGHT,
                "set_unsub" if subscribed else "set_sub",
            )
        ],
    ]
    if signature is not None:
        withheld = signature.visibility is Visibility.WITHHELD
        lines.append(handover_choice_text(t, not withheld))
        if withheld:  # adding the name asks for a confirmation first
            rows.append(
                [button(t.gettext("👁 Add my name to the hand-over list…"), Kind.SIGNER, "pub")]
            )
        else:
            rows.append(
                [
                    button(
                        t.gettext("🙈 Take my name off the hand-over list"),
                        Kind.SIGNER,
                        "vis",
                        Visibility.WITHHELD.value,
                    )
                ]
            )
    await reply(
        update,
        "\n".join(lines),
        InlineKeyboardMarkup(rows),
        edit=update.callback_query is not None,
    )


async def on_button(update: Update, context: BotContext) -> None:
    """Handle spotlight buttons: a week, the archive, subscribe, unsubscribe."""
    query = update.callback_query
    pressed = await button_args(update, context)
    if query is None or pressed is None:
        return
    action, rest = pressed
    posts = content_of(context).spotlights(context.t.locale)
    if action == "w" and rest and rest[0].isdigit() and int(rest[0]) in posts:
        await query.answer()
        await show_spotlight(update, context, int(rest[0]))
    elif action == "weeks":
        await query.answer()
        await weeks(update, context)
    elif action == "sub":
        await query.answer()
        await subscribe(update, context)
    elif action == "unsub":
        await query.answer()
        await unsubscribe(update, context)
    elif action in ("set_sub", "set_unsub"):
        await _toggle_in_settings(update, context, on=action == "set_sub")
    elif action == "stop":
        await stop_from_post(update, context)
    elif action == "undo":
        await undo_stop(update, context)
    else:
        await expired_button(update, context)


async def _toggle_in_settings(update: Update, context: BotContext, *, on: bool) -> None:
    """Start or stop the weekly spotlight from the settings, and show them updated in place."""
    query = update.callback_query
    if query is None:
        return
    t = context.t
    subscriptions = context.store.subscriptions
    if on:
        await subscriptions.subscribe(query.from_user.id, t.locale, SUBSCRIBE_VERSION)
        await query.answer(t.gettext("You will receive the weekly spotlight."))
    else:
        await subscriptions.unsubscribe(query.from_user.id)
        await query.answer(t.gettext("Stopped."))
    await settings_menu(update, context)
