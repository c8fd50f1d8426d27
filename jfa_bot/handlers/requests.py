"""Defenders' requests: the optional Action Pack form, and the webinar recording's gate.

Both are short forms kept in the store (`flows`), like signing, with the token and step in
every button (`r:<token>:<step>:<action>[:<arg>]`). Nothing is kept without the consent
button; the webinar link is given once the request is recorded, and at once afterwards.
"""

from __future__ import annotations

from enum import StrEnum
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from jfa_bot.content import Content
from jfa_bot.context import BotContext
from jfa_bot.forms import clean_text
from jfa_bot.handlers.common import expired_button, form_button_args, reply
from jfa_bot.handlers.country_step import FRESH_SEARCH, choice_rows, read_country, search_text
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import Kind, MenuItem, button, home_button, main_menu
from jfa_bot.store import Flow, NewRequest, RequestKind, Usage

__all__ = ["FORM_KINDS", "offer_pack_form", "on_button", "on_message", "webinar"]

PACK_FORM = "pack"
WEBINAR_FORM = "webinar"
FORM_KINDS = frozenset({PACK_FORM, WEBINAR_FORM})
REQUEST_CONSENT_VERSION = "2026-11-1"


class Step(StrEnum):
    """Steps of the request forms."""

    OFFER = "offer"
    CONFIRM = "confirm"  # webinar: re-use the signature's name and country?
    NAME = "name"
    ORGANISATION = "org"
    COUNTRY = "country"
    USAGE = "usage"
    OTHER = "other"
    CONSENT = "consent"


_TYPED = {Step.NAME, Step.ORGANISATION, Step.COUNTRY, Step.OTHER}


def _rb(label: str, flow: Flow, action: str, *args: str) -> InlineKeyboardButton:
    return button(label, Kind.REQUEST, flow.token, flow.step, action, *args)


def _usage_label(t: Translator, usage: Usage) -> str:
    return {
        Usage.LOCAL_ADVOCACY: t.gettext("Local advocacy"),
        Usage.TRAINING: t.gettext("Training"),
        Usage.NATIONAL_ACTION_PLAN: t.gettext("A national action plan process"),
        Usage.OTHER: t.gettext("Something else"),
    }[usage]


def render(flow: Flow, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Return the text and buttons of the request form's current step."""
    step = Step(flow.step)
    data = flow.data
    skip = [_rb(t.gettext("Skip"), flow, "skip")]
    cancel = [_rb(t.gettext("✖ Cancel"), flow, "x")]
    if step is Step.OFFER:
        text = t.gettext(
            "Would you tell us how you will use the Action Pack? It takes a minute and "
            "helps the campaign show where the brief is used. It is optional."
        )
        rows = [
            [_rb(t.gettext("📝 Tell us"), flow, "go"), _rb(t.gettext("No, thanks"), flow, "x")]
        ]
        return text, InlineKeyboardMarkup(rows)
    if step is Step.CONFIRM:
        text = t.gettext(
            "Use the name and country from your signature: {name}, {country}?"
        ).format(
            name=escape(data.get("name", "")),
            country=escape(t.country_name(data.get("country", ""))),
        )
        rows = [
            [_rb(t.gettext("Yes, use them"), flow, "yes")],
            [_rb(t.gettext("No, type others"), flow, "no")],
            cancel,
        ]
        return text, InlineKeyboardMarkup(rows)
    if step is Step.NAME:
        return t.gettext("What is your name?"), InlineKeyboardMarkup([cancel])
    if step is Step.ORGANISATION:
        text = t.gettext("Which organisation are you with? Type its name.")
        label = (
            t.gettext("I have no organisation") if flow.kind == WEBINAR_FORM else t.gettext("Skip")
        )
        return text, InlineKeyboardMarkup([[_rb(label, flow, "skip")], cancel])
    if step is Step.COUNTRY:
        text = search_text(t, data) or t.gettext(
            "Which country do you work in? Type part of its name."
        )
        rows = choice_rows(
            t, data.get("matches", []), lambda label, code: _rb(label, flow, "c", code)
        )
        if flow.kind == PACK_FORM:
            rows.append(skip)
        return text, InlineKeyboardMarkup([*rows, cancel])
    if step is Step.USAGE:
        rows = [[_rb(_usage_label(t, usage), flow, "u", usage.value)] for usage in Usage]
        return t.gettext("How will you use the Action Pack?"), InlineKeyboardMarkup(
            [*rows, cancel]
        )
    if step is Step.OTHER:
        return t.gettext("In a few words, how will you use it?"), InlineKeyboardMarkup([cancel])
    what = (
        t.gettext(
            "We will keep what you told us, with your language and the time, so the "
            "campaign's organizers can see who uses the Action Pack and where. You can "
            "download or erase it at any time: /mydata, /forget."
        )
        if flow.kind == PACK_FORM
        else t.gettext(
            "We will keep your name, organisation or country, your language and the time, "
            "so the campaign's organizers know who watched the webinar. You can download or "
            "erase it at any time: /mydata, /forget."
        )
    )
    decline = (
        t.gettext("Don't keep it")
        if flow.kind == PACK_FORM
        else t.gettext("No thanks, skip the recording")
    )
    rows = [
        [_rb(t.gettext("✅ I agree"), flow, "ok")],
        [_rb(decline, flow, "x")],
    ]
    return what, InlineKeyboardMarkup(rows)


async def _show(update: Update, context: BotContext, flow: Flow, *, edit: bool) -> None:
    await context.store.flows.save(flow)
    text, markup = render(flow, context.t)
    sent = await reply(update, text, markup, edit=edit)
    if flow.step == Step.CONFIRM and sent is not None:  # shows the name: /forget deletes it
        await context.store.personal_data.remember_message(
            flow.user_id, sent.chat_id, sent.message_id
        )


async def offer_pack_form(update: Update, context: BotContext) -> None:
    """Offer the optional "how will you use it" form after the Action Pack."""
    user = update.effective_user
    if user is None or await context.store.requests.has(user.id, RequestKind.ACTION_PACK):
        return
    existing = await context.store.flows.get(user.id)
    if existing is not None:
        return  # never interrupt a form in progress (e.g. signing)
    flow = await context.store.flows.start(user.id, PACK_FORM, Step.OFFER, {})
    await _show(update, context, flow, edit=False)


def _webinar_link(t: Translator, content: Content) -> str:
    webinar = content.resources(t.locale).webinar
    return t.gettext("🎥 Here is the webinar recording:") + f"\n{escape(webinar.url)}"


def _next_steps(t: Translator) -> InlineKeyboardMarkup:
    """Return what to offer after a request: signing, and the menu."""
    return main_menu(t, (MenuItem.SIGN, MenuItem.HOME))


async def webinar(update: Update, context: BotContext) -> None:
    """Give the recording link, after a short request form the first time."""
    user = update.effective_user
    if user is None:
        return
    if update.callback_query:
        await update.callback_query.answer()
    t = context.t
    content: Content = context.bot_data["content"]
    if await context.store.requests.has(user.id, RequestKind.WEBINAR):
        await reply(update, _webinar_link(t, content), _next_steps(t))
        return
    await reply(update, content.resources(t.locale).webinar.intro)
    signature = await context.store.signatures.get(user.id)
    if signature is not None and signature.name:
        data = {"name": signature.name, "country": signature.country}
        if signature.organisation:
            data["organisation"] = signature.organisation
        flow = await context.store.flows.start(user.id, WEBINAR_FORM, Step.CONFIRM, data)
    else:
        flow = await context.store.flows.start(user.id, WEBINAR_FORM, Step.NAME, {})
    await _show(update, context, flow, edit=False)


def _after(flow: Flow, step: Step) -> Step:
    """Return the step that follows `step` in this form."""
    if flow.kind == PACK_FORM:
        order = [Step.OFFER, Step.ORGANISATION, Step.COUNTRY, Step.USAGE, Step.CONSENT]
        if step is Step.OTHER:
            return Step.CONSENT
        return order[order.index(step) + 1]
    if step is Step.NAME:
        return Step.ORGANISATION
    if step is Step.ORGANISATION:
        return Step.CONSENT if flow.data.get("organisation") else Step.COUNTRY
    return Step.CONSENT


async def on_message(update: Update, context: BotContext, flow: Flow) -> None:
    """Take a typed answer for the request form's current step."""
    message = update.effective_message
    t = context.t
    step = Step(flow.step)
    if message is None:
        return
    if step not in _TYPED or message.text is None:
        await reply(
            update,
            t.gettext("Please type your answer as text.")
            if step in _TYPED
            else t.gettext("Please use the buttons below."),
        )
        await _show(update, context, flow, edit=False)
        return
    if step is Step.COUNTRY:
        answer = read_country(message.text, t)
        moved = flow.at(step, **answer.search)
        if answer.country:
            moved = moved.at(_after(moved, step), country=answer.country)
        await _show(update, context, moved, edit=False)
        return
    limit = 200 if step is Step.OTHER else 100
    cleaned = clean_text(message.text, max_length=limit)
    if cleaned.text is None:
        await reply(
            update,
            t.gettext("Please type it with letters (up to {n} characters).").format(n=limit),
        )
        await _show(update, context, flow, edit=False)
        return
    field = {Step.NAME: "name", Step.ORGANISATION: "organisation", Step.OTHER: "usage_other"}[step]
    moved = flow.at(step, **{field: cleaned.text})
    await _show(update, context, moved.at(_after(moved, step)), edit=False)


async def on_button(update: Update, context: BotContext) -> None:
    """Handle a press on a request-form button."""
    query = update.callback_query
    pressed = await form_button_args(update, context)
    if query is None or pressed is None:
        return
    token, step_value, action, rest = pressed
    flow = await context.store.flows.get(query.from_user.id)
    if (
        flow is None
        or flow.kind not in FORM_KINDS
        or (flow.token, flow.step) != (token, step_value)
    ):
        live = flow is not None and flow.token == token
        await expired_button(update, context, offer_menu=not live)
        return
    t = context.t
    step = Step(flow.step)
    arg = rest[0] if rest else None
    if action == "x":
        await context.store.flows.delete(flow.user_id)
        await query.answer()
        text = (
            t.gettext("All right. Nothing was saved.")
            if flow.kind == PACK_FORM
            else t.gettext(
                "All right. Nothing was saved, so the recording's link is not shown. "
                "You can ask for it again at any time from the menu."
            )
        )
        await reply(update, text, InlineKeyboardMarkup([[home_button(t)]]), edit=True)
        return
    if action == "ok" and step is Step.CONSENT:
        await _save(update, context, flow)
        return
    moved: Flow | None = None
    if step is Step.OFFER and action == "go":
        moved = flow.at(Step.ORGANISATION)
    elif step is Step.CONFIRM and action == "yes":
        moved = flow.at(Step.CONSENT)
    elif step is Step.CONFIRM and action == "no":
        moved = flow.at(Step.NAME, name=None, country=None, organisation=None)
    elif step is Step.ORGANISATION and action == "skip":
        moved = flow.at(Step.COUNTRY, organisation=None)
    elif step is Step.COUNTRY and action == "c" and arg in flow.data.get("matches", []):
        moved = flow.at(_after(flow, step), country=arg, **FRESH_SEARCH)
    elif step is Step.COUNTRY and action == "skip" and flow.kind == PACK_FORM:
        moved = flow.at(Step.USAGE, country=None)
    elif step is Step.USAGE and action == "u" and arg in {u.value for u in Usage}:
        moved = flow.at(Step.OTHER if arg == Usage.OTHER else Step.CONSENT, usage=arg)
    if moved is None:  # a button of the open form that does not apply: its others still work
        await expired_button(update, context, offer_menu=False)
        return
    await query.answer()
    await _show(update, context, moved, edit=True)


async def _save(update: Update, context: BotContext, flow: Flow) -> None:
    """Record the request with its consent, then thank the user (and give the link)."""
    query = update.callback_query
    if query is None:
        return
    data = flow.data
    kind = RequestKind.ACTION_PACK if flow.kind == PACK_FORM else RequestKind.WEBINAR
    await context.store.requests.add(
        NewRequest(
            user_id=flow.user_id,
            kind=kind,
            locale=context.t.locale,
            consent_version=REQUEST_CONSENT_VERSION,
            name=data.get("name"),
            organisation=data.get("organisation"),
            country=data.get("country"),
            usage=Usage(data["usage"]) if data.get("usage") else None,
            usage_other=data.get("usage_other"),
        )
    )
    await context.store.flows.delete(flow.user_id)
    await query.answer()
    t = context.t
    if kind is RequestKind.WEBINAR:
        await reply(
            update, _webinar_link(t, context.bot_data["content"]), _next_steps(t), edit=True
        )
    else:
        await reply(
            update,
            t.gettext("Thank you! This helps the campaign a lot."),
            _next_steps(t),
            edit=True,
        )
