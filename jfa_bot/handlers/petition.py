"""Signing the petition: petition → name → country → organisation → visibility → consent.

The form's state lives in the store (`flows`), not in memory, so a restart resumes the
user at the same step. Every button carries the form's token and step (`p:<token>:<step>:
<action>[:<arg>]`): a button from an older form or an earlier step answers "expired" and
changes nothing. Nothing is saved as a signature until "I agree and sign". The flow is
drawn in `petition.mmd` beside this module.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from jfa_bot.content import Petition
from jfa_bot.context import BotContext
from jfa_bot.forms import Problem, clean_text
from jfa_bot.handlers import admin, requests, signer
from jfa_bot.handlers.common import expired_button, form_button_args, reply
from jfa_bot.handlers.country_step import FRESH_SEARCH, choice_rows, read_country, search_text
from jfa_bot.handlers.fallback import not_understood
from jfa_bot.handlers.resources import content_of
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import Kind, MenuItem, button, main_menu
from jfa_bot.store import Flow, NewSignature, Visibility

__all__ = [
    "CONSENT_VERSION",
    "FLOW_KIND",
    "Step",
    "begin",
    "on_button",
    "on_message",
]

log = logging.getLogger(__name__)

FLOW_KIND = "sign"
#: Bump when the consent screen's wording changes: each signature records it.
#: 2026-11-2: the hand-over choice names the organisation too, and counts are what is
#: shared by default. Signatures under 2026-11-1 stay valid: their "Show my name" was an
#: explicit yes to the list that carried the organisation as well.
CONSENT_VERSION = "2026-11-2"
_TEXT_LIMIT = 100


class Step(StrEnum):
    """The steps of the signing form, in order."""

    INTRO = "intro"
    NAME = "name"
    COUNTRY = "country"
    ORGANISATION = "org"
    VISIBILITY = "vis"
    CONSENT = "consent"


_ORDER = list(Step)
_TYPED = {Step.NAME, Step.COUNTRY, Step.ORGANISATION}
#: Steps whose message shows the Telegram name: on a button (intro, name) or the summary.
_SHOWS_NAME = {Step.INTRO, Step.NAME, Step.CONSENT}


# ---------------------------------------------------------------- rendering


def _pb(label: str, flow: Flow, action: str, *args: str) -> InlineKeyboardButton:
    return button(label, Kind.PETITION, flow.token, flow.step, action, *args)


def _nav(t: Translator, flow: Flow) -> list[InlineKeyboardButton]:
    return [_pb(t.gettext("← Back"), flow, "back"), _pb(t.gettext("✖ Cancel"), flow, "x")]


def _problem_text(t: Translator, problem: Problem) -> str:
    return {
        Problem.EMPTY: t.gettext("That looks empty. Please type it with letters."),
        Problem.TOO_LONG: t.gettext("That is too long: please keep it under 100 characters."),
        Problem.ONLY_URL: t.gettext("Please type a name, not a link."),
        Problem.NO_LETTERS: t.gettext("Please use letters, not only symbols or emoji."),
    }[problem]


def render(
    flow: Flow, t: Translator, context: BotContext, telegram_name: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the text and buttons of the flow's current step."""
    step = Step(flow.step)
    if step is Step.INTRO:
        petition = content_of(context).petition(t.locale)
        text = "\n\n".join(
            [
                f"<b>{escape(petition.title)}</b>",
                petition.text,
                t.gettext(
                    "<b>What signing means:</b> the number of signatures, in total and by "
                    "country, is handed to governments at the UN General Assembly in "
                    "September. Your name and organisation are handed over only if you say "
                    "yes to that in a separate question before you sign."
                ),
            ]
        )
        rows = []
        if telegram_name:
            # One tap answers step 1 with the Telegram name; it stays editable at consent.
            label = t.gettext("✍️ Sign as “{name}”").format(name=telegram_name[:40])
            rows.append([_pb(label, flow, "tg")])
            rows.append([_pb(t.gettext("✍️ Sign with another name"), flow, "go")])
        else:
            rows.append([_pb(t.gettext("✍️ Sign"), flow, "go")])
        rows.append([_pb(t.gettext("Not now"), flow, "x")])
        return text, InlineKeyboardMarkup(rows)
    if step is Step.NAME:
        text = t.gettext(
            "<b>Step 1 of 5.</b> What name should appear on the petition? "
            "Type it below (up to 100 characters)."
        )
        rows = []
        if telegram_name:
            label = t.gettext("Use “{name}”").format(name=telegram_name[:40])
            rows.append([_pb(label, flow, "tg")])
        return text, InlineKeyboardMarkup([*rows, _nav(t, flow)])
    if step is Step.COUNTRY:
        return _country_prompt(flow, t)
    if step is Step.ORGANISATION:
        text = t.gettext(
            "<b>Step 3 of 5.</b> Are you part of an organisation? Type its name, or skip."
        )
        rows = [[_pb(t.gettext("Skip"), flow, "skip")], _nav(t, flow)]
        return text, InlineKeyboardMarkup(rows)
    if step is Step.VISIBILITY:
        text = t.gettext(
            "<b>Step 4 of 5.</b> Governments receive the number of signatures, in total and "
            "by country. May we also hand them your name and organisation, in a list of "
            "signers from your country? Only if you say yes."
        )
        rows = [
            [_pb(t.gettext("No, only count my signature"), flow, "v", Visibility.WITHHELD.value)],
            [
                _pb(
                    t.gettext("Yes, hand over my name and organisation"),
                    flow,
                    "v",
                    Visibility.PUBLIC.value,
                )
            ],
            _nav(t, flow),
        ]
        return text, InlineKeyboardMarkup(rows)
    return _consent(flow, t, content_of(context).petition(t.locale))


def _country_prompt(flow: Flow, t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = search_text(t, flow.data) or t.gettext(
        "<b>Step 2 of 5.</b> Which country are you in? Type part of its name "
        "(for example “Ken” for Kenya)."
    )
    rows = choice_rows(
        t, flow.data.get("matches", []), lambda label, code: _pb(label, flow, "c", code)
    )
    return text, InlineKeyboardMarkup([*rows, _nav(t, flow)])


def _petition_shown(flow: Flow, t: Translator, petition: Petition) -> list[str]:
    """Return what is being signed: its title, and its text when the signer asked to read it."""
    lines = [t.gettext("You are signing: <b>{title}</b>").format(title=escape(petition.title))]
    if flow.data.get("read"):
        lines += ["", petition.text]
    return lines


def _consent(flow: Flow, t: Translator, petition: Petition) -> tuple[str, InlineKeyboardMarkup]:
    data = flow.data
    public = data.get("visibility") == Visibility.PUBLIC.value
    organisation = escape(data["organisation"]) if data.get("organisation") else "—"
    text = "\n".join(
        [
            t.gettext("<b>Step 5 of 5. Please check before you sign.</b>"),
            "",
            *_petition_shown(flow, t, petition),
            "",
            t.gettext("Name: {name}").format(name=escape(data.get("name", ""))),
            t.gettext("Country: {country}").format(
                country=escape(t.country_name(data.get("country", "")))
            ),
            t.gettext("Organisation: {organisation}").format(organisation=organisation),
            (
                t.gettext("Hand-over list: yes, your name and organisation are handed over.")
                if public
                else t.gettext("Hand-over list: no, you are only counted.")
            ),
            "",
            t.gettext(
                "By signing, you agree that the campaign stores your name, country, "
                "organisation (if given), this choice, your language and the time you signed, "
                "to count your signature. Governments at the UN General Assembly receive the "
                "number of signatures, in total and by country; your name and organisation "
                "only if you said yes above. You can see, download, withdraw or erase your data "
                "at any time: /privacy."
            ),
            "",
            t.gettext("The weekly spotlight is separate: tick it below only if you want it."),
        ]
    )
    updates = bool(data.get("updates"))
    toggle = (
        t.gettext("☑ Send me the weekly spotlight")
        if updates
        else t.gettext("☐ Send me the weekly spotlight")
    )
    read = (
        t.gettext("📜 Hide the petition text")
        if data.get("read")
        else t.gettext("📜 Read the petition")
    )
    rows = [
        [_pb(t.gettext("✅ I agree and sign"), flow, "ok")],
        [_pb(toggle, flow, "u")],
        [_pb(read, flow, "read")],
        [
            _pb(t.gettext("✏️ Name"), flow, "e", Step.NAME),
            _pb(t.gettext("✏️ Country"), flow, "e", Step.COUNTRY),
        ],
        [
            _pb(t.gettext("✏️ Organisation"), flow, "e", Step.ORGANISATION),
            _pb(t.gettext("✏️ Hand-over list"), flow, "e", Step.VISIBILITY),
        ],
        [_pb(t.gettext("✖ Cancel"), flow, "x")],
    ]
    return text, InlineKeyboardMarkup(rows)


def _telegram_name(update: Update) -> str | None:
    user = update.effective_user
    if user is None:
        return None
    return clean_text(user.full_name, max_length=_TEXT_LIMIT).text


async def _show(update: Update, context: BotContext, flow: Flow, *, edit: bool) -> None:
    """Save the flow's step, then show it (editing the pressed message when `edit`).

    Saving first means a crash between the two leaves the user at the new step, which
    /sign shows again, rather than at a step whose answer was already given.
    """
    await context.store.flows.save(flow)
    text, markup = render(flow, context.t, context, _telegram_name(update))
    sent = await reply(update, text, markup, edit=edit)
    if flow.step in _SHOWS_NAME:  # /forget deletes these messages too
        await signer.remember_named(context, flow.user_id, sent)


# ---------------------------------------------------------------- entry points


async def begin(update: Update, context: BotContext) -> None:
    """Start signing, resume a form in progress, or show the signer their signature."""
    user = update.effective_user
    if user is None:
        return
    if update.callback_query:
        await update.callback_query.answer()
    if await context.store.signatures.get(user.id) is not None:
        await signer.show_status(update, context)
        return
    flow = await _active_flow(update, context)
    if flow is None or flow.kind != FLOW_KIND:
        flow = await context.store.flows.start(user.id, FLOW_KIND, Step.INTRO, {})
    await _show(update, context, flow, edit=False)


async def _active_flow(update: Update, context: BotContext) -> Flow | None:
    """Return the user's form if it is still fresh; an idle one is dropped and reported."""
    user = update.effective_user
    if user is None:
        return None
    flow = await context.store.flows.get(user.id)
    if flow is None:
        return None
    limit = dt.timedelta(minutes=context.settings.flow_timeout_minutes)
    updated = dt.datetime.strptime(flow.updated_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    if dt.datetime.now(dt.UTC) - updated > limit:
        await context.store.flows.delete(user.id)
        await reply(
            update,
            timed_out_text(context.t, context.settings.flow_timeout_minutes),
            _after_cancel(context.t),
        )
        return None
    return flow


def timed_out_text(t: Translator, minutes: int) -> str:
    """Return the notice that an idle form was closed without saving anything."""
    return t.ngettext(
        "Your form was closed after {n} minute without activity. Nothing was saved.",
        "Your form was closed after {n} minutes without activity. Nothing was saved.",
        minutes,
    ).format(n=t.number(minutes))


async def cancel(update: Update, context: BotContext) -> None:
    """Drop the form in progress, saying that nothing was saved."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    if await context.store.flows.delete(user.id):
        await reply(update, t.gettext("Cancelled. Nothing was saved."), _after_cancel(t))
    else:
        await reply(update, t.gettext("There is nothing to cancel."), _after_cancel(t))


def _after_cancel(t: Translator) -> InlineKeyboardMarkup:
    """Return the next steps offered when a form closes without saving."""
    return main_menu(t, (MenuItem.SIGN, MenuItem.HOME))


async def on_message(update: Update, context: BotContext) -> None:
    """Take a typed answer for the current step; outside a form, say we did not understand."""
    flow = await _active_flow(update, context)
    message = update.effective_message
    if flow is None or message is None:
        await not_understood(update, context)
        return
    if flow.kind in requests.FORM_KINDS:
        await requests.on_message(update, context, flow)
        return
    if flow.kind == admin.COMPOSE_KIND:
        await admin.on_compose_message(update, context, flow)
        return
    if flow.kind != FLOW_KIND:
        await signer.on_form_message(update, context, flow)
        return
    step = Step(flow.step)
    t = context.t
    if step not in _TYPED or message.text is None:
        hint = (
            t.gettext("Please type your answer as text.")
            if step in _TYPED
            else t.gettext("Please use the buttons below.")
        )
        await reply(update, hint)
        await _show(update, context, flow, edit=False)
        return
    if step is Step.COUNTRY:
        answer = read_country(message.text, t)
        moved = (
            _advance(flow, country=answer.country, **answer.search)
            if answer.country
            else flow.at(step, **answer.search)
        )
        await _show(update, context, moved, edit=False)
        return
    cleaned = clean_text(message.text, max_length=_TEXT_LIMIT)
    if cleaned.problem is not None:
        await reply(update, _problem_text(t, cleaned.problem))
        await _show(update, context, flow, edit=False)
        return
    field = "name" if step is Step.NAME else "organisation"
    await _show(update, context, _advance(flow, **{field: cleaned.text}), edit=False)


def _advance(flow: Flow, **answers: object) -> Flow:
    """Move to the step after the one answered, or back to the consent screen when reviewing.

    The intro's "Sign as …" answers the name step, so it moves on to the country.
    """
    step = Step.NAME if Step(flow.step) is Step.INTRO else Step(flow.step)
    if flow.data.get("review"):
        return flow.at(Step.CONSENT, **answers)
    following = _ORDER[_ORDER.index(step) + 1]
    if following is Step.COUNTRY:
        answers = {**FRESH_SEARCH, **answers}  # an earlier search must not show again
    return flow.at(following, **answers)


async def on_button(update: Update, context: BotContext) -> None:
    """Handle a press on a signing-form button."""
    query = update.callback_query
    pressed = await form_button_args(update, context)
    if query is None or pressed is None:
        return
    token, step_value, action, rest = pressed
    flow = await _active_flow(update, context)
    if flow is None or flow.kind != FLOW_KIND or flow.token != token or flow.step != step_value:
        if await context.store.signatures.get(query.from_user.id) is not None:
            # Most often a double tap on "I agree and sign", whose message is becoming the
            # thank-you: its buttons must stay.
            await query.answer(context.t.gettext("You have already signed. Thank you!"))
            return
        # A press from a closed form gets the menu in place of its dead buttons; a late
        # press on the live form (a double tap) only gets the notice.
        live = flow is not None and flow.token == token
        await expired_button(update, context, offer_menu=not live)
        return
    step = Step(flow.step)
    t = context.t
    if action == "x":
        await context.store.flows.delete(flow.user_id)
        await query.answer()
        await reply(
            update, t.gettext("Cancelled. Nothing was saved."), _after_cancel(t), edit=True
        )
        return
    if action == "back":
        await query.answer()
        previous = _ORDER[max(_ORDER.index(step) - 1, 0)]
        await _show(update, context, flow.at(previous, review=False, **FRESH_SEARCH), edit=True)
        return
    if action == "ok" and step is Step.CONSENT:
        await _sign(update, context, flow)
        return
    moved = _button_move(update, flow, step, action, rest)
    if moved is None:  # a button of the open form that does not apply: its others still work
        await expired_button(update, context, offer_menu=False)
        return
    await query.answer()
    await _show(update, context, moved, edit=True)


def _button_move(
    update: Update, flow: Flow, step: Step, action: str, rest: list[str]
) -> Flow | None:
    """Return the flow after a button press at `step`, or None when the press is invalid."""
    arg = rest[0] if rest else None
    if step is Step.INTRO and action == "go":
        return flow.at(Step.NAME)
    if step in {Step.INTRO, Step.NAME} and action == "tg":
        name = _telegram_name(update)
        return _advance(flow, name=name) if name else None
    if step is Step.COUNTRY and action == "c" and arg in flow.data.get("matches", []):
        return _advance(flow, country=arg, **FRESH_SEARCH)
    if step is Step.ORGANISATION and action == "skip":
        return _advance(flow, organisation=None)
    if step is Step.VISIBILITY and action == "v" and arg in {v.value for v in Visibility}:
        return _advance(flow, visibility=arg)
    if step is Step.CONSENT and action == "u":
        return flow.at(step, updates=not flow.data.get("updates"))
    if step is Step.CONSENT and action == "read":
        return flow.at(step, read=not flow.data.get("read"))
    if step is Step.CONSENT and action == "e" and arg in {s.value for s in _ORDER[1:5]}:
        return flow.at(Step(arg), review=True, **FRESH_SEARCH)
    return None


async def _sign(update: Update, context: BotContext, flow: Flow) -> None:
    """Store the signature in one transaction and thank the signer."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    data = flow.data
    if not all(data.get(key) for key in ("name", "country", "visibility")):
        await expired_button(update, context, offer_menu=False)
        return
    record = await context.store.users.get(user.id)
    settings = context.settings
    t = context.t
    petition = content_of(context).petition(t.locale)
    result = await context.store.signatures.sign(
        NewSignature(
            user_id=user.id,
            name=data["name"],
            country=data["country"],
            organisation=data.get("organisation"),
            visibility=Visibility(data["visibility"]),
            locale=t.locale,
            petition_version=f"{petition.version}/{petition.locale}",
            consent_version=CONSENT_VERSION,
            signed_day=dt.datetime.now(settings.zone).date().isoformat(),
            wants_updates=bool(data.get("updates")),
            referrer_code=record.referrer_code if record else None,
            source=record.source if record else None,
        ),
        milestones=settings.milestones,
    )
    await query.answer()
    if result.created:
        log.info("Signature #%d recorded", result.signature.number)
    await signer.thank(update, context, result.signature)
