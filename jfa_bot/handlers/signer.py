"""After signing: thanks and sharing, the live count, and the signer's rights.

/sign (when signed) shows the signature with buttons to change visibility or organisation
or to withdraw; /count shows the live count; /mydata sends everything we hold as JSON;
/withdraw removes the signature and /forget erases every row, each after a confirmation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from html import escape
from io import BytesIO
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from jfa_bot import confirmations
from jfa_bot.context import BotContext
from jfa_bot.export_retention import sweep_exports
from jfa_bot.forms import clean_text
from jfa_bot.handlers.common import button_args, expired_button, reply
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import Kind, MenuItem, button, home_button, main_menu
from jfa_bot.store import Flow, Signature, Visibility

__all__ = [
    "count",
    "forget",
    "mydata",
    "on_button",
    "on_form_message",
    "share_link",
    "show_status",
    "thank",
    "withdraw",
]

log = logging.getLogger(__name__)

EDIT_ORG_KIND = "edit_org"
SUBSCRIBE_VERSION = "2026-11-1"


def share_link(bot_username: str, signature: Signature | None) -> str:
    """Return the deep link that counts who a signer brought in."""
    payload = f"r_{signature.referral_code}" if signature else "s_share"
    return f"https://t.me/{bot_username}?start={payload}"


def _share_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext("📣 Share the petition"), switch_inline_query="")


async def thank(update: Update, context: BotContext, signature: Signature) -> None:
    """Thank a new signer with their number, share link and a spotlight offer."""
    t = context.t
    link = share_link(context.bot.username, signature)
    text = "\n\n".join(
        [
            t.gettext("🎉 Thank you, {name}! You are signer #{number}.").format(
                name=escape(signature.name or ""), number=t.number(signature.number)
            ),
            t.gettext(
                "Please share the petition: everyone who signs through your link is counted "
                "as brought in by you."
            ),
            escape(link),
            "#TipTheScales #JusticeForAll",
        ]
    )
    rows = [[_share_button(t)]]
    if not await context.store.subscriptions.is_subscribed(signature.user_id):
        rows.append([button(t.gettext("🔔 Get the weekly spotlight"), Kind.SIGNER, "sub")])
    rows.append([home_button(t)])
    sent = await reply(
        update, text, InlineKeyboardMarkup(rows), edit=update.callback_query is not None
    )
    await remember_named(context, signature.user_id, sent)


async def remember_named(context: BotContext, user_id: int, message: Message | None) -> None:
    """Note a message of the bot that shows the user's name, so /forget can delete it."""
    if message is not None:
        await context.store.personal_data.remember_message(
            user_id, message.chat_id, message.message_id
        )


def handover_choice_text(t: Translator, public: bool) -> str:
    """Return the signer's hand-over choice in plain words."""
    if public:
        return t.gettext(
            "Your name and organisation are in the list handed to governments (you said yes)."
        )
    return t.gettext(
        "Your name and organisation are not handed over: only the counts include you."
    )


async def show_status(update: Update, context: BotContext) -> None:
    """Show a signer their signature, their referrals and what they can change."""
    user = update.effective_user
    if user is None:
        return
    signature = await context.store.signatures.get(user.id)
    if signature is None:
        await reply(update, context.t.gettext("You have not signed the petition."))
        return
    t = context.t
    signed = t.date(signature_date(signature))
    direct, total = await context.store.signatures.referrals(user.id)
    withheld = signature.visibility is Visibility.WITHHELD
    lines = [
        t.gettext("You signed on {date} as signer #{number}.").format(
            date=signed, number=t.number(signature.number)
        ),
        "",
        t.gettext("Name: {name}").format(name=escape(signature.name or "—")),
        t.gettext("Country: {country}").format(country=escape(t.country_name(signature.country))),
        t.gettext("Organisation: {organisation}").format(
            organisation=escape(signature.organisation or "—")
        ),
        handover_choice_text(t, not withheld),
        t.ngettext(
            "{n} person signed through your link.",
            "{n} people signed through your link.",
            direct,
        ).format(n=t.number(direct)),
    ]
    if total > direct:
        lines.append(
            t.ngettext(
                "Counting the people they brought in: {n} person in all.",
                "Counting the people they brought in: {n} people in all.",
                total,
            ).format(n=t.number(total))
        )
    lines += ["", escape(share_link(context.bot.username, signature))]
    toggle = (
        # Saying yes to the hand-over asks once more, on its own screen (see _ask_public).
        button(t.gettext("👁 Add my name to the hand-over list…"), Kind.SIGNER, "pub")
        if withheld
        else button(
            t.gettext("🙈 Take my name off the hand-over list"),
            Kind.SIGNER,
            "vis",
            Visibility.WITHHELD.value,
        )
    )
    rows = [
        [toggle],
        [button(t.gettext("🏢 Change organisation"), Kind.SIGNER, "org")],
        [_share_button(t)],
        [button(t.gettext("↩️ Withdraw my signature"), Kind.SIGNER, "wd")],
        [home_button(t)],
    ]
    sent = await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows))
    await remember_named(context, user.id, sent)  # the card shows the name: /forget deletes it


def _sign_or_menu(t: Translator) -> InlineKeyboardMarkup:
    """Return the next steps after a signature is withdrawn (or was never there)."""
    return main_menu(t, (MenuItem.SIGN, MenuItem.HOME))


def signature_date(signature: Signature) -> dt.date:
    """Return the signing date (local day recorded at signing)."""
    return dt.date.fromisoformat(signature.signed_day)


async def count(update: Update, context: BotContext) -> None:
    """Show the total, countries, today's signatures and the top ten countries."""
    t = context.t
    if update.callback_query:
        await update.callback_query.answer()
    today = dt.datetime.now(context.settings.zone).date().isoformat()
    # Anyone may ask: a country with one or two signers is not named (it could name them).
    counts = await context.store.signatures.counts(
        today, min_count=context.settings.public_country_min
    )
    if counts.total == 0:
        await reply(update, t.gettext("No one has signed yet. Be the first: /sign"))
        return
    lines = [
        "<b>"
        + t.ngettext("{n} signature so far", "{n} signatures so far", counts.total).format(
            n=t.number(counts.total)
        )
        + "</b>",
        t.ngettext("from {n} country", "from {n} countries", counts.countries).format(
            n=t.number(counts.countries)
        ),
        t.ngettext("{n} new signature today", "{n} new signatures today", counts.today).format(
            n=t.number(counts.today)
        ),
    ]
    if counts.top:
        lines += ["", t.gettext("<b>Top countries</b>")]
    lines += [
        f"{t.number(rank)}. {escape(t.country_name(code))} — {t.number(n)}"
        for rank, (code, n) in enumerate(counts.top, start=1)
    ]
    await reply(update, "\n".join(lines))


async def withdraw(update: Update, context: BotContext) -> None:
    """Ask the signer to confirm withdrawing their signature."""
    t = context.t
    user = update.effective_user
    if update.callback_query:
        await update.callback_query.answer()
    if user is None or await context.store.signatures.get(user.id) is None:
        await reply(
            update,
            t.gettext("You have not signed the petition, so there is nothing to withdraw."),
            _sign_or_menu(t),
        )
        return
    question = t.gettext(
        "Withdraw your signature? Your name and details are removed from the petition "
        "and the count goes down by one."
    )
    # Translators: the "no" answer to "Withdraw your signature?".
    # What is kept is the signature: make the words agree with it.
    no = t.gettext("No, keep my signature")
    await _confirm(
        update, context, question, t.gettext("Yes, withdraw my signature"), "wd_yes", no
    )


def _expiry_note(t: Translator) -> str:
    return t.ngettext(
        "This button works for {n} minute.",
        "This button works for {n} minutes.",
        confirmations.CONFIRM_MINUTES,
    ).format(n=t.number(confirmations.CONFIRM_MINUTES))


async def _confirm(
    update: Update, context: BotContext, question: str, yes: str, action: str, no: str
) -> None:
    """Ask a yes/no question whose "yes" button runs `action`, for this user, briefly."""
    t = context.t
    user = update.effective_user
    if user is None:
        return
    minute, mac = confirmations.issue(context.settings.token(), user.id, action)
    rows = [
        [button(yes, Kind.SIGNER, action, minute, mac)],
        [button(no, Kind.SIGNER, "keep")],
    ]
    await reply(update, f"{question}\n\n<i>{_expiry_note(t)}</i>", InlineKeyboardMarkup(rows))


async def forget(update: Update, context: BotContext) -> None:
    """Ask the user to confirm erasing everything held about them."""
    t = context.t
    if update.callback_query:
        await update.callback_query.answer()
    question = t.gettext(
        "Erase everything we hold about you? This removes your signature, your "
        "consents, your subscription and your profile, and cannot be undone. "
        "The bot's messages here that show your name are deleted too."
    )
    # Translators: the "no" answer to "Erase everything we hold about you?".
    # What is kept is all of the person's data, not one thing.
    no = t.gettext("No, keep my data")
    await _confirm(update, context, question, t.gettext("Yes, erase everything"), "forget_yes", no)


async def _ask_public(update: Update, context: BotContext) -> None:
    """Ask a withheld signer, in plain words, before their name joins the hand-over list."""
    t = context.t
    question = t.gettext(
        "Add your name and organisation to the list handed to governments at the UN "
        "General Assembly? Governments and the campaign's organizers will see them. "
        "You can take them off again at any time."
    )
    yes = t.gettext("Yes, hand over my name and organisation")
    await _confirm(
        update, context, question, yes, "pub_yes", t.gettext("No, only count my signature")
    )


async def mydata(update: Update, context: BotContext) -> None:
    """Send everything stored about the user as a readable JSON document."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    data = await context.store.personal_data.export(user.id)
    document = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False).encode()
    summary = await reply(update, _summary(context.t, data))
    sent = await chat.send_document(
        BytesIO(document),
        filename="my-jfa-data.json",
        caption=context.t.gettext("Here is everything we hold about you."),
    )
    if data.get("signature") or data.get("requests"):  # both show the name
        await remember_named(context, user.id, summary)
        await remember_named(context, user.id, sent)


def _summary(t: Translator, data: dict[str, Any]) -> str:
    """Return a short, readable account of the user's data (the file has every detail)."""
    lines = [t.gettext("<b>What we hold about you</b>")]
    signature = data.get("signature")
    if signature:
        lines.append(
            t.gettext("Signature #{number}, {country}, signed {day}.").format(
                number=t.number(signature["number"]),
                country=escape(t.country_name(signature["country"])),
                day=t.date(dt.date.fromisoformat(signature["signed_day"])),
            )
        )
        if signature.get("name"):
            lines.append(t.gettext("Name: {name}").format(name=escape(signature["name"])))
        if signature.get("organisation"):
            lines.append(
                t.gettext("Organisation: {organisation}").format(
                    organisation=escape(signature["organisation"])
                )
            )
        lines.append(handover_choice_text(t, signature["visibility"] == Visibility.PUBLIC))
    else:
        lines.append(t.gettext("You have not signed the petition."))
    subscribed = data.get("weekly_spotlight_subscription") is not None
    lines.append(
        t.gettext("Weekly spotlight: subscribed.")
        if subscribed
        else t.gettext("Weekly spotlight: not subscribed.")
    )
    for key, count in (
        ("consents", len(data.get("consents", []))),
        ("requests", len(data.get("requests", []))),
        ("messages", len(data.get("messages_sent_to_you", []))),
    ):
        if key == "consents":
            text = t.ngettext("{n} consent record.", "{n} consent records.", count)
        elif key == "requests":
            text = t.ngettext("{n} request for material.", "{n} requests for material.", count)
        else:
            text = t.ngettext(
                "{n} campaign message sent to you.", "{n} campaign messages sent to you.", count
            )
        lines.append(text.format(n=t.number(count)))
    lines.append(t.gettext("The file below has every detail. /forget erases it all."))
    return "\n".join(lines)


async def on_button(update: Update, context: BotContext) -> None:
    """Handle the signer's buttons: visibility, organisation, withdraw, erase, subscribe."""
    query = update.callback_query
    pressed = await button_args(update, context)
    if query is None or pressed is None:
        return
    action, rest = pressed
    t = context.t
    user_id = query.from_user.id
    store = context.store
    secret = context.settings.token()
    if action == "vis" and rest == [Visibility.WITHHELD.value]:
        # Taking a name off the list needs no confirmation; adding it does ("pub").
        if not await store.signatures.set_visibility(user_id, Visibility.WITHHELD):
            await expired_button(update, context)
            return
        await query.answer(t.gettext("Saved."))
        await show_status(update, context)
        await sweep_exports(context)  # organizers' exports that held the name
    elif action == "pub":
        if await store.signatures.get(user_id) is None:
            await expired_button(update, context)
            return
        await query.answer()
        await _ask_public(update, context)
    elif action == "pub_yes" and confirmations.verify(secret, user_id, action, rest):
        if not await store.signatures.set_visibility(user_id, Visibility.PUBLIC):
            await expired_button(update, context)
            return
        await query.answer(t.gettext("Saved."))
        await reply(
            update,
            handover_choice_text(t, True),
            InlineKeyboardMarkup([[home_button(t)]]),
            edit=True,
        )
    elif action == "org":
        signature = await store.signatures.get(user_id)
        if signature is None:
            await expired_button(update, context)
            return
        await query.answer()
        flow = await store.flows.start(user_id, EDIT_ORG_KIND, "org", {})
        rows = [[button(t.gettext("✖ Cancel"), Kind.SIGNER, "org_keep", flow.token)]]
        if signature.organisation:
            current = t.gettext("Your organisation now: {organisation}").format(
                organisation=escape(signature.organisation)
            )
            rows.insert(
                0,
                [
                    button(
                        t.gettext("Remove my organisation"), Kind.SIGNER, "org_clear", flow.token
                    )
                ],
            )
        else:
            current = t.gettext("You signed without an organisation.")
        prompt = t.gettext("Type the name of your organisation:")
        await reply(update, f"{current}\n{prompt}", InlineKeyboardMarkup(rows))
    elif action == "org_keep" and rest:
        pending = await store.flows.get(user_id)
        if pending is None or pending.token != rest[0]:
            await expired_button(update, context, offer_menu=True)
            return
        await store.flows.delete(user_id)
        await query.answer(t.gettext("Nothing was changed."))
        await show_status(update, context)
    elif action == "org_clear" and rest:
        pending = await store.flows.get(user_id)
        if pending is None or pending.token != rest[0]:
            await expired_button(update, context)
            return
        await store.flows.delete(user_id)
        await store.signatures.set_organisation(user_id, None)
        await query.answer(t.gettext("Saved."))
        await show_status(update, context)
    elif action == "wd":
        await withdraw(update, context)
    elif action == "wd_yes" and confirmations.verify(secret, user_id, action, rest):
        removed = await store.signatures.withdraw(user_id)
        await query.answer()
        text = (
            t.gettext("Your signature has been withdrawn. You can sign again at any time: /sign")
            if removed
            else t.gettext("You have not signed the petition, so there is nothing to withdraw.")
        )
        await reply(update, text, _sign_or_menu(t), edit=True)
        await sweep_exports(context)  # organizers' exports that held the name
    elif action == "forget_yes" and confirmations.verify(secret, user_id, action, rest):
        await query.answer()
        await _erase_everything(update, context, user_id)
    elif action == "keep":
        await query.answer()
        await reply(
            update,
            t.gettext("Nothing was changed."),
            InlineKeyboardMarkup([[home_button(t)]]),
            edit=True,
        )
    elif action == "sub":
        await store.subscriptions.subscribe(user_id, t.locale, SUBSCRIBE_VERSION)
        await query.answer(t.gettext("You will receive the weekly spotlight."))
    else:
        await expired_button(update, context)


async def on_form_message(update: Update, context: BotContext, flow: Flow) -> None:
    """Take the new organisation typed after "Change organisation"."""
    message = update.effective_message
    if flow.kind != EDIT_ORG_KIND or message is None:
        await context.store.flows.delete(flow.user_id)
        return
    cleaned = clean_text(message.text, max_length=100)
    if cleaned.text is None:
        await reply(update, context.t.gettext("Please type the organisation's name with letters."))
        return
    await context.store.flows.delete(flow.user_id)
    await context.store.signatures.set_organisation(flow.user_id, cleaned.text)
    await reply(update, context.t.gettext("Saved."))
    await show_status(update, context)


async def _erase_everything(update: Update, context: BotContext, user_id: int) -> None:
    """Delete the bot's messages that show the person's name, then every row about them."""
    t = context.t
    store = context.store
    pressed = update.callback_query.message if update.callback_query else None
    not_deleted = 0
    for named in await store.personal_data.named_messages(user_id):
        if pressed is not None and named.message_id == pressed.message_id:
            continue  # this message becomes the answer below; it shows no name
        try:
            await context.bot.delete_message(named.chat_id, named.message_id)
        except TelegramError as error:
            # Telegram refuses some deletions (too old, already gone): say so, go on.
            log.info("Could not delete a message that showed an erased name: %s", error)
            not_deleted += 1
    await store.personal_data.erase(user_id)
    text = t.gettext("Everything we held about you has been erased.")
    if not_deleted:
        text += "\n\n" + t.ngettext(
            "{n} earlier message of this bot that showed your name could not be deleted: "
            "please delete it yourself in this chat.",
            "{n} earlier messages of this bot that showed your name could not be deleted: "
            "please delete them yourself in this chat.",
            not_deleted,
        ).format(n=t.number(not_deleted))
    await reply(update, text, InlineKeyboardMarkup([[home_button(t)]]), edit=True)
    # The organizers' exports that may hold the name were made due in the erasure itself.
    await sweep_exports(context)
