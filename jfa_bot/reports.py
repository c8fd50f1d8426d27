"""Organizer reports: the /stats text and its chart, shared by the bot and the CLI."""

from __future__ import annotations

import datetime as dt
import io
from html import escape
from itertools import accumulate

from jfa_bot.i18n import Translator
from jfa_bot.store import CampaignStats, Store

__all__ = ["chart_png", "collect_stats", "stats_text"]

_TOP = 10


async def collect_stats(store: Store, zone: dt.tzinfo) -> CampaignStats:
    """Return the campaign's figures with "today" in the campaign's time zone."""
    today = dt.datetime.now(zone).date()
    week_start = today - dt.timedelta(days=6)
    return await store.stats.collect(today.isoformat(), week_start.isoformat())


def stats_text(t: Translator, stats: CampaignStats) -> str:
    """Return the /stats message (Telegram HTML)."""
    n = t.number
    lines = [
        t.gettext("<b>Campaign figures</b>"),
        t.ngettext("{n} signature", "{n} signatures", stats.total).format(n=n(stats.total)),
        t.gettext("Today: {today} · last 7 days: {week}").format(
            today=n(stats.today), week=n(stats.last_7_days)
        ),
        t.ngettext(
            "{n} signer withheld their name", "{n} signers withheld their name", stats.withheld
        ).format(n=n(stats.withheld)),
        t.gettext("Subscribers: {active} active, {blocked} blocked the bot").format(
            active=n(stats.subscribers), blocked=n(stats.blocked)
        ),
        "",
        t.gettext("<b>Top countries</b>"),
    ]
    lines += [
        f"{escape(t.country_name(code))}: {n(count)}" for code, count in stats.countries[:_TOP]
    ]
    lines += ["", t.gettext("<b>Sources</b>")]
    lines += [
        f"{escape(source) if source else t.gettext('(direct)')}: {n(count)}"
        for source, count in stats.sources[:_TOP]
    ]
    lines += ["", t.gettext("<b>Referral generations</b>")]
    lines += [
        t.gettext("Generation {generation}: {n}").format(generation=n(gen), n=n(count))
        for gen, count in stats.generations
    ]
    lines += ["", t.gettext("<b>Requests by country</b>")]
    names = {"action_pack": t.gettext("Action Pack"), "webinar": t.gettext("Webinar")}
    lines += [
        f"{names.get(kind, kind)} · "
        f"{escape(t.country_name(country)) if country else t.gettext('(no country)')}: {n(count)}"
        for kind, country, count in stats.requests
    ]
    return "\n".join(lines)


def chart_png(t: Translator, stats: CampaignStats) -> bytes:
    """Draw signatures per day with the running total, and the top countries, as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    # matplotlib cannot join right-to-left scripts: label those charts in English.
    labels = Translator.for_locale("en") if t.rtl else t
    number = FuncFormatter(lambda value, _pos: t.number(int(value)))
    figure, (days_axis, countries_axis) = plt.subplots(
        2, 1, figsize=(8, 8), dpi=100, layout="constrained"
    )
    days = [dt.date.fromisoformat(day) for day, _ in stats.per_day]
    counts = [count for _, count in stats.per_day]
    days_axis.bar(days, counts, color="#2a6f97", label=labels.gettext("Signatures per day"))
    days_axis.set_title(labels.gettext("Signatures per day"))
    days_axis.yaxis.set_major_formatter(number)
    total_axis = days_axis.twinx()
    total_axis.plot(days, list(accumulate(counts)), color="#e07a5f", marker="o")
    total_axis.set_ylabel(labels.gettext("Total"))
    total_axis.yaxis.set_major_formatter(number)
    figure.autofmt_xdate()
    top = list(stats.countries[:_TOP])[::-1]
    countries_axis.barh(
        [labels.country_name(code) for code, _ in top],
        [count for _, count in top],
        color="#81b29a",
    )
    countries_axis.set_title(labels.gettext("Top countries"))
    countries_axis.xaxis.set_major_formatter(number)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
