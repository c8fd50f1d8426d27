"""Background jobs run by PTB's JobQueue."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.error import TelegramError

from jfa_bot.context import BotContext, translator_for_user
from jfa_bot.handlers.petition import timed_out_text
from jfa_bot.i18n import Translator
from jfa_bot.store.broadcasts import BroadcastKind

__all__ = [
    "announce_milestones",
    "anonymise_old_signatures",
    "close_idle_forms",
    "finish_erasures",
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
            await context.bot.send_message(flow.user_id, timed_out_text(t, minutes))
        except TelegramError as error:
            log.info("Could not tell user about their closed form: %s", error)


async def finish_erasures(context: BotContext) -> None:
    """Finish erasures whose checkpoint a reader blocked (their record says one is owed)."""
    if not await context.store.db.finish_erasures():
        log.warning("An erasure is still waiting for its checkpoint; retrying in a minute")


async def weekly_spotlight(context: BotContext) -> None:
    """Broadcast the current week's spotlight on schedule, and tell the organizers."""
    from jfa_bot.handlers.admin import start_broadcast
    from jfa_bot.handlers.resources import content_of
    from jfa_bot.spotlight import campaign_week, week_extras, week_posts

    settings = context.settings
    content = content_of(context)
    today = dt.datetime.now(settings.zone).date()
    week = campaign_week(settings.campaign_start, today)
    if week not in content.spotlights(settings.default_locale):
        # An unwritten week sends nothing: an older post again would look like news.
        log.warning("Scheduled spotlight skipped: week %d has no post", week)
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
        try:
            await context.bot.send_message(admin_id, text)
        except TelegramError as error:
            log.info(
                "Could not tell organizer %s about broadcast %d: %s", admin_id, broadcast_id, error
            )


async def announce_milestones(context: BotContext) -> None:
    """Broadcast each milestone crossed, exactly once."""
    from jfa_bot.handlers.admin import start_broadcast

    store = context.store
    settings = context.settings
    for threshold in await store.signatures.unannounced_milestones():
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
