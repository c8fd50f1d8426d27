"""Background jobs run by PTB's JobQueue."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.error import TelegramError

from jfa_bot.context import BotContext, translator_for_user
from jfa_bot.handlers.petition import timed_out_text
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import MenuItem, main_menu
from jfa_bot.store.broadcasts import BroadcastKind, BroadcastState

__all__ = [
    "announce_milestones",
    "anonymise_old_signatures",
    "catch_up_weekly_spotlight",
    "close_idle_forms",
    "finish_erasures",
    "last_scheduled",
    "weekly_spotlight",
]

log = logging.getLogger(__name__)


async def close_idle_forms(context: BotContext) -> None:
    """Drop forms idle past the timeout (they may hold a name) and tell their users."""
    settings = context.settings
    minutes = settings.flow_timeout_minutes
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    stale = await context.store.flows.pop_stale(cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for flow in stale:
        t = await translator_for_user(context.store, settings, flow.user_id)
        try:
            await context.bot.send_message(
                flow.user_id,
                timed_out_text(t, minutes),
                reply_markup=main_menu(t, (MenuItem.SIGN, MenuItem.HOME)),
            )
        except TelegramError as error:
            log.info("Could not tell user about their closed form: %s", error)


def last_scheduled(now: dt.datetime, weekday: int, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """Return the latest weekly slot (ISO `weekday`, time `at` in `zone`) at or before `now`."""
    local = now.astimezone(zone)
    day = local.date() - dt.timedelta(days=(local.isoweekday() - weekday) % 7)
    slot = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    if slot > local:
        slot -= dt.timedelta(days=7)
    return slot


async def catch_up_weekly_spotlight(context: BotContext) -> None:
    """At start, send the weekly post once if its time passed while the bot was down.

    The schedule lives in the job queue, which forgets a slot that passed while the process
    was stopped. The last slot was missed when people were already subscribed by then and
    no spotlight broadcast started since; only that one slot is caught up, never older ones.
    """
    settings = context.settings
    if settings.broadcast_weekday is None:
        return
    slot = last_scheduled(
        dt.datetime.now(dt.UTC), settings.broadcast_weekday, settings.broadcast_time, settings.zone
    )
    moment = slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store = context.store
    if await store.broadcasts.started_since(BroadcastKind.SPOTLIGHT, moment):
        return
    if not await store.subscriptions.any_since_before(moment):
        return  # nobody was waiting for that post
    log.warning("The weekly spotlight due at %s was missed while the bot was down", moment)
    await _send_weekly_spotlight(context, missed=slot)


async def finish_erasures(context: BotContext) -> None:
    """Finish erasures whose checkpoint a reader blocked (their record says one is owed)."""
    if not await context.store.db.finish_erasures():
        log.warning("An erasure is still waiting for its checkpoint; retrying in a minute")


async def weekly_spotlight(context: BotContext) -> None:
    """Broadcast the current week's spotlight on schedule, and tell the organizers."""
    await _send_weekly_spotlight(context, missed=None)


async def _send_weekly_spotlight(context: BotContext, *, missed: dt.datetime | None) -> None:
    """Start the current week's spotlight broadcast and tell every organizer about it."""
    from jfa_bot.handlers.admin import start_broadcast
    from jfa_bot.handlers.resources import content_of
    from jfa_bot.spotlight import campaign_week, scheduled_week, week_extras, week_posts

    settings = context.settings
    content = content_of(context)
    # A missed post is the week of its slot (the slot may fall in the previous week).
    day = missed.date() if missed is not None else dt.datetime.now(settings.zone).date()
    week = scheduled_week(content, settings.campaign_start, day)
    if week is None:
        unwritten = campaign_week(settings.campaign_start, day)
        log.warning("Scheduled spotlight skipped: week %d has no post", unwritten)
        return
    t = Translator.for_locale(settings.default_locale)
    label = t.gettext("Week {n}").format(n=week)
    posts = week_posts(content, week, context.bot.username)
    variants = {locale: post.text for locale, post in posts.items()}
    report_to = settings.admin_ids[0] if settings.admin_ids else None
    broadcast_id, recipients = await start_broadcast(
        context,
        kind=BroadcastKind.SPOTLIGHT,
        label=label,
        variants=variants,
        created_by=None,
        report_chat_id=report_to,
        extras=week_extras(posts),
    )
    for admin_id in settings.admin_ids:
        admin_t = await translator_for_user(context.store, settings, admin_id)
        text = admin_t.ngettext(
            "The weekly spotlight ({label}) started automatically for {n} subscriber.",
            "The weekly spotlight ({label}) started automatically for {n} subscribers.",
            recipients,
        ).format(label=label, n=admin_t.number(recipients))
        if missed is not None:
            late = admin_t.gettext(
                "It was due on {date} at {time}, while the bot was not running, so it was "
                "sent now, once."
            ).format(date=admin_t.date(missed.date()), time=missed.strftime("%H:%M"))
            text = f"{text}\n{late}"
        try:
            await context.bot.send_message(admin_id, text)
        except TelegramError as error:
            log.info(
                "Could not tell organizer %s about broadcast %d: %s", admin_id, broadcast_id, error
            )


async def announce_milestones(context: BotContext) -> None:
    """Broadcast each milestone crossed, exactly once, and never during another broadcast.

    An automatic post waits (this job runs every minute) until no broadcast is running:
    two at once would share the rate and double the time each takes. One at a time.
    """
    from jfa_bot.handlers.admin import start_broadcast

    store = context.store
    settings = context.settings
    if await store.broadcasts.in_state(BroadcastState.RUNNING):
        return
    for threshold in (await store.signatures.unannounced_milestones())[:1]:
        if not await store.signatures.mark_announced(threshold):
            continue
        link = f"https://t.me/{context.bot.username}?start=s_milestone"
        variants = {}
        for locale in settings.locales:
            t = Translator.for_locale(locale)
            variants[locale] = t.ngettext(
                "🎉 {n} person has signed the petition! Thank you. Share it so we reach the "
                "next milestone: {link}",
                "🎉 {n} people have signed the petition! Thank you. Share it so we reach the "
                "next milestone: {link}",
                threshold,
            ).format(n=t.number(threshold), link=link)
        label = (
            Translator.for_locale(settings.default_locale)
            .gettext("Milestone {n}")
            .format(n=threshold)
        )
        await start_broadcast(
            context,
            kind=BroadcastKind.MILESTONE,
            label=label,
            variants=variants,
            created_by=None,
            report_chat_id=settings.admin_ids[0] if settings.admin_ids else None,
        )


async def anonymise_old_signatures(context: BotContext) -> None:
    """Remove names and organisations older than JFA_RETENTION_DAYS; keep countries, counts."""
    days = context.settings.retention_days
    if days is None:
        return
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    removed = await context.store.signatures.anonymise_before(
        cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    if removed:
        await context.store.audit.add(None, "retention", f"{removed} signature(s) anonymised")
        log.info("Retention: anonymised %d signature(s) older than %d days", removed, days)
