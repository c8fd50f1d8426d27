"""Organizer commands: /broadcast (pick, preview, check, confirm) and /broadcasts.

Only admins (JFA_ADMIN_IDS) may use them; anyone else gets the same answer as for an
unknown command, and a forged organizer button is refused, logged, and changes nothing.
"""

from __future__ import annotations

import logging
import re
from html import escape
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit

from jfa_bot.broadcast.engine import BroadcastEngine
from jfa_bot.broadcast.progress import ProgressReporter, state_name
from jfa_bot.context import BotContext
from jfa_bot.files import send_cached_photo
from jfa_bot.handlers.common import expired_button, is_private, reply
from jfa_bot.handlers.fallback import not_understood
from jfa_bot.handlers.resources import content_of
from jfa_bot.i18n import LANGUAGE_NAMES, Translator
from jfa_bot.keyboards import Kind, button, parse
from jfa_bot.spotlight import week_extras, week_posts
from jfa_bot.store import Flow
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState, DeliveryState
from jfa_bot.telegram_html import HtmlParseError, fits_caption, parse_html_entities, utf16_len

__all__ = [
    "COMPOSE_KIND",
    "DRAFT_KIND",
    "broadcast_menu",
    "list_broadcasts",
    "on_button",
    "on_compose_message",
    "picker_label",
    "start_broadcast",
]

log = logging.getLogger(__name__)

DRAFT_KIND = "broadcast_draft"
COMPOSE_KIND = "broadcast_compose"
_MESSAGE_LIMIT = 4096


def engine_of(context: BotContext) -> BroadcastEngine:
    """Return the broadcast engine started with the application."""
    engine: BroadcastEngine = context.bot_data["engine"]
    return engine


def reporter_of(context: BotContext) -> ProgressReporter:
    """Return the progress reporter."""
    reporter: ProgressReporter = context.bot_data["reporter"]
    return reporter


def is_admin(update: Update, context: BotContext) -> bool:
    """Tell whether the update comes from an organizer, in their private chat with the bot.

    Organizer actions (exports, broadcasts) never run from a group: a button pressed on a
    bot message there would post the result into the group.
    """
    user = update.effective_user
    return user is not None and context.settings.is_admin(user.id) and is_private(update)


def variant_problem(text: str) -> str | None:
    """Return why Telegram would refuse a message, or None when it is fine."""
    try:
        visible = parse_html_entities(text).text
    except HtmlParseError as error:
        return str(error)
    if not visible.strip():
        return "the message is empty"
    if utf16_len(visible) > _MESSAGE_LIMIT:
        return f"{utf16_len(visible)} characters, at most {_MESSAGE_LIMIT}"
    return None


def picker_label(t: Translator, week: int, title: str) -> str:
    """Return "Week 8: <title>" for the picker, without repeating a week the title names.

    Titles often start with their week already ("Week 8: Protecting…", "Semaine 8 : …"),
    in whatever language the content is in: any leading "<word> 8:" is dropped first.
    """
    bare = re.sub(rf"^\W*\w+\s+{week}\s*[:.\-–—]\s*", "", title).strip() or title
    return t.gettext("Week {n}: {title}").format(n=t.number(week), title=bare)[:60]


async def broadcast_menu(update: Update, context: BotContext) -> None:
    """Offer each week's spotlight, or a custom message."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    t = context.t
    posts = content_of(context).spotlights(context.settings.default_locale)
    rows = [
        [button(picker_label(t, n, p.title), Kind.ADMIN, "wk", str(n))] for n, p in posts.items()
    ]
    rows.append([button(t.gettext("✏️ Write a custom message"), Kind.ADMIN, "custom")])
    await reply(update, t.gettext("What would you like to broadcast?"), InlineKeyboardMarkup(rows))


async def _preview(update: Update, context: BotContext, draft: Flow) -> None:
    """Send each variant as subscribers will see it, then the translation check."""
    t = context.t
    settings = context.settings
    variants: dict[str, str] = draft.data["variants"]
    # A spotlight has a variant for every language (the bot's words translated), but only
    # the languages that translated the post itself count as translated.
    translated = set(draft.data.get("translated", variants))
    chat = update.effective_chat
    if chat is None:
        return
    problems = {loc: p for loc, text in variants.items() if (p := variant_problem(text))}
    if problems:
        lines = [t.gettext("Telegram would refuse this message, so nothing was sent:")]
        lines += [f"• {LANGUAGE_NAMES[loc]}: {escape(p)}" for loc, p in problems.items()]
        await context.store.flows.delete(draft.user_id)
        await chat.send_message("\n".join(lines))
        return
    extras: dict[str, dict[str, Any]] = draft.data.get("extras", {})
    for locale, text in variants.items():
        header = t.gettext("Preview — {language}:").format(language=LANGUAGE_NAMES[locale])
        extra = extras.get(locale, {})
        if not extra.get("photo") and len(header) + 2 + len(text) <= MessageLimit.MAX_TEXT_LENGTH:
            # One message instead of two: Telegram allows one message per chat per second.
            await _send_preview(context, chat.id, f"{header}\n\n{text}", extra)
            continue
        await chat.send_message(header)
        await _send_preview(context, chat.id, text, extra)
    counts = await context.store.broadcasts.subscribers_by_locale(settings.default_locale)
    total = sum(counts.values())
    default_name = LANGUAGE_NAMES[settings.default_locale]
    lines = [
        t.gettext("<b>Translation check</b> — {label}").format(label=escape(draft.data["label"])),
        t.ngettext("{n} subscriber", "{n} subscribers", total).format(n=t.number(total)),
    ]
    missing = 0
    for locale in settings.locales:
        count = counts.get(locale, 0)
        if locale in translated:
            lines.append(f"• {LANGUAGE_NAMES[locale]}: {t.number(count)} ✓")
        elif count:
            missing += count
            lines.append(
                "• "
                + t.gettext(
                    "{language}: {n} — no translation, they would get the {default} post"
                ).format(language=LANGUAGE_NAMES[locale], n=t.number(count), default=default_name)
            )
    label = (
        t.ngettext(
            "✅ Send; {n} gets the {default} post",
            "✅ Send; {n} get the {default} post",
            missing,
        ).format(n=t.number(missing), default=default_name)
        if missing
        else t.ngettext("✅ Send to {n} subscriber", "✅ Send to {n} subscribers", total).format(
            n=t.number(total)
        )
    )
    rows = [
        [button(label, Kind.ADMIN, "go", draft.token)],
        [button(t.gettext("✖ Discard"), Kind.ADMIN, "drop", draft.token)],
    ]
    if not total:  # a broadcast to nobody would only look like one
        lines.append(t.gettext("Nobody is subscribed yet, so there is no one to send it to."))
        rows = rows[1:]
    await chat.send_message("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def _send_preview(
    context: BotContext, chat_id: int, text: str, extra: dict[str, Any]
) -> None:
    """Send one variant as its subscribers will get it: photo, text and buttons."""
    rows = extra.get("buttons") or []
    markup = (
        InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, url=url) for label, url in row] for row in rows]
        )
        if rows
        else None
    )
    photo = extra.get("photo")
    if photo and fits_caption(text):
        await send_cached_photo(
            context.bot, context.store, chat_id, Path(photo), text, reply_markup=markup
        )
        return
    if photo:
        await send_cached_photo(context.bot, context.store, chat_id, Path(photo))
    await context.bot.send_message(chat_id, text, reply_markup=markup)


async def start_broadcast(
    context: BotContext,
    *,
    kind: BroadcastKind,
    label: str,
    variants: dict[str, str],
    created_by: int | None,
    report_chat_id: int | None,
    report_message_id: int | None = None,
    extras: dict[str, dict[str, Any]] | None = None,
) -> tuple[int, int]:
    """Create and start a broadcast; return its id and the number of recipients."""
    settings = context.settings
    broadcast, recipients = await context.store.broadcasts.create(
        kind=kind,
        label=label,
        variants=variants,
        default_locale=settings.default_locale,
        paid=settings.paid_broadcast,
        created_by=created_by,
        report_chat_id=report_chat_id,
        report_message_id=report_message_id,
        extras=extras,
    )
    await context.store.audit.add(created_by, "broadcast_start", f"#{broadcast.id} {label}")
    await reporter_of(context).show(broadcast)
    engine_of(context).start(broadcast.id)
    return broadcast.id, recipients


async def list_broadcasts(update: Update, context: BotContext) -> None:
    """List recent broadcasts with their counts; failed-retryable ones can be retried."""
    if not is_admin(update, context):
        await not_understood(update, context)
        return
    t = context.t
    recent = await context.store.broadcasts.latest(10)
    if not recent:
        await reply(update, t.gettext("No broadcasts yet. /broadcast starts one."))
        return
    lines, rows = [], []
    for item in recent:
        progress = await context.store.broadcasts.progress(item.id)
        lines.append(
            t.gettext("#{id} {label} ({date}): {sent} of {total} sent, {state}").format(
                id=item.id,
                label=escape(item.label),
                date=item.created_at[:10],
                sent=t.number(progress.count(DeliveryState.SENT)),
                total=t.number(progress.total),
                state=state_name(t, item.state),
            )
        )
        if progress.by_state.get("retryable"):
            rows.append(
                [
                    button(
                        t.gettext("🔁 Retry #{id}").format(id=item.id),
                        Kind.ADMIN,
                        "retry",
                        str(item.id),
                    )
                ]
            )
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


_PLAIN_ENTITIES = frozenset({"url", "mention", "hashtag", "cashtag", "bot_command", "email"})
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z-]*[\s>/]")


def _organizer_html(message: Message) -> str:
    """Take HTML typed as text as HTML (checked later), else Telegram's own formatting."""
    raw = message.text or ""
    formatted = any(entity.type not in _PLAIN_ENTITIES for entity in message.entities)
    if formatted or not _MARKUP.search(raw):
        return message.text_html  # formatted with Telegram's editor, or plain text
    return raw


async def on_compose_message(update: Update, context: BotContext, flow: Flow) -> None:
    """Take the text of a custom broadcast, first in the default language, then variants."""
    message = update.effective_message
    if message is None or not is_admin(update, context):
        return
    t = context.t
    text = _organizer_html(message) if message.text else None
    if not text:
        await reply(update, t.gettext("Please send the message as text."))
        return
    locale = flow.step
    problem = variant_problem(text)
    if problem:
        await reply(
            update,
            t.gettext("Telegram would refuse this: {problem}. Please send it again.").format(
                problem=escape(problem)
            ),
        )
        return
    variants = {**flow.data.get("variants", {}), locale: text}
    flow = flow.at("menu", variants=variants)
    await context.store.flows.save(flow)
    await _compose_menu(update, context, flow)


async def _compose_menu(update: Update, context: BotContext, flow: Flow) -> None:
    t = context.t
    variants = flow.data["variants"]
    rows = [
        [
            button(
                t.gettext("Add {language}").format(language=LANGUAGE_NAMES[loc]),
                Kind.ADMIN,
                "lang",
                flow.token,
                loc,
            )
        ]
        for loc in context.settings.locales
        if loc not in variants
    ]
    rows.append([button(t.gettext("👀 Preview and check"), Kind.ADMIN, "check", flow.token)])
    rows.append([button(t.gettext("✖ Discard"), Kind.ADMIN, "drop", flow.token)])
    done = ", ".join(LANGUAGE_NAMES[loc] for loc in variants)
    await reply(
        update,
        t.gettext("Saved. Languages so far: {languages}. Add a translation, or preview.").format(
            languages=done
        ),
        InlineKeyboardMarkup(rows),
    )


async def on_button(update: Update, context: BotContext) -> None:
    """Handle organizer buttons; refuse and log them for anyone else."""
    query = update.callback_query
    if query is None:
        return
    if not is_admin(update, context):
        log.warning(
            "Refused organizer button %r from non-admin %s", query.data, query.from_user.id
        )
        await expired_button(update, context)
        return
    parsed = parse(query.data)
    if parsed is None or not parsed.args:
        await expired_button(update, context)
        return
    action, *rest = parsed.args
    handler = _ACTIONS.get(action)
    if handler is None:
        await expired_button(update, context)
        return
    await handler(update, context, rest)


async def _choose_week(update: Update, context: BotContext, rest: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    posts = content_of(context).spotlights(context.settings.default_locale)
    if not rest or not rest[0].isdigit() or int(rest[0]) not in posts:
        await expired_button(update, context)
        return
    await query.answer()
    week = int(rest[0])
    content = content_of(context)
    rendered = week_posts(content, week, context.bot.username)
    variants = {locale: post.text for locale, post in rendered.items()}
    label = context.t.gettext("Week {n}").format(n=week)
    draft = await context.store.flows.start(
        query.from_user.id,
        DRAFT_KIND,
        "check",
        {
            "variants": variants,
            "label": label,
            "kind": "spotlight",
            "extras": week_extras(rendered),
            "translated": sorted(content.spotlight_variants(week)),
        },
    )
    await _preview(update, context, draft)


async def _custom(update: Update, context: BotContext, rest: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    default = context.settings.default_locale
    await context.store.flows.start(query.from_user.id, COMPOSE_KIND, default, {"variants": {}})
    await reply(
        update,
        context.t.gettext(
            "Send the message in {language}. You can use bold, italics and links."
        ).format(language=LANGUAGE_NAMES[default]),
    )


async def _draft(
    update: Update, context: BotContext, rest: list[str], kinds: set[str]
) -> Flow | None:
    query = update.callback_query
    assert query is not None
    flow = await context.store.flows.get(query.from_user.id)
    if flow is None or flow.kind not in kinds or not rest or flow.token != rest[0]:
        # A double tap on "send" lands here once the draft became the live progress
        # message: its pause and cancel buttons must stay.
        await expired_button(update, context, offer_menu=False)
        return None
    return flow


async def _add_language(update: Update, context: BotContext, rest: list[str]) -> None:
    flow = await _draft(update, context, rest, {COMPOSE_KIND})
    if flow is None or len(rest) < 2 or rest[1] not in context.settings.locales:
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    await context.store.flows.save(flow.at(rest[1]))
    await reply(
        update,
        context.t.gettext("Send the message in {language}.").format(
            language=LANGUAGE_NAMES[rest[1]]
        ),
    )


async def _check(update: Update, context: BotContext, rest: list[str]) -> None:
    flow = await _draft(update, context, rest, {COMPOSE_KIND})
    if flow is None:
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    if context.settings.default_locale not in flow.data.get("variants", {}):
        await reply(update, context.t.gettext("The message in the default language is missing."))
        return
    label = context.t.gettext("Custom message")
    draft = await context.store.flows.start(
        flow.user_id,
        DRAFT_KIND,
        "check",
        {"variants": flow.data["variants"], "label": label, "kind": "custom"},
    )
    await _preview(update, context, draft)


async def _go(update: Update, context: BotContext, rest: list[str]) -> None:
    flow = await _draft(update, context, rest, {DRAFT_KIND})
    if flow is None:
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    # The translation check becomes the live progress message: one edit, no new message.
    message = query.message
    # The draft is dropped only once the broadcast is committed: if starting fails, the
    # organizer's text is still there to send again.
    await start_broadcast(
        context,
        kind=BroadcastKind(flow.data["kind"]),
        label=flow.data["label"],
        variants=flow.data["variants"],
        created_by=flow.user_id,
        report_chat_id=message.chat.id if message else flow.user_id,
        report_message_id=message.message_id if message else None,
        extras=flow.data.get("extras"),
    )
    await context.store.flows.delete(flow.user_id)


async def _drop(update: Update, context: BotContext, rest: list[str]) -> None:
    flow = await _draft(update, context, rest, {DRAFT_KIND, COMPOSE_KIND})
    if flow is None:
        return
    assert update.callback_query is not None
    await context.store.flows.delete(flow.user_id)
    await update.callback_query.answer()
    await reply(update, context.t.gettext("Discarded. Nothing was sent."), edit=True)


async def _control(update: Update, context: BotContext, rest: list[str], action: str) -> None:
    query = update.callback_query
    assert query is not None
    if not rest or not rest[0].isdigit():
        await expired_button(update, context)
        return
    broadcast_id = int(rest[0])
    engine = engine_of(context)
    done = {
        "pause": engine.pause,
        "resume": engine.resume,
        "cancel": engine.cancel,
    }[action]
    changed = await done(broadcast_id)
    t = context.t
    await query.answer(t.gettext("Done.") if changed else t.gettext("Nothing to change."))
    if changed:
        await context.store.audit.add(
            query.from_user.id, f"broadcast_{action}", f"#{broadcast_id}"
        )
        broadcast = await context.store.broadcasts.get(broadcast_id)
        if broadcast is not None:
            await reporter_of(context).show(
                broadcast, final=broadcast.state is not BroadcastState.RUNNING
            )


async def _retry(update: Update, context: BotContext, rest: list[str]) -> None:
    query = update.callback_query
    assert query is not None
    if not rest or not rest[0].isdigit():
        await expired_button(update, context)
        return
    count = await engine_of(context).retry(int(rest[0]))
    t = context.t
    await query.answer(
        t.ngettext("Retrying {n} recipient.", "Retrying {n} recipients.", count).format(n=count)
    )
    if count:
        await context.store.audit.add(query.from_user.id, "broadcast_retry", f"#{rest[0]}")


async def _pause(update: Update, context: BotContext, rest: list[str]) -> None:
    await _control(update, context, rest, "pause")


async def _resume(update: Update, context: BotContext, rest: list[str]) -> None:
    await _control(update, context, rest, "resume")


async def _cancel(update: Update, context: BotContext, rest: list[str]) -> None:
    await _control(update, context, rest, "cancel")


async def _check_draft(update: Update, context: BotContext, rest: list[str]) -> None:
    await _check(update, context, rest)


_ACTIONS = {
    "wk": _choose_week,
    "custom": _custom,
    "lang": _add_language,
    "check": _check_draft,
    "go": _go,
    "drop": _drop,
    "pause": _pause,
    "resume": _resume,
    "cancel": _cancel,
    "retry": _retry,
}
